// Grouping in place: a group copied on each append costs the square of its size (a rule's 50k
// findings, a hub's thousand links, thousands of subscriptions refused for one reason).

/** Appends `value` to the list under `key`, creating the list at the first. */
export function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** The items by key, in their order; those without a key are left out. */
export function groupBy<T, K>(items: Iterable<T>, keyOf: (item: T) => K | undefined): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    if (key !== undefined) pushTo(groups, key, item);
  }
  return groups;
}
