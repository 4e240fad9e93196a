import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { README } from '../../scripts/update-readme';
import { RESOURCE_TYPES } from '../../src/model/snapshot';

// The README's `az graph query` export must read every resource type peerguard reads: a type left
// out (gateways, route tables, NVAs, ...) is not an error, the rules just judge the estate as if it
// had none. This keeps the query and RESOURCE_TYPES from drifting apart.

const readme = readFileSync(README, 'utf8');
const script = /```sh\n(q='resources[\s\S]*?)```/.exec(readme)?.[1] ?? '';
const query = /^q='([\s\S]*?)'$/m.exec(script)?.[1] ?? '';

describe('README: the Resource Graph export', () => {
  it('is there: a query and the loop that pages through it', () => {
    expect(query).toMatch(/^resources\n/);
    expect(script).toContain('az graph query --first 1000 -q "$q"');
    expect(script).toContain('--skip-token "$token"');
    expect(script).toContain("jq -s '{data: map(.data) | add}' page-*.json > estate.json");
  });

  it('names every type in RESOURCE_TYPES, and no other', () => {
    const list = /\| where type in~ \(([^)]*)\)/.exec(query)?.[1] ?? '';
    const named = [...list.matchAll(/"([^"]+)"/g)].map((m) => m[1]);
    expect(named.length).toBeGreaterThan(0);
    expect([...named].sort()).toEqual(Object.values(RESOURCE_TYPES).sort());
  });

  it('keeps only the network interfaces that forward IP (NVAs), as the live inventory does', () => {
    expect(query).toContain('| where type !~ "microsoft.network/networkinterfaces" or properties.enableIPForwarding == true');
  });

  it('holds no single quote (the shell string ends there) and no row limit of its own', () => {
    expect(query).not.toContain("'");
    expect(query).not.toMatch(/\|\s*(take|limit)\b/);
  });
});
