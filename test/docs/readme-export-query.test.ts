import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { README } from '../../scripts/update-readme';
import { NETWORK_RESOURCES_TYPES } from '../../src/azure/resource-graph';
import { RESOURCE_TYPES } from '../../src/model/snapshot';

// The README's `az graph query` export must read every resource type peerguard reads: a type left
// out (gateways, route tables, NVAs, ...) is not an error, the rules just judge the estate as if it
// had none. Each type must also be asked of the table Resource Graph keeps it in: AVNM's types asked
// of `resources` return no row, as silently. This keeps the queries, RESOURCE_TYPES and the tables
// the live inventory reads from drifting apart.

const readme = readFileSync(README, 'utf8');
const script = /```sh\n(q_resources='resources[\s\S]*?)```/.exec(readme)?.[1] ?? '';
const queryNamed = (name: string): string => new RegExp(`^${name}='([\\s\\S]*?)'$`, 'm').exec(script)?.[1] ?? '';
const resources = queryNamed('q_resources');
const networkResources = queryNamed('q_avnm');
const typesOf = (query: string): string[] => [...(/\| where type in~ \(([^)]*)\)/.exec(query)?.[1] ?? '').matchAll(/"([^"]+)"/g)].map((m) => m[1] as string);

describe('README: the Resource Graph export', () => {
  it('is there: a query of each table and the loop that pages through both', () => {
    expect(resources).toMatch(/^resources\n/);
    expect(networkResources).toMatch(/^networkresources\n/);
    expect(script).toContain('for q in "$q_resources" "$q_avnm"; do');
    expect(script).toContain('az graph query --first 1000 -q "$q"');
    expect(script).toContain('--skip-token "$token"');
    expect(script).toContain("jq -s '{data: map(.data) | add}' page-*.json > estate.json");
  });

  it('names every type in RESOURCE_TYPES, and no other, across the two queries', () => {
    const named = [...typesOf(resources), ...typesOf(networkResources)];
    expect(typesOf(resources).length).toBeGreaterThan(0);
    expect(named.sort()).toEqual(Object.values(RESOURCE_TYPES).sort());
  });

  it('asks networkresources for the types the live inventory reads there, and resources for none of them', () => {
    expect(typesOf(networkResources).sort()).toEqual([...NETWORK_RESOURCES_TYPES].sort());
    expect(typesOf(resources).filter((t) => NETWORK_RESOURCES_TYPES.includes(t))).toEqual([]);
  });

  it('keeps only the network interfaces that forward IP (NVAs), as the live inventory does', () => {
    expect(resources).toContain('| where type !~ "microsoft.network/networkinterfaces" or properties.enableIPForwarding == true');
  });

  it('holds no single quote (the shell string ends there) and no row limit of its own', () => {
    for (const query of [resources, networkResources]) {
      expect(query).not.toContain("'");
      expect(query).not.toMatch(/\|\s*(take|limit)\b/);
    }
  });
});
