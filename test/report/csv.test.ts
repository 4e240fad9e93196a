import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { reportFiles } from '../../src/alerts/scheduled';
import { CSV_COLUMNS, csvField, RELATED_ID_SEPARATOR, renderCsv } from '../../src/report/csv';
import { renderReport } from '../../src/report/render';
import { RULES } from '../../src/rules';
import { runCli } from '../support/cli';
import { ERROR_FINDING, FORMULA_ID, INFO_FINDING, realRun, sampleReport, WARNING_FINDING } from './sample-report';

const BOM = '\uFEFF';

/** A strict RFC 4180 reader after the byte-order mark: CRLF between records, every field quoted, `""` for a quote. */
function parseCsv(text: string): string[][] {
  expect(text.startsWith(BOM), 'starts with the byte-order mark').toBe(true);
  const records: string[][] = [];
  let i = 1;
  while (i < text.length) {
    const record: string[] = [];
    for (;;) {
      expect(text[i], `field at ${i} is quoted`).toBe('"');
      i += 1;
      let field = '';
      for (;;) {
        const quote = text.indexOf('"', i);
        expect(quote, 'closing quote').toBeGreaterThanOrEqual(0);
        field += text.slice(i, quote);
        i = quote + 1;
        if (text[i] === '"') {
          field += '"';
          i += 1;
        } else break;
      }
      record.push(field);
      if (text[i] === ',') {
        i += 1;
        continue;
      }
      expect(text.slice(i, i + 2), `record ends with CRLF at ${i}`).toBe('\r\n');
      i += 2;
      break;
    }
    records.push(record);
  }
  return records;
}

describe('csvField', () => {
  it.each([
    ['plain', '"plain"'],
    ['', '""'],
    ['say "hi", twice', '"say ""hi"", twice"'],
    ['line\r\nbreak', '"line\r\nbreak"'],
    ['/subscriptions/x', '"/subscriptions/x"'],
    ['=1+1', `"'=1+1"`],
    ['+1', `"'+1"`],
    ['-1', `"'-1"`],
    ['@SUM(A1)', `"'@SUM(A1)"`],
    ['\t=1', `"' =1"`], // neutralised first, then the tab replaced
    ['\r=1', `"'\r=1"`],
    ['=HYPERLINK("http://x","y")', `"'=HYPERLINK(""http://x"",""y"")"`],
    ['a=1', '"a=1"'],
    // Judged as written: a control character or bidirectional control turned space, or leading
    // spaces, still lead to a formula; a line feed first counts as CR does (OWASP).
    ['\u0007=HYPERLINK("http://x","y")', `"' =HYPERLINK(""http://x"",""y"")"`],
    ['\u202E@SUM(A1)', `"' @SUM(A1)"`],
    ['\u0085-1', `"' -1"`],
    ['  +1', `"'  +1"`],
    ['\n=1', `"'\n=1"`],
    ['\nplain', `"'\nplain"`],
    [' plain', '" plain"'],
    ['\u0007plain', '" plain"'],
    // Control and bidirectional-override characters become spaces (a terminal escape, a name shown
    // reversed); line breaks stay, quoted as RFC 4180 allows.
    ['red\u001b[31m!', '"red [31m!"'],
    ['a\u0000b\u007fc\u0085d\u009be', '"a b c d e"'],
    ['tab\there', '"tab here"'],
    ['invoice\u202Efdp.exe', '"invoice fdp.exe"'],
    ['\u2066x\u2069 \u202Ay\u202C \u200Fz\u200E \u061C', '" x   y   z   "'],
    ['a\nb', '"a\nb"'],
    ['rg-netz-münchen', '"rg-netz-münchen"'],
  ])('%j → %j', (value, expected) => {
    expect(csvField(value)).toBe(expected);
  });
});

