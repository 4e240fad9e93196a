// README.md, "What it costs", against what infra/ deploys: the Flex Consumption app is never idle,
// since alertFlush runs every minute, and Flex Consumption bills each execution at least 1,000 ms of
// the instance's memory (learn.microsoft.com/azure/azure-functions/flex-consumption-plan#billing).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { paramDefault } from './bicep-text';

const ROOT = join(__dirname, '..', '..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const readme = read('README.md');
const costs = readme.slice(readme.indexOf('### What it costs'), readme.indexOf('\n### ', readme.indexOf('### What it costs') + 1));
const functions = costs.slice(costs.indexOf('**Azure Functions'), costs.indexOf('\n- **', costs.indexOf('**Azure Functions'))).replace(/\s+/g, ' ');

const MINIMUM_BILLED_SECONDS = 1;
const DAYS_A_MONTH = 30;
const format = (n: number) => n.toLocaleString('en-US');

describe('README.md: what the function app costs with no event', () => {
  it('names alertFlush\'s every-minute executions, the instance memory and the GB-seconds they bill at least', () => {
    const schedule = /export const ALERT_FLUSH_SCHEDULE = '([^']+)'/.exec(read('src/functions/alertFlush.ts'))?.[1];
    expect(schedule, 'alertFlush runs every minute').toMatch(/^0 \*(\/1)? \* \* \* \*$/);
    const memoryMB = Number(paramDefault(read('infra/modules/function-app.bicep'), 'instanceMemoryMB'));
    expect(memoryMB).toBeGreaterThan(0);
    // main.bicep leaves the module's default.
    expect(read('infra/main.bicep')).not.toMatch(/instanceMemoryMB/);
    const executions = DAYS_A_MONTH * 24 * 60;
    const gbSeconds = executions * MINIMUM_BILLED_SECONDS * (memoryMB / 1024);
    expect(functions).toContain(`about ${format(executions)} executions a month`);
    expect(functions).toContain(`at least 1 second`);
    expect(functions).toContain(`${format(memoryMB)} MB instance`);
    expect(functions).toContain(`at least ${format(gbSeconds)} GB-seconds a month`);
    expect(functions).not.toMatch(/nothing while idle/);
  });
});
