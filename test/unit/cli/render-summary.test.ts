import { expect } from 'chai';
import { renderSummary } from '../../../src/cli/render-summary.js';
import { displayWidth } from '../../../src/cli/terminal-text.js';
import type { BatchSummary, RunSummary } from '../../../src/local/run-summary.js';
import { totalsOf } from '../../../src/local/run-summary.js';

const CWD = '/work/logs';

function batch(source: string, counts: Partial<BatchSummary> = {}): BatchSummary {
  return {
    batchId: `b-${source.length}`,
    source,
    status: 'COMPLETED',
    format: 'json',
    totalLines: 120,
    entries: 100,
    unparsed: 0,
    blank: 0,
    continuation: 0,
    truncated: 0,
    filtered: 0,
    redacted: 0,
    chunks: 1,
    processedChunks: 1,
    deadLetteredChunks: [],
    ...counts,
    ...(counts.totalLines === undefined
      ? { totalLines: (counts.entries ?? 100) + (counts.blank ?? 0) + (counts.continuation ?? 0) + (counts.filtered ?? 0) }
      : {}),
  };
}

function summaryOf(batches: BatchSummary[], extra: Partial<RunSummary> = {}): RunSummary {
  return { backend: 'memory', totals: totalsOf(batches, 0), batches, elapsedMs: 1000, linesPerSecond: 100, bytesRead: 1e6, requests: {}, duplicateInputs: [], ...extra };
}

/** The table's rows as objects keyed by the header's column names (file names here have no spaces). */
function tableOf(text: string): Array<Record<string, string>> {
  const lines = text.split('\n');
  const header = lines[0].trim().split(/\s+/);
  const rows = [];
  for (const line of lines.slice(2)) {
    if (line === '') break;
    if (/^-+(\s+-+)*$/.test(line)) continue;
    const words = line.trim().split(/\s+/);
    const cells = line.startsWith('total') ? [words.slice(0, 3).join(' '), '', '', ...words.slice(3)] : words;
    rows.push(Object.fromEntries(header.map((name, index) => [name, cells[index]])));
  }
  return rows;
}

describe('renderSummary', () => {
  it('escapes control characters and bidi overrides in file names, reasons and notes', () => {
    const evil = `${CWD}/evil\x1b[2J\x1b]0;FILETITLE\x07.log`;
    const text = renderSummary(
      summaryOf([batch(evil), batch(`${CWD}/bad\u202egol.log`, { status: 'FAILED', reason: 'line 3:\r\x1b[31m not UTF-8' })], {
        duplicateInputs: [{ file: `${CWD}/again\x1b[1m.log`, sameAs: evil }],
      }),
      CWD,
      {},
    );

    expect(text).to.not.match(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
    expect(text).to.include('evil\\x1b[2J\\x1b]0;FILETITLE\\x07.log  COMPLETED');
    expect(text).to.include('bad\\u202egol.log: FAILED: line 3:\\r\\x1b[31m not UTF-8');
    expect(text).to.include('note: evil\\x1b[2J\\x1b]0;FILETITLE\\x07.log was given 2 times (also as again\\x1b[1m.log); processed once');
  });

  it('leaves out the counters that are 0 for every file, so a typical run fits 80 columns', () => {
    const text = renderSummary(summaryOf([batch(`${CWD}/app.log`), batch(`${CWD}/api/requests.log`, { blank: 3 })]), CWD, {});
    const lines = text.split('\n');

    expect(lines[0].split(/\s+/)).to.deep.equal(['file', 'status', 'format', 'lines', 'entries', 'blank', 'chunks']);
    for (const line of lines.slice(0, 6)) expect(displayWidth(line)).to.be.at.most(80);
    expect(tableOf(text)).to.deep.equal([
      { file: 'app.log', status: 'COMPLETED', format: 'json', lines: '100', entries: '100', blank: '0', chunks: '1' },
      { file: 'api/requests.log', status: 'COMPLETED', format: 'json', lines: '103', entries: '100', blank: '3', chunks: '1' },
      { file: 'total (2 files)', status: '', format: '', lines: '203', entries: '200', blank: '3', chunks: '2' },
    ]);
  });

  it('shows every counter that is not 0, and they add up to the lines', () => {
    const batches = [
      batch(`${CWD}/a.log`, { entries: 50, unparsed: 2, blank: 1, continuation: 4, filtered: 5, redacted: 3 }),
      batch(`${CWD}/b.log`, { entries: 7, chunks: 2 }),
    ];
    const rows = tableOf(renderSummary(summaryOf(batches), CWD, {}));

    expect(Object.keys(rows[0])).to.deep.equal(['file', 'status', 'format', 'lines', 'entries', 'unparsed', 'blank', 'cont.', 'filtered', 'redacted', 'chunks']);
    for (const row of rows) {
      expect(Number(row.entries) + Number(row.blank) + Number(row['cont.']) + Number(row.filtered)).to.equal(Number(row.lines));
    }
    expect(rows[2]).to.deep.include({ lines: '67', entries: '57', unparsed: '2', blank: '1', 'cont.': '4', filtered: '5', redacted: '3', chunks: '3' });
  });

  it('on a terminal, cuts long file names from the left with … to fit its width, and never the totals', () => {
    const long = `${CWD}/services/payments/2026/11/26/payments-api-eu-west-1.log`;
    const batches = [batch(long, { blank: 1, continuation: 2 }), batch(`${CWD}/short.log`)];
    for (const width of [80, 78]) {
      const text = renderSummary(summaryOf(batches), CWD, { width });
      const lines = text.split('\n');
      for (const line of lines.slice(0, 6)) expect(displayWidth(line), line).to.be.at.most(width);
      const rows = tableOf(text);
      expect(rows[0].file).to.match(/^…\S*-eu-west-1\.log$/);
      expect(rows[1].file).to.equal('short.log');
      expect(rows[2]).to.deep.include({ file: 'total (2 files)', lines: '203', entries: '200', blank: '1', 'cont.': '2' });
    }
  });

  it('cuts nothing when the output is not a terminal', () => {
    const long = `${CWD}/services/payments/2026/11/26/payments-api-eu-west-1.log`;
    const text = renderSummary(summaryOf([batch(long, { blank: 1, continuation: 2, unparsed: 1, filtered: 4, redacted: 1 })]), CWD, {});
    expect(text).to.include('services/payments/2026/11/26/payments-api-eu-west-1.log  COMPLETED');
    expect(text).to.not.include('…');
  });

  it('aligns the columns by display width, for wide file names too', () => {
    const text = renderSummary(summaryOf([batch(`${CWD}/日志.log`), batch(`${CWD}/app.log`)]), CWD, {});
    const [header, , first, second] = text.split('\n');
    const at = (line: string, word: string) => displayWidth(line.slice(0, line.indexOf(word)));
    expect(at(first, 'COMPLETED'), text).to.equal(at(header, 'status'));
    expect(at(second, 'COMPLETED'), text).to.equal(at(header, 'status'));
    expect(displayWidth(first)).to.equal(displayWidth(header));
  });
});
