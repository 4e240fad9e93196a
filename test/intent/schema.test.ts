import { describe, expect, it } from 'vitest';
import { IntentError, parseIntent } from '../../src/intent/schema';

// A statement is checked against the kind its kind key names: a bad value inside is named by its
// key; a statement with no kind, or with two, says which kinds there are.

const groups = { a: { names: ['vnet-a-*'] }, b: { names: ['vnet-b-*'] } };
const KINDS = 'expected one of reach, reach-each-other, isolated, on-premises';

describe('intent statements: errors name the bad key', () => {
  it.each([
    [{ 'reach-each-other': 'a', via: 'teleport' }, 'statements[0].via: expected firewall or appliance, got "teleport"'],
    [{ reach: { from: 'a', to: 'b' }, via: 'vpn' }, 'statements[0].via: expected firewall or appliance, got "vpn"'],
    [{ name: 5, reach: { from: 'a', to: 'b' } }, 'statements[0].name: expected string, got 5'],
    [{ name: '', 'reach-each-other': 'a' }, 'statements[0].name: Too small: expected string to have >=1 characters'],
    [{ reach: { from: 'a' } }, 'statements[0].reach.to: missing (expected string)'],
    [{ reach: 'a' }, 'statements[0].reach: expected object, got "a"'],
    [{ reach: { from: 'a', to: 'b', via: 'firewall' } }, 'statements[0].reach: unknown key "via"; allowed: from, to'],
    [{ 'reach-each-other': ['a', 'b'] }, 'statements[0].reach-each-other: expected string, got a list'],
    [{ 'reach-each-other': 'a b' }, 'statements[0].reach-each-other: a group name: letters, digits, "-", "_", "."'],
    [{ isolated: ['a', 'b'] }, 'statements[0].isolated: expected object, got a list'],
    [{ isolated: { between: ['a', 7] } }, 'statements[0].isolated.between[1]: expected string, got 7'],
    [{ isolated: { between: ['a', 'b'] }, via: 'firewall' }, 'statements[0]: unknown key "via"; allowed: name, isolated'],
    [{ 'on-premises': { group: 'a' } }, 'statements[0].on-premises.via: missing (expected string)'],
    [{ 'on-premises': { group: 'a', via: 'b' }, name: 'x', extra: 1 }, 'statements[0]: unknown key "extra"; allowed: name, on-premises'],
  ])('%j', (statement, message) => {
    expect(() => parseIntent({ groups, statements: [statement] }, 'intent.yaml')).toThrow(new IntentError(`intent.yaml: ${message}`));
  });
});

describe('intent statements: no kind, or two, names the kinds', () => {
  it.each([
    [{}, KINDS],
    [{ name: 'prod', via: 'firewall' }, KINDS],
    [{ reachh: { from: 'a', to: 'b' } }, `${KINDS} (unknown key: reachh)`],
    [{ 'reach-each': 'a', isolate: {} }, `${KINDS} (unknown keys: reach-each, isolate)`],
    [{ 'reach-each-other': 'a', reach: { from: 'a', to: 'b' } }, `${KINDS}; got reach and reach-each-other together`],
    [{ isolated: {}, 'on-premises': {}, reach: {} }, `${KINDS}; got reach, isolated and on-premises together`],
    ['reach', `${KINDS}; got "reach"`],
    [null, `${KINDS}; got null`],
    [['reach'], `${KINDS}; got a list`],
  ])('%j', (statement, message) => {
    expect(() => parseIntent({ groups, statements: [statement] }, 'intent.yaml')).toThrow(new IntentError(`intent.yaml: statements[0]: ${message}`));
  });

  it('each statement is named by its position', () => {
    const statements = [{ 'reach-each-other': 'a' }, { 'reach-each-other': 'b', via: 'firewal' }, { isolated: { between: ['a', 'b'] } }];
    expect(() => parseIntent({ groups, statements }, 'intent.yaml')).toThrow(new IntentError('intent.yaml: statements[1].via: expected firewall or appliance, got "firewal"'));
  });

  it('a good statement still parses into its kind', () => {
    const intent = parseIntent({ groups, statements: [{ name: 'mesh', 'reach-each-other': 'a', via: 'firewall' }, { reach: { from: 'a', to: 'b' } }] });
    expect(intent.statements).toEqual([
      { kind: 'reach-each-other', index: 0, group: 'a', via: 'firewall', label: 'mesh' },
      { kind: 'reach', index: 1, from: 'a', to: 'b', via: undefined, label: 'a reach b' },
    ]);
  });
});

