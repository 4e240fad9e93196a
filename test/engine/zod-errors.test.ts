import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { describeZodError } from '../../src/engine/zod-errors';

// describeZodError for any schema: a union names the bad key of the alternative the value was meant
// as, or lists every alternative; the value given is shown only when the parse kept it.

const describe_ = (schema: z.ZodType, value: unknown, reportInput = true): string => {
  const result = schema.safeParse(value, { reportInput });
  if (result.success) throw new Error('accepted');
  return describeZodError(result.error);
};

const port = z.union([z.number().int(), z.literal('any'), z.strictObject({ from: z.number(), to: z.number() })]);
const doc = z.strictObject({ port, mode: z.enum(['fast', 'safe mode']).optional() });

describe('describeZodError', () => {
  it.each([
    [{ port: 'all' }, 'port: expected number, any or object; got "all"'],
    [{ port: true }, 'port: expected number, any or object; got true'],
    [{ port: { from: 1, to: 'x' } }, 'port.to: expected number, got "x"'],
    [{ port: { from: 1 } }, 'port.to: missing (expected number)'],
    [{ port: 1.5 }, 'port: expected int, any or object; got 1.5'],
    [{ port: 1, mode: 'slow' }, 'mode: expected fast or "safe mode", got "slow"'],
    [{ port: 1, mode: 'x'.repeat(50) }, `mode: expected fast or "safe mode", got "${'x'.repeat(40)}…"`],
  ])('%j', (value, message) => {
    expect(describe_(doc, value)).toBe(message);
  });

  it('a union with its own error says it, then what was given', () => {
    const on = z.union([z.boolean(), z.enum(['on', 'off'])], { error: 'expected true, false, on or off' });
    expect(describe_(z.object({ on }), { on: 'yes' })).toBe('on: expected true, false, on or off; got "yes"');
  });

  it('without the value kept (app settings), nothing of it is shown', () => {
    expect(describe_(doc, { port: 'all' }, false)).toBe('port: expected number, any or object');
    expect(describe_(doc, { port: 1, mode: 'slow' }, false)).toBe('mode: expected fast or "safe mode"');
    expect(describe_(z.object({ n: z.number() }), { n: 'secret' }, false)).toBe('n: expected number, received string');
  });
});
