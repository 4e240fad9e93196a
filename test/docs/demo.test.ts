import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

// `npm run demo` runs outside Vitest, from modules the tests share: this runs it as docs/functions.md
// shows, so that a change to those modules that breaks it (a 'vitest' import, once) fails here.

const ROOT = path.resolve(__dirname, '../..');

describe('npm run demo', () => {
  it('replays the delete, the duplicate and the re-create, mails the alert and its resolution, and exits 0', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts/demo.ts')], { cwd: ROOT, maxBuffer: 16 << 20 });
    const subjects = [...stdout.matchAll(/^Subject: (.*)$/gm)].map((m) => m[1]);
    expect(stdout).toContain('=== 0. the morning audit (Resource Graph): report mailed');
    expect(subjects).toContain('[peerguard] ERROR peering-disconnected: vnet-hub-weu <-> vnet-spoke1');
    expect(subjects).toContain('[peerguard] RESOLVED peering-disconnected: vnet-hub-weu <-> vnet-spoke1');
    // The duplicate delivery mails nothing: one ERROR mail per finding.
    expect(subjects.filter((s) => s?.startsWith('[peerguard] ERROR peering-disconnected')).length).toBe(1);
  }, 120_000);
});
