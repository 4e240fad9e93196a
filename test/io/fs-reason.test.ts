import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { fsReason } from '../../src/io/fs-reason';
import { scratchDir } from '../support/scratch';

// The reasons the CLI gives for a file it cannot read, from the errors Node.js really raises.

const { dir, file } = scratchDir('peerguard-fs-reason-');

async function failureOf(read: () => Promise<unknown>): Promise<unknown> {
  try {
    await read();
  } catch (error) {
    return error;
  }
  throw new Error('the read succeeded');
}

describe('fsReason', () => {
  it('names a missing file, a directory and a path through a file', async () => {
    const plain = file('plain.json', '{}');
    expect(fsReason(await failureOf(() => readFile(`${dir}/missing.json`, 'utf8')))).toBe('no such file or directory');
    expect(fsReason(await failureOf(() => readFile(dir, 'utf8')))).toBe('it is a directory');
    expect(fsReason(await failureOf(() => readFile(`${plain}/inner.json`, 'utf8')))).toBe('a path segment is not a directory');
  });

  it('says a text too long for one string must be split, however Node.js reports it', () => {
    let tooLong: unknown;
    try {
      'x'.repeat(2 ** 30);
    } catch (error) {
      tooLong = error;
    }
    expect(tooLong).toBeInstanceOf(RangeError);
    const advice = /^the file is larger than the 511 MiB of text Node\.js can hold in one string: split it/;
    expect(fsReason(tooLong)).toMatch(advice);
    expect(fsReason(Object.assign(new Error('Cannot create a string longer than 0x1fffffe8 characters'), { code: 'ERR_STRING_TOO_LONG' }))).toMatch(advice);
  });

  it('passes other errors through', () => {
    expect(fsReason(new Error('disk on fire'))).toBe('disk on fire');
  });
});
