import Module from 'node:module';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

// Loads src/functions the way the Functions host does, with a recording stand-in for
// @azure/functions-core (the host's worker provides the real one; it is not on npm). Without it
// @azure/functions runs in "test mode" and registers nothing.

interface Binding {
  type: string;
  direction: 'in' | 'out';
  [key: string]: unknown;
}
interface Registered {
  name: string;
  bindings: Record<string, Binding>;
}

const registered: Registered[] = [];
const standIn = {
  setProgrammingModel: () => undefined,
  getProgrammingModel: () => undefined,
  registerHook: () => ({ dispose: () => undefined }),
  log: () => undefined,
  registerFunction: (metadata: Registered) => {
    registered.push(metadata);
    return { dispose: () => undefined };
  },
};

type Loader = (request: string, parent: unknown, isMain: boolean) => unknown;
const loader = Module as unknown as { _load: Loader };
const originalLoad = loader._load;
const savedEnv = { ...process.env };

function trigger(name: string): Binding {
  const fn = registered.find((r) => r.name === name);
  expect(fn, `function ${name} is registered`).toBeDefined();
  const bindings = Object.values(fn!.bindings);
  const triggers = bindings.filter((b) => /Trigger$/.test(b.type));
  expect(triggers).toHaveLength(1);
  return triggers[0]!;
}

describe('src/functions registers with the Functions host', () => {
  beforeAll(async () => {
    loader._load = function (this: unknown, request, parent, isMain) {
      if (request === '@azure/functions-core') return standIn;
      return originalLoad.call(this, request, parent, isMain);
    };
    process.env.AzureWebJobsStorage = 'UseDevelopmentStorage=true';
    process.env.PEERGUARD_REPORT_SCHEDULE = '0 0 6 * * *';
    await import('../../src/functions/index.js');
  });
  afterAll(() => {
    loader._load = originalLoad;
    process.env = savedEnv;
  });

  it('registers exactly the six functions', () => {
    expect(registered.map((r) => r.name).sort()).toEqual(['alertFlush', 'audit', 'auditBatch', 'auditBatchPoison', 'eventGridTrigger', 'scheduledAudit']);
  });

  it('eventGridTrigger: an Event Grid trigger (the name infra/ subscribes)', () => {
    expect(trigger('eventGridTrigger')).toMatchObject({ type: 'eventGridTrigger', direction: 'in' });
  });

  it('scheduledAudit: a timer on the PEERGUARD_REPORT_SCHEDULE setting', () => {
    expect(trigger('scheduledAudit')).toMatchObject({ type: 'timerTrigger', direction: 'in', schedule: '%PEERGUARD_REPORT_SCHEDULE%', runOnStartup: false });
  });

  it('alertFlush: a timer every minute, fixed (no setting the host must resolve), without schedule monitoring', () => {
    expect(trigger('alertFlush')).toMatchObject({ type: 'timerTrigger', direction: 'in', schedule: '0 */1 * * * *', runOnStartup: false, useMonitor: false });
  });

  it('auditBatch: a Storage queue trigger on the fan-out queue, over AzureWebJobsStorage', () => {
    expect(trigger('auditBatch')).toMatchObject({ type: 'queueTrigger', direction: 'in', queueName: 'peerguard-audit-batches', connection: 'AzureWebJobsStorage' });
  });

  it("auditBatchPoison: a Storage queue trigger on the fan-out queue's poison queue (the host's `<queue>-poison`), over AzureWebJobsStorage", () => {
    expect(trigger('auditBatchPoison')).toMatchObject({ type: 'queueTrigger', direction: 'in', queueName: 'peerguard-audit-batches-poison', connection: 'AzureWebJobsStorage' });
  });

  it('audit: HTTP GET with function-level auth and an HTTP output', () => {
    expect(trigger('audit')).toMatchObject({ type: 'httpTrigger', direction: 'in', authLevel: 'function', methods: ['GET'], route: 'audit' });
    const out = Object.values(registered.find((r) => r.name === 'audit')!.bindings).filter((b) => b.direction === 'out');
    expect(out.map((b) => b.type)).toEqual(['http']);
  });

  it('refuses to start with a bad setting, naming it', async () => {
    // The host resolves %PEERGUARD_REPORT_SCHEDULE% itself, with no default: missing, it stops the start.
    vi.resetModules();
    delete process.env.PEERGUARD_REPORT_SCHEDULE;
    await expect(import('../../src/functions/index.js')).rejects.toThrow('invalid app settings: PEERGUARD_REPORT_SCHEDULE: not set');
    vi.resetModules();
    process.env.PEERGUARD_REPORT_SCHEDULE = 'daily';
    await expect(import('../../src/functions/index.js')).rejects.toThrow(/PEERGUARD_REPORT_SCHEDULE/);
    process.env.PEERGUARD_REPORT_SCHEDULE = '0 0 6 * * *';
    process.env.PEERGUARD_ALERT_SETTLE_SECONDS = '3601';
    vi.resetModules();
    await expect(import('../../src/functions/index.js')).rejects.toThrow('invalid app settings: PEERGUARD_ALERT_SETTLE_SECONDS: expected a whole number of seconds from 0 to 3600');
    process.env.PEERGUARD_ALERT_SETTLE_SECONDS = '5 minutes';
    vi.resetModules();
    await expect(import('../../src/functions/index.js')).rejects.toThrow(/^invalid app settings: PEERGUARD_ALERT_SETTLE_SECONDS: /);
    delete process.env.PEERGUARD_ALERT_SETTLE_SECONDS;
    process.env.PEERGUARD_ALERT_TO_ERROR = 'netops@contoso.example';
    vi.resetModules();
    await expect(import('../../src/functions/index.js')).rejects.toThrow(/PEERGUARD_EMAIL_ENDPOINT/);
  });

  it('refuses a PEERGUARD_AUDIT_CONFIG that is not YAML or JSON, naming the setting and the parser\'s complaint', async () => {
    const { validateAtStartup } = await import('../../src/functions/composition.js');
    const { ConfigError } = await import('../../src/engine/config.js');
    const start = () => validateAtStartup({ AzureWebJobsStorage: 'UseDevelopmentStorage=true', PEERGUARD_REPORT_SCHEDULE: '0 0 6 * * *', PEERGUARD_AUDIT_CONFIG: 'rules: [' });
    expect(start).toThrow(
      new ConfigError('PEERGUARD_AUDIT_CONFIG: not valid YAML or JSON (Flow sequence in block collection must be sufficiently indented and end with a ] at line 1, column 9:)'),
    );
    expect(start).toThrow(ConfigError);
  });

  it('refuses a PEERGUARD_AUDIT_CONFIG of comments alone; a blank one means the defaults', async () => {
    const { validateAtStartup } = await import('../../src/functions/composition.js');
    const { ConfigError } = await import('../../src/engine/config.js');
    const start = (config: string) => () => validateAtStartup({ AzureWebJobsStorage: 'UseDevelopmentStorage=true', PEERGUARD_REPORT_SCHEDULE: '0 0 6 * * *', PEERGUARD_AUDIT_CONFIG: config });
    for (const config of ['# rules:\n#   peering-one-sided: error\n', '~', '---\n']) {
      expect(start(config), JSON.stringify(config)).toThrow(new ConfigError('PEERGUARD_AUDIT_CONFIG: holds no configuration (only comments, or null); leave it empty for the defaults'));
    }
    expect(start('  \n')).not.toThrow();
  });
});
