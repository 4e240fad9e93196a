import { HttpRequest, HttpResponse, type HttpResponseInit } from '@azure/functions';
import { afterAll, describe, expect, it } from 'vitest';
import { audit } from '../../src/functions/audit';
import { useAdapters } from '../../src/functions/composition';
import type { Inventory } from '../../src/ports';
import { RULES } from '../../src/rules';
import type { Rule } from '../../src/rules/rule';
import { context, install, LiveEstate, RecordingMailer, SUB, testEnv, type Logged } from './harness';

// The HTTP audit function's answers, through the handler with a real HttpRequest: an unexpected
// failure is a JSON 500 like every other error, and no answer may be cached or sniffed.

// The HTTP audit touches no storage: the clients are built, never called.
const STORAGE = 'UseDevelopmentStorage=true';
const SECRET = 'AccountKey=S3CR3T-KEY-VALUE';
const TOKEN = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl';

function estateReader() {
  const estate = new LiveEstate();
  estate.spokePeeringDeleted();
  return {
    readInventory: async (): Promise<Inventory> => ({
      resources: [...estate.vnets.values()].map((resource) => ({ resource: structuredClone(resource), source: 'graph' })),
      subscriptions: [SUB],
      unreadable: [],
    }),
  };
}

function installWith(rules: readonly Rule[] = RULES, inventory = estateReader()): void {
  install(testEnv(STORAGE), { inventory }, { mailer: new RecordingMailer(), rules });
}

const get = (query: string, logs: Logged[] = []) => {
  const ctx = context('audit', logs);
  return { ctx, response: audit(new HttpRequest({ method: 'GET', url: `http://localhost/api/audit${query}` }), ctx) };
};

/** The headers as the Functions library sends them (HttpResponse adds application/json for jsonBody). */
const sent = (response: HttpResponseInit) => new HttpResponse(response).headers;

/** A failure whose message quotes secrets, as a proxy's error page or a connection string might. */
const failure = () => new TypeError(`cannot read the topology (${SECRET}; Authorization: Bearer ${TOKEN})\n    at secretFrame (/home/site/wwwroot/dist/index.js:1:1)`);

/** A rule that throws while the audit evaluates it: a bug in auditing. */
const throwingRule: Rule = {
  meta: { ...(RULES[0] as Rule).meta, id: 'throws-while-auditing' },
  evaluate: () => {
    throw failure();
  },
};

/** A rule whose description cannot be read: the SARIF renderer, which lists every rule, throws. */
const unrenderableRule: Rule = {
  meta: Object.defineProperty({ ...(RULES[0] as Rule).meta, id: 'throws-while-rendering' }, 'description', {
    get: () => {
      throw failure();
    },
  }),
  evaluate: () => [],
};

afterAll(() => useAdapters(undefined));

describe('HTTP audit: an unexpected failure is a JSON 500, not the host\'s bare 500', () => {
  it.each([
    ['auditing', [...RULES, throwingRule], '?format=json'],
    ['rendering', [...RULES, unrenderableRule], '?format=sarif'],
  ])('a failure while %s: 500, {"error": ...} without its text; the error, redacted and without a stack, logged', async (_, rules, query) => {
    installWith(rules);
    const logs: Logged[] = [];
    const { ctx, response: pending } = get(query, logs);
    const response = await pending;
    expect(response.status).toBe(500);
    expect(response.jsonBody).toEqual({
      error: `the audit failed unexpectedly; the function's log has the details (invocation ${ctx.invocationId})`,
      invocationId: ctx.invocationId,
    });
    expect(sent(response).get('content-type')).toBe('application/json');
    const errors = logs.filter((l) => l.level === 'error').map((l) => l.text);
    expect(errors).toEqual([expect.stringContaining('on-demand audit failed unexpectedly: TypeError: cannot read the topology')]);
    const logged = errors.join('\n');
    expect(logged).toContain('AccountKey=<redacted>');
    for (const secret of ['S3CR3T', TOKEN, 'secretFrame', 'wwwroot']) {
      expect(logged).not.toContain(secret);
      expect(JSON.stringify(response.jsonBody)).not.toContain(secret);
    }
  });

  it('the audit answers as before when nothing fails', async () => {
    installWith();
    const response = await get('?format=json').response;
    expect(response.status).toBe(200);
    expect((JSON.parse(String(response.body)) as { findings: { ruleId: string }[] }).findings.map((f) => f.ruleId)).toEqual(['peering-disconnected']);
  });
});

describe('HTTP audit: a repeated format is refused, not read as its first value', () => {
  it.each(['?format=json&format=sarif', '?format=csv&format=csv', '?format=html&code=k&format=json&format=markdown'])('%s: 400 naming the parameter', async (query) => {
    installWith();
    const response = await get(query).response;
    expect(response.status).toBe(400);
    const times = query.split('format=').length - 1;
    expect(response.jsonBody).toEqual({ error: `query parameter "format" given ${times} times; give it once` });
  });
});

describe('HTTP audit: every answer, errors too, is no-store and nosniff', () => {
  const expectHeaders = (response: HttpResponseInit, contentType: string) => {
    const headers = sent(response);
    expect(headers.get('cache-control')).toBe('no-store');
    expect(headers.get('x-content-type-options')).toBe('nosniff');
    expect(headers.get('content-type')).toBe(contentType);
  };

  it.each([
    ['json', 'application/json'],
    ['sarif', 'application/sarif+json'],
    ['markdown', 'text/markdown; charset=utf-8'],
    ['csv', 'text/csv; charset=utf-8'],
    ['html', 'text/html; charset=utf-8'],
  ])('200 %s', async (format, contentType) => {
    installWith();
    const response = await get(`?format=${format}`).response;
    expect(response.status).toBe(200);
    expectHeaders(response, contentType);
  });

  it('200 csv: the bytes sent start with the UTF-8 byte-order mark, once (Excel then reads the file as UTF-8)', async () => {
    installWith();
    const bytes = new Uint8Array(await new HttpResponse(await get('?format=csv').response).arrayBuffer());
    expect([...bytes.subarray(0, 4)]).toEqual([0xef, 0xbb, 0xbf, 0x22]); // the mark, then the header's first quote
  });

  it('400 (unknown parameter, unknown format), 502 (read failed, nothing read) and 500', async () => {
    installWith();
    const unknown = await get('?fmt=csv').response;
    expect(unknown.status).toBe(400);
    expectHeaders(unknown, 'application/json');
    const format = await get('?format=pdf').response;
    expect(format.status).toBe(400);
    expectHeaders(format, 'application/json');

    installWith(RULES, { readInventory: () => Promise.reject(Object.assign(new Error('denied'), { statusCode: 403 })) });
    const failed = await get('').response;
    expect(failed.status).toBe(502);
    expectHeaders(failed, 'application/json');

    installWith(RULES, { readInventory: async () => ({ resources: [], subscriptions: [SUB], unreadable: [] }) });
    const empty = await get('').response;
    expect(empty.status).toBe(502);
    expectHeaders(empty, 'application/json');

    installWith([...RULES, throwingRule]);
    const crashed = await get('').response;
    expect(crashed.status).toBe(500);
    expectHeaders(crashed, 'application/json');
  });
});
