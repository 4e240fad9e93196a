import type { Rule } from './rule';
import { peeringOneSided } from './peering-one-sided';
// -- peering lifecycle imports --
// -- gateway transit imports --
// -- transit imports --

/** Every rule peerguard ships, in catalog order (design.md). Rule ids are a public contract. */
export const RULES: readonly Rule[] = [
  // -- peering lifecycle --
  peeringOneSided,
  // -- gateway transit --
  // -- transit --
];

export function ruleById(id: string): Rule | undefined {
  return RULES.find((r) => r.meta.id === id);
}
