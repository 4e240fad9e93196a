import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { README, withRuleTables } from '../../scripts/update-readme';
import { RULES } from '../../src/rules';

describe('README', () => {
  const readme = readFileSync(README, 'utf8');

  it('lists every rule of the catalog as the catalog describes it (run `npm run docs` to update)', () => {
    expect(readme).toBe(withRuleTables(readme));
    for (const rule of RULES) expect(readme).toContain(`\`${rule.meta.id}\``);
  });

  it('starts with the command that audits the example and the command that runs the suite', () => {
    const firstBlock = /```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    expect(firstBlock).toContain('npm run audit');
    expect(firstBlock).toContain('npm test');
  });
});
