// Regenerates the README's rule tables from the catalog: `npm run docs`.
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { renderRuleCatalogMarkdown } from '../src/report/catalog';
import { RULES } from '../src/rules';

export const README = resolve(__dirname, '../README.md');
export const START = '<!-- rules:start -->';
export const END = '<!-- rules:end -->';

export function withRuleTables(readme: string): string {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error(`README.md has no ${START} ... ${END} block`);
  return `${readme.slice(0, start + START.length)}\n${renderRuleCatalogMarkdown(RULES)}\n${readme.slice(end)}`;
}

if (require.main === module) writeFileSync(README, withRuleTables(readFileSync(README, 'utf8')));
