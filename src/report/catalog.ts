import type { Rule } from '../rules/rule';

const CATEGORY_TITLES: Record<Rule['meta']['category'], string> = {
  'peering-lifecycle': 'Peering lifecycle',
  'gateway-transit': 'Gateway transit',
  transit: 'Transit (peering is not transitive)',
};

/** The rule catalog as Markdown tables, one per category (the README's, kept in step by a test). */
export function renderRuleCatalogMarkdown(rules: readonly Rule[]): string {
  const sections: string[] = [];
  for (const [category, title] of Object.entries(CATEGORY_TITLES)) {
    const inCategory = rules.filter((r) => r.meta.category === category);
    if (inCategory.length === 0) continue;
    const rows = inCategory.map(
      (r) => `| [\`${r.meta.id}\`](${r.meta.docsUrl}) | ${r.meta.defaultSeverity} | ${r.meta.fix} | ${r.meta.description.replace(/\|/g, '\\|')} |`,
    );
    sections.push([`### ${title}`, '', '| rule | severity | fix | fires when |', '|---|---|---|---|', ...rows].join('\n'));
  }
  return sections.join('\n\n');
}
