import { expect } from 'chai';
import { type EntryLine, renderEntryTable } from '../../../src/cli/query.command.js';
import { displayWidth, terminalText } from '../../../src/cli/terminal-text.js';

const LONG = 'a fairly long message body that certainly does not fit into a narrow terminal window at all, not even a wide one';
const ENTRIES: EntryLine[] = [
  { time: '2026-01-01T00:00:00.000Z', severity: 'INFO', source: 'wide.log:1', body: LONG },
  { time: '2026-01-01T00:00:01.000Z', severity: 'ERROR', source: 'wide.log:2', body: `emoji ${'😀'.repeat(40)} ${'🫠'.repeat(10)} end` },
  { time: '2026-01-01T00:00:02.000Z', severity: 'WARN', source: 'wide.log:3', body: `cjk ${'中文'.repeat(40)} end` },
  { time: '2026-01-01T00:00:03.000Z', severity: 'INFO', source: 'wide.log:4', body: 'short' },
  { time: '-', severity: '-', source: 'wide.log:5', body: 'red \x1b[31mALERT\x1b[0m \x1b]0;PWNED\x07 \r\b\u202e' },
];
/** What must never reach a terminal raw (a newline only ends a line of the table). */
const UNSAFE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/u;

describe('logbatch query: the entry table', () => {
  it('cuts nothing when the output is not a terminal, and shows newlines as ⏎ and other controls escaped', () => {
    const table = renderEntryTable(
      [...ENTRIES, { time: '-', severity: '-', source: 'x.log:9', body: 'one\ntwo\r\nthree\tfour' }],
      undefined,
    );
    const lines = table.split('\n');

    expect(lines[0]).to.match(/^time\s+severity\s+source:line\s+body$/);
    expect(lines[2]).to.equal(`2026-01-01T00:00:00.000Z  INFO      wide.log:1   ${LONG}`);
    expect(table).to.include(`cjk ${'中文'.repeat(40)} end`);
    expect(table).to.include('red \\x1b[31mALERT\\x1b[0m \\x1b]0;PWNED\\x07 \\r\\x08\\u202e');
    expect(table).to.include('one ⏎ two ⏎ three\\tfour');
    expect(table).to.not.include('…');
    expect(table).to.not.match(UNSAFE);
  });

  it('at 100 columns, sizes the columns by their headers too: no row or rule wider than the terminal', () => {
    const lines = renderEntryTable(ENTRIES, 100).split('\n');

    expect(lines[0]).to.match(/^time\s+severity\s+source:line\s+body$/);
    expect(lines[1]).to.match(/^-{24}  -{8}  -{11}  -+$/);
    for (const line of lines) expect(displayWidth(line), line).to.be.at.most(100);
    expect(displayWidth(lines[1])).to.equal(100);
    expect(displayWidth(lines[2])).to.equal(100);
    expect(lines[2]).to.match(/a fairly long .*…$/);
    expect(lines[3]).to.match(/^2026-01-01T00:00:01.000Z  ERROR     wide\.log:2   emoji 😀+…$/u);
    expect(lines[4]).to.match(/^2026-01-01T00:00:02.000Z  WARN      wide\.log:3   cjk (中文)+中?…$/u);
    expect(lines[5]).to.equal('2026-01-01T00:00:03.000Z  INFO      wide.log:4   short');
  });

  it('at any width from 40 up, fits every line to the width, keeps every entry, and ends cut bodies with …', () => {
    for (let width = 40; width <= 200; width += 1) {
      const table = renderEntryTable(ENTRIES, width);
      for (const line of table.split('\n')) expect(displayWidth(line), `${width}: ${line}`).to.be.at.most(width);
      expect(table).to.not.match(UNSAFE);
      for (const entry of ENTRIES) {
        const body = terminalText(entry.body);
        const shown = table.split('\n').find((line) => line.includes(body.slice(0, 5)));
        expect(shown, `${width}: ${body}`).to.not.equal(undefined);
        if (!shown!.includes(body)) expect(shown, `${width}`).to.match(/…$/);
        expect(table, `${width}`).to.match(new RegExp(`(${entry.source}|…\\S*${entry.source.slice(-2)})`));
      }
    }
  });

  it('on a narrow terminal, puts each body under its time, severity and source rather than in a sliver of a column', () => {
    const lines = renderEntryTable(ENTRIES.slice(0, 2), 60).split('\n');

    expect(lines).to.deep.equal([
      '2026-01-01T00:00:00.000Z  INFO   wide.log:1',
      `  ${LONG.slice(0, 57)}…`,
      '2026-01-01T00:00:01.000Z  ERROR  wide.log:2',
      `  emoji ${'😀'.repeat(25)}…`,
    ]);
  });
});
