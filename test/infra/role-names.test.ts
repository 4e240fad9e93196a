// Custom role names are unique per Entra tenant (RoleDefinitionWithSameNameExists): a second
// peerguard deployment with the same environment name, in another subscription of the tenant,
// must not collide with the first. Each definition's name carries a hash of the scope it lives in.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const INFRA = join(__dirname, '..', '..', 'infra');
const bicepFiles = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? bicepFiles(join(dir, e.name)) : e.name.endsWith('.bicep') ? [join(dir, e.name)] : []));
const roleNames = bicepFiles(INFRA).flatMap((file) => [...readFileSync(file, 'utf8').matchAll(/^\s*roleName:\s*(.+)$/gm)].map((m) => ({ file, value: m[1]! })));

describe('custom role definitions', () => {
  it('are defined for remediation (subscription and management group) and the custom email sender', () => {
    expect(roleNames.map((r) => r.file.slice(INFRA.length + 1)).sort()).toEqual(['management-group.bicep', 'modules/communication.bicep', 'modules/remediation-role.bicep']);
  });

  it.each(roleNames)('$file: the name carries the environment and a hash of the defining scope', ({ value }) => {
    expect(value).toContain('${environmentName}');
    expect(value).toMatch(/\$\{take\(uniqueString\((subscription\(\)|managementGroup\(\)|communicationService)\.id\), 6\)\}/);
  });
});