describe('intent groups: errors name the bad key', () => {
  it.each([
    [{ 'bad name': { names: ['x'] } }, 'groups.bad name: not a valid key: a group name: letters, digits, "-", "_", "."'],
    [{ a: { names: 'vnet-*' } }, 'groups.a.names: expected array, got "vnet-*"'],
    [['a'], 'groups: expected object, got a list'],
  ])('%j', (badGroups, message) => {
    expect(() => parseIntent({ groups: badGroups, statements: [{ 'reach-each-other': 'a' }] }, 'intent.yaml')).toThrow(new IntentError(`intent.yaml: ${message}`));
  });
});

// QA intent defect 3: an empty selector list made a group of nothing that passed silently.
describe('intent groups: an empty selector list is refused, naming the key', () => {
  it.each([
    [{ c: { names: [] } }, 'groups.c.names'],
    [{ c: { ids: [] } }, 'groups.c.ids'],
    [{ c: { tags: [] } }, 'groups.c.tags'],
    [{ c: { names: ['vnet-c'], subscriptions: [] } }, 'groups.c.subscriptions'],
  ])('%j', (document, at) => {
    expect(() => parseIntent({ groups: document, statements: [{ 'reach-each-other': 'c' }] }, 'nomatch.yaml')).toThrow(
      new IntentError(`nomatch.yaml: ${at}: an empty list selects no VNet: give at least one entry, or leave the key out`),
    );
  });
});

// QA intent defect: `reach` and `isolated` over the same groups can never both hold, and the audit
// then reported a violation forever. Refused at load, naming both statements (by group names: no
// topology needed).
describe('intent statements: a reach and an isolated statement over the same groups contradict each other', () => {
  const three = { ...groups, c: { names: ['vnet-c-*'] } };
  it.each([
    [
      'reach from a to b, isolated between a and b',
      [{ reach: { from: 'a', to: 'b' } }, { isolated: { between: ['a', 'b'] } }],
      'statements[1]: "a and b are isolated" contradicts statements[0] ("a reach b"): a VNet of "a" and one of "b" cannot both reach each other and be isolated; drop one of them',
    ],
    [
      'the groups in the other order, labels given, another statement between',
      [{ name: 'dev apart from prod', isolated: { between: ['b', 'a'] } }, { 'reach-each-other': 'c' }, { name: 'prod to dev', reach: { from: 'a', to: 'b' }, via: 'firewall' }],
      'statements[2]: "prod to dev" contradicts statements[0] ("dev apart from prod"): a VNet of "a" and one of "b" cannot both reach each other and be isolated; drop one of them',
    ],
    [
      'reach-each-other a, isolated between a and a',
      [{ 'reach-each-other': 'a' }, { 'on-premises': { group: 'a', via: 'b' } }, { isolated: { between: ['a', 'a'] } }],
      'statements[2]: "a and a are isolated" contradicts statements[0] ("a reach each other"): two VNets of "a" cannot both reach each other and be isolated; drop one of them',
    ],
    [
      'reach from a to a, isolated between a and a',
      [{ isolated: { between: ['a', 'a'] } }, { reach: { from: 'a', to: 'a' } }],
      'statements[1]: "a reach a" contradicts statements[0] ("a and a are isolated"): two VNets of "a" cannot both reach each other and be isolated; drop one of them',
    ],
  ])('%s', (_case, statements, message) => {
    expect(() => parseIntent({ groups: three, statements }, 'intent.yaml')).toThrow(new IntentError(`intent.yaml: ${message}`));
  });

  it.each([
    ['groups that overlap in an estate (the pairs they share get a finding)', { prod: { tags: ['env=prod'] }, 'prod-weu': { tags: ['env=prod'], names: ['*-weu'] }, dev: { tags: ['env=dev'] }, hub: { names: ['vnet-hub'] } }, [{ 'reach-each-other': 'prod-weu' }, { reach: { from: 'prod-weu', to: 'hub' } }, { isolated: { between: ['dev', 'prod'] } }]],
    ['one group shared, the other not', three, [{ reach: { from: 'a', to: 'b' } }, { isolated: { between: ['a', 'c'] } }, { 'reach-each-other': 'a' }, { isolated: { between: ['b', 'b'] } }]],
    ['on-premises through a group isolated from its own', three, [{ 'on-premises': { group: 'a', via: 'b' } }, { isolated: { between: ['a', 'b'] } }]],
    ['the same kind twice', three, [{ reach: { from: 'a', to: 'b' } }, { reach: { from: 'b', to: 'a' } }, { isolated: { between: ['a', 'c'] } }, { isolated: { between: ['c', 'a'] } }]],
  ])('%s: loads', (_case, intentGroups, statements) => {
    expect(parseIntent({ groups: intentGroups, statements }, 'intent.yaml').statements).toHaveLength(statements.length);
  });
});