describe('csv renderer', () => {
  it('writes the header and one quoted record per finding, CRLF-terminated', () => {
    const text = renderCsv(sampleReport());
    expect(text.startsWith(`${BOM}"ruleId","severity","resourceId","message","relatedResourceIds","fingerprint","fixDescription"\r\n`)).toBe(true);
    expect(text.endsWith('\r\n')).toBe(true);
    const [header, ...rows] = parseCsv(text);
    expect(header).toEqual([...CSV_COLUMNS]);
    expect(rows).toHaveLength(3);
    for (const row of rows) expect(row).toHaveLength(CSV_COLUMNS.length);
  });

  it('round-trips quotes, commas and line breaks inside fields', () => {
    const [, error, warning] = parseCsv(renderCsv(sampleReport()));
    expect(error).toEqual([
      'rule-error',
      'error',
      ERROR_FINDING.resourceId,
      ERROR_FINDING.message,
      ERROR_FINDING.relatedResourceIds.join(RELATED_ID_SEPARATOR),
      ERROR_FINDING.fingerprint,
      ERROR_FINDING.fix!.description,
    ]);
    expect(ERROR_FINDING.message).toContain('\n');
    expect(warning![3]).toContain(',');
  });

  it('neutralises formulas: a cell that starts with =, +, -, @, tab, CR or LF, or with spaces before one of =, +, -, @, gets a leading apostrophe', () => {
    const [, , warning, info] = parseCsv(renderCsv(sampleReport()));
    expect(warning![3]).toBe(`'${WARNING_FINDING.message}`); // -2+3 …
    expect(warning![6]).toBe(''); // no fix
    expect(info![2]).toBe(FORMULA_ID); // starts with '/': left alone
    expect(info![3]).toBe(`'${INFO_FINDING.message}`); // =1+1
    expect(info![4]).toBe(`'${INFO_FINDING.relatedResourceIds[0]}`); // @SUM(…)
    expect(info![6]).toBe(`'${INFO_FINDING.fix!.description}`); // +cmd|…
    const tabAndCr = parseCsv(
      renderCsv(sampleReport({ findings: [{ ...WARNING_FINDING, message: '\t=cmd', fix: { description: '\r=cmd', destructive: false, operations: [] } }] })),
    )[1]!;
    expect(tabAndCr[3]).toBe("' =cmd"); // the tab then replaced
    expect(tabAndCr[6]).toBe("'\r=cmd");
    const hidden = parseCsv(renderCsv(sampleReport({ findings: [{ ...WARNING_FINDING, message: '\u0007=HYPERLINK("http://x","y")', resourceId: '\n=cmd' }] })))[1]!;
    expect(hidden[2]).toBe("'\n=cmd");
    expect(hidden[3]).toBe(`' =HYPERLINK("http://x","y")`);
    // No field of any record starts with a formula character.
    for (const row of parseCsv(renderCsv(sampleReport())).slice(1)) {
      for (const field of row) expect(field, field).not.toMatch(/^[=+\-@\t\r]/);
    }
  });

  it('starts with a UTF-8 byte-order mark, so that Excel reads non-ASCII names as UTF-8', () => {
    const name = '/subscriptions/x/resourceGroups/rg-netz-münchen';
    const text = renderCsv(sampleReport({ findings: [{ ...WARNING_FINDING, resourceId: name }] }));
    expect([...Buffer.from(text, 'utf8').subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(text.lastIndexOf(BOM)).toBe(0);
    expect(parseCsv(text)[1]![2]).toBe(name);
  });

  it('writes only the header for a clean estate', () => {
    const text = renderCsv(sampleReport({ findings: [] }));
    expect(parseCsv(text)).toEqual([[...CSV_COLUMNS]]);
  });

  it('renders a real audit through renderReport as --format csv', () => {
    const run = realRun();
    const text = renderReport(run.report, 'csv', run.extras, { rules: RULES, colour: false });
    expect(text).toBe(renderCsv(run.report));
    const [, row] = parseCsv(text);
    const finding = run.report.findings[0]!;
    expect(row).toEqual([
      'peering-one-sided',
      'error',
      finding.resourceId,
      finding.message,
      finding.relatedResourceIds.join(';'),
      finding.fingerprint,
      finding.fix!.description,
    ]);
  });

  it('the scheduled report file (mailed as an attachment, stored as a blob) is the same text, whose UTF-8 bytes start with the mark', async () => {
    const run = realRun();
    const csv = (await reportFiles(run.report, run.extras, RULES)).find((f) => f.extension === 'csv')!;
    expect(csv.content).toBe(renderCsv(run.report));
    expect(csv.contentType).toBe('text/csv; charset=utf-8');
    // The mailer sends Buffer.from(content) in base64; the blob upload sends the string as UTF-8.
    const decoded = Buffer.from(Buffer.from(csv.content).toString('base64'), 'base64');
    expect([...decoded.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(parseCsv(decoded.toString('utf8'))).toHaveLength(run.report.findings.length + 1);
  });

  it('the CLI writes --format csv with the byte-order mark, once', async () => {
    const { code, stdout } = await runCli(['audit', '--input', resolve(__dirname, '../../examples/estate'), '--format', 'csv', '--fail-on', 'none']);
    expect(code).toBe(0);
    expect(stdout.lastIndexOf(BOM)).toBe(0);
    expect(parseCsv(stdout)[0]).toEqual([...CSV_COLUMNS]);
  });
});
