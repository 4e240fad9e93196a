import { describe, expect, it } from 'vitest';
import type { RawResource } from '../../src/model/snapshot';
import type { FindingDraft, Rule, RuleOptions } from '../../src/rules/rule';
import { DEFAULT_RULE_OPTIONS } from '../../src/rules/rule';
import { topologyOf } from './estate';

// ESLint's RuleTester, for peerguard: a table of estates where the rule must stay silent, and of
// estates where it must report exactly the listed findings.

export interface ValidCase {
  name: string;
  resources: RawResource[];
  /** Subscriptions read besides those in the resources. */
  subscriptions?: string[];
  options?: Partial<RuleOptions>;
}

export interface ExpectedFinding {
  /** Compared case-sensitively: the finding keeps the input's casing. */
  resourceId: string;
  /** Every fragment must appear in the message. */
  messageIncludes?: string[];
  relatedResourceIds?: string[];
  /** Checked when present: the fix (or `null` for none). */
  fix?: null | ((fix: NonNullable<FindingDraft['fix']>) => void);
}

export interface InvalidCase extends ValidCase {
  findings: ExpectedFinding[];
}

export function evaluateRule(rule: Rule, c: ValidCase): FindingDraft[] {
  return rule.evaluate(topologyOf(c.resources, c.subscriptions), { ...DEFAULT_RULE_OPTIONS, ...c.options });
}

export function ruleTester(rule: Rule, cases: { valid: ValidCase[]; invalid: InvalidCase[] }): void {
  describe(rule.meta.id, () => {
    it('has complete metadata', () => {
      expect(rule.meta.title.length).toBeGreaterThan(5);
      expect(rule.meta.description.length).toBeGreaterThan(20);
      expect(rule.meta.docsUrl).toMatch(/^https:\/\/learn\.microsoft\.com\//);
    });

    describe('valid', () => {
      for (const c of cases.valid) {
        it(c.name, () => {
          expect(evaluateRule(rule, c)).toEqual([]);
        });
      }
    });

    describe('invalid', () => {
      for (const c of cases.invalid) {
        it(c.name, () => {
          const drafts = evaluateRule(rule, c);
          expect(drafts.map((d) => d.resourceId).sort()).toEqual(c.findings.map((f) => f.resourceId).sort());
          for (const expected of c.findings) {
            const draft = drafts.find((d) => d.resourceId === expected.resourceId);
            if (!draft) throw new Error(`no finding for ${expected.resourceId}`);
            for (const fragment of expected.messageIncludes ?? []) expect(draft.message).toContain(fragment);
            if (expected.relatedResourceIds) expect([...draft.relatedResourceIds].sort()).toEqual([...expected.relatedResourceIds].sort());
            if (expected.fix === null) expect(draft.fix).toBeUndefined();
            else if (expected.fix) {
              expect(draft.fix, 'expected a fix').toBeDefined();
              expected.fix(draft.fix as NonNullable<FindingDraft['fix']>);
              if (rule.meta.fix === 'none') throw new Error('a rule without fixes returned one');
            }
            if (draft.fix) expect(draft.fix.destructive).toBe(rule.meta.fix === 'destructive');
          }
        });
      }
    });
  });
}
