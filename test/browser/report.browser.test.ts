import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderHtml } from '../../src/report/html';
import { buildTopologyView } from '../../src/report/topology-view';
import { RULES } from '../../src/rules';
import { exampleRun, hostileRun, HOSTILE, ROOT } from '../report/html-fixtures';

// The HTML report in a real browser: Debian's Chromium driven by playwright-core. Without
// /usr/bin/chromium the suite is skipped with a message, except in CI (process.env.CI), where it
// fails: .ci/run installs chromium via apt.

const CHROMIUM = '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
if (!available && !process.env.CI) {
  console.warn(`browser tests skipped: ${CHROMIUM} not found (install it with: apt-get install -y chromium)`);
}

// The page's DOM as this Node-typed project sees it (tsconfig has no "dom" lib).
interface Shape {
  getBBox(): { width: number; height: number };
  getTotalLength(): number;
}
type Win = { getComputedStyle(e: unknown): { visibility: string }; document: { getElementById(id: string): { textContent: string | null } | null } };

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

describe.skipIf(!available && !process.env.CI)('HTML report in Chromium', () => {
  let context: BrowserContext;
  let workDir: string;
  const requests: string[] = [];
  const dialogs: string[] = [];

  async function open(name: string, page: string): Promise<{ tab: Page; url: string }> {
    const file = join(workDir, `${name}.html`);
    writeFileSync(file, page);
    const url = pathToFileURL(file).href;
    const tab = await context.newPage();
    tab.on('request', (r) => requests.push(r.url()));
    tab.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    await tab.goto(url);
    return { tab, url };
  }

  beforeAll(async () => {
    if (!available) throw new Error(`${CHROMIUM} is missing: CI must install it (.ci/run: apt-get install -y chromium)`);
    workDir = mkdtempSync(join(tmpdir(), 'peerguard-browser-'));
    context = await chromium.launchPersistentContext(join(workDir, 'profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: ARGS,
      viewport: { width: 1400, height: 1000 },
    });
    context.setDefaultTimeout(10_000);
  });

  afterAll(async () => {
    await context?.close();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  it('draws every VNet and every broken link, filters findings, loads nothing, and looks right', async () => {
    const run = await exampleRun();
    const { tab, url } = await open('example', await renderHtml(run.report, run.extras, { rules: RULES }));

    const drawn = await tab.$$eval('#topology g.node', (gs) =>
      gs.map((g) => {
        const box = (g as unknown as Shape).getBBox();
        return { name: g.getAttribute('data-name'), area: box.width * box.height };
      }),
    );
    for (const v of run.extras.topology.vnets.values()) {
      const node = drawn.find((d) => d.name === v.name);
      expect(node, v.name).toBeDefined();
      expect(node?.area).toBeGreaterThan(0);
    }

    const view = buildTopologyView(run.extras.topology, run.report.findings);
    const broken = view.links.filter((l) => l.broken);
    expect(broken.length).toBeGreaterThan(0);
    const brokenDrawn = await tab.$$eval('#topology .edge.broken path.link', (ps) =>
      ps.map((p) => ({ id: p.parentElement?.getAttribute('data-link'), length: (p as unknown as Shape).getTotalLength(), visible: (globalThis as unknown as Win).getComputedStyle(p).visibility === 'visible' })),
    );
    expect(brokenDrawn.map((b) => b.id).sort()).toEqual(broken.map((l) => l.id).sort());
    for (const b of brokenDrawn) {
      expect(b.length).toBeGreaterThan(10);
      expect(b.visible).toBe(true);
    }

    // filters: severity checkboxes and the rule select, counted as visible rows
    const visibleRows = () => tab.locator('#findings tbody tr.finding:visible').count();
    const counts = run.report.summary.findings;
    expect(await visibleRows()).toBe(run.report.findings.length);
    await tab.locator('input[name="severity"][value="error"]').click();
    expect(await visibleRows()).toBe(counts.warning + counts.info);
    expect(await tab.locator('#shown-count').textContent()).toBe(String(counts.warning + counts.info));
    await tab.locator('input[name="severity"][value="error"]').click();
    const rule = run.report.findings[0]?.ruleId as string;
    await tab.selectOption('#rule-filter', rule);
    expect(await visibleRows()).toBe(run.report.findings.filter((f) => f.ruleId === rule).length);
    await tab.selectOption('#rule-filter', '');
    expect(await visibleRows()).toBe(run.report.findings.length);

    // a fix plan opens with its operations
    const withFix = tab.locator('#findings tr.finding details').first();
    await withFix.locator('summary').click();
    await expect.poll(() => withFix.locator('.op').first().isVisible()).toBe(true);

    expect(requests.filter((r) => r !== url && !r.startsWith('data:'))).toEqual([]);
    expect(dialogs).toEqual([]);

    mkdirSync(join(ROOT, 'test-results'), { recursive: true });
    // A full page of every finding is tall; under a loaded CI machine it takes more than the default 10 s.
    await tab.screenshot({ path: join(ROOT, 'test-results', 'report.png'), fullPage: true, timeout: 90_000 });
    await tab.close();
  }, 180_000);

  it('renders hostile names as text: no script runs, no dialog, no request', async () => {
    const run = hostileRun();
    requests.length = 0;
    const { tab, url } = await open('hostile', await renderHtml(run.report, run.extras, { rules: RULES }));
    await tab.hover('#topology g.node[data-name^="x"]');
    expect(await tab.locator('#topology g.node .name', { hasText: HOSTILE }).count()).toBe(1);
    expect(await tab.locator('img').count()).toBe(0);
    expect(await tab.locator('#partial-banner').isVisible()).toBe(true);
    expect(await tab.evaluate(() => JSON.parse((globalThis as unknown as Win).document.getElementById('peerguard-report')?.textContent ?? 'null').coverage.unreadable[0].reason)).toContain(HOSTILE);
    expect(dialogs).toEqual([]);
    expect(requests.filter((r) => r !== url && !r.startsWith('data:'))).toEqual([]);
    await tab.close();
  });
});
