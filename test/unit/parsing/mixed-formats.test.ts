import { expect } from 'chai';
import { buildEntries } from '../../../src/domain/entry-builder.js';
import { chunkMessageFactory } from '../../helpers/factories.js';
import { detectFormat, isKnownFormat, lineParserFor } from '../../../src/domain/parsing/formats.js';

const jsonLine = (index: number) => JSON.stringify({ time: '2026-11-20T08:00:00.012Z', level: 'info', msg: `request ${index}`, 'http.status': 200 });
const textLine = (index: number) => `2026-11-20T08:00:00.013Z INFO [worker-${index}] cache refreshed`;

const chunk = chunkMessageFactory;

describe('detectFormat on mixed files', () => {
  it('calls a sample of JSON objects and plain text lines json+text, whichever is the majority', () => {
    const mostlyJson = Array.from({ length: 40 }, (_, index) => (index % 10 === 0 ? textLine(index) : jsonLine(index)));
    const mostlyText = Array.from({ length: 40 }, (_, index) => (index % 10 === 0 ? jsonLine(index) : textLine(index)));

    expect(detectFormat(mostlyJson).format).to.equal('json+text');
    expect(detectFormat(mostlyText).format).to.equal('json+text');
  });

  it('picks the other format from the non-JSON lines only (json+logfmt, json+syslog)', () => {
    const logfmt = ['{"level":"info","msg":"a"}', 'ts=2026-11-20T08:00:00Z level=info msg=start', 'ts=2026-11-20T08:00:01Z level=warn msg=slow'];
    const syslog = ['{"level":"info","msg":"a"}', '<34>Oct 11 22:14:15 mymachine su: su root failed', '<13>Oct 11 22:14:16 mymachine app[7]: ok'];

    expect(detectFormat(logfmt).format).to.equal('json+logfmt');
    expect(detectFormat(syslog).format).to.equal('json+syslog');
  });

  it('keeps a JSON file with a broken JSON line json, so the broken line is unparsed', () => {
    expect(detectFormat([jsonLine(1), '{"level":"info","msg":"cut', jsonLine(2)]).format).to.equal('json');
  });

  it('knows mixed names as formats, but not json+json or unknown halves', () => {
    expect(isKnownFormat('json+text')).to.equal(true);
    expect(isKnownFormat('json+json')).to.equal(false);
    expect(isKnownFormat('json+nope')).to.equal(false);
    expect(lineParserFor('json+nope')).to.equal(undefined);
  });
});

describe('buildEntries with a mixed format', () => {
  it('parses JSON lines as JSON and the others by the other format, naming the parser in each entry', () => {
    const looksLikeLogfmt = '{"level":"warn","msg":"key=value pairs inside","a":1}';

    const { entries, stats } = buildEntries(chunk('json+text', [jsonLine(1), textLine(2), looksLikeLogfmt]), new Date('2026-11-20T09:00:00Z'));

    expect(entries.map((entry) => entry.format)).to.deep.equal(['json', 'text', 'json']);
    expect(entries[0].attributes).to.deep.include({ 'http.status': 200 });
    expect(entries[0].body).to.equal('request 1');
    expect(entries[1]).to.deep.include({ severityText: 'INFO', timestamp: '2026-11-20T08:00:00.013Z' });
    expect(entries[2]).to.deep.include({ severityText: 'WARN', body: 'key=value pairs inside' });
    expect(stats).to.deep.include({ lines: 3, entries: 3, unparsed: 0, blank: 0, continuation: 0, truncated: 0 });
  });

  it('counts a line unparsed only when neither parser takes it, with both reasons', () => {
    const { entries, stats } = buildEntries(chunk('json+logfmt', ['{"broken', 'level=info msg=ok']), new Date());

    expect(stats.unparsed).to.equal(1);
    expect(entries[0].format).to.equal('logfmt');
    expect(entries[0].parseError).to.match(/^invalid JSON: .*; as logfmt: /);
    expect(entries[1]).to.deep.include({ format: 'logfmt', body: 'ok' });
  });

  it('counts whitespace-only lines as blank, in any format', () => {
    const { entries, stats } = buildEntries(chunk('json', ['   ', '\t', jsonLine(1), ' \t \r']), new Date());

    expect(entries).to.have.length(1);
    expect(stats).to.deep.include({ lines: 4, entries: 1, unparsed: 0, blank: 3, continuation: 0, truncated: 0 });
  });
});
