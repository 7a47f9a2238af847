import { expect } from 'chai';
import { assemble as assembleFormat } from '../../helpers/assemble.js';
import { parseJsonLine } from '../../../src/domain/parsing/json.parser.js';
import { DOCKER_JSON_POLICY, dockerPartialStream, multilinePolicyFor } from '../../../src/domain/parsing/multiline.js';
import { createMemoryPipeline } from '../../helpers/memory-pipeline.js';

const context = { observedAt: new Date('2024-06-01T00:00:00Z') };

/** A Docker json-file record as the driver writes it: `log` first, then `stream` and `time`. */
const record = (log: string, stream = 'stdout', time = '2024-05-01T10:00:00.000000000Z'): string => JSON.stringify({ log, stream, time });


const assemble = (lines: readonly string[]): string[] => assembleFormat(lines, 'json');

describe('dockerPartialStream', () => {
  it('names the stream of a record whose log does not end with \\n, and nothing for other lines', () => {
    expect(dockerPartialStream(record('first 16K of a line'))).to.equal('stdout');
    expect(dockerPartialStream(record('a piece ending in a backslash and an n: \\n', 'stderr'))).to.equal('stderr');
    expect(dockerPartialStream(record('a whole line\n'))).to.equal(undefined);
    expect(dockerPartialStream(record('a backslash, then the newline\\\n'))).to.equal(undefined);
    expect(dockerPartialStream('{"msg":"not docker","stream":"stdout"}')).to.equal(undefined);
    expect(dockerPartialStream('{"log":"no stream"}')).to.equal(undefined);
  });
});

describe('DOCKER_JSON_POLICY (through EventAssembler)', () => {
  it('is the policy of json', () => {
    expect(multilinePolicyFor('json')).to.equal(DOCKER_JSON_POLICY);
  });

  it('joins partial records to the record that ends the line, and leaves every other JSON line alone', () => {
    const lines = [
      '{"level":"info","msg":"an application line"}',
      record('piece one, '),
      record('piece two, '),
      record('the end\n'),
      record('next line\n'),
      '{"log":"a log field of another shape"}',
    ];

    expect(assemble(lines)).to.deep.equal([lines[0], lines.slice(1, 4).join('\n'), lines[4], lines[5]]);
  });

  it('ends a run at a record of the other stream or a line that is no record, and keeps a run the file ends in', () => {
    const lines = [record('out A '), record('err\n', 'stderr'), record('out B\n'), record('tail '), '{"x":1}', record('last ')];

    expect(assemble(lines)).to.deep.equal(lines);
  });

  it('joins up to 128 KiB of records (seven 16 KiB pieces), then starts a new event, so every piece is stored', () => {
    const piece = 'x'.repeat(16 * 1024);
    const lines = [...Array.from({ length: 9 }, () => record(piece)), record('end\n')];

    const events = assemble(lines);

    expect(events.map((event) => event.split('\n').length)).to.deep.equal([7, 3]);
    expect(events.join('\n')).to.equal(lines.join('\n'));
  });
});

describe('parseJsonLine (joined Docker partial records)', () => {
  it('makes one entry whose body is the pieces concatenated, with the first record\'s time and stream', () => {
    const event = [record('{"level":"error",', 'stderr', '2024-05-01T10:00:01.5Z'), record('"msg":"boom"}\n', 'stderr', '2024-05-01T10:00:02Z')].join('\n');

    const result = parseJsonLine(event, context);

    expect(result.ok && result.record).to.deep.equal({
      timestamp: '2024-05-01T10:00:01.500Z',
      body: '{"level":"error","msg":"boom"}',
      attributes: { 'log.iostream': 'stderr' },
    });
  });

  it('keeps the other fields of the first record as written (attrs of --log-opt labels)', () => {
    const event = ['{"log":"a ","stream":"stdout","attrs":{"service":"api","id":12345678901234567890},"time":"2024-05-01T10:00:00Z"}', record('b\n')].join(
      '\n',
    );

    const result = parseJsonLine(event, context);

    expect(result.ok && result.record.body).to.equal('a b');
    expect(result.ok && result.record.attributes).to.deep.equal({ 'log.iostream': 'stdout', attrs: { service: 'api', id: '12345678901234567890' } });
  });

  it('refuses lines that are not all records of one stream, with the JSON parser\'s reason', () => {
    for (const event of [`${record('a ')}\n${record('b\n', 'stderr')}`, `${record('a ')}\n{"log":"b\\n","stream":`, `${record('a ')}\n{"x":1}`]) {
      const result = parseJsonLine(event, context);

      expect(result.ok, event).to.equal(false);
      expect(!result.ok && result.error).to.match(/^invalid JSON: /);
    }
  });
});

describe('Docker json-file logs through the pipeline', () => {
  it('stores a 90 KB line Docker split into six records once, whole, and counts its later records as continuation', async () => {
    const long = `${'GET /search?q='}${'z'.repeat(90_000)}`;
    const lines = [
      record('starting\n'),
      ...Array.from({ length: 5 }, (_, index) => record(long.slice(index * 16_384, (index + 1) * 16_384))),
      record(`${long.slice(5 * 16_384)}\n`),
      record('unended piece', 'stderr'),
    ];
    const pipeline = createMemoryPipeline();

    const { batches, entries } = await pipeline.run({ 'container-json.log': `${lines.join('\n')}\n` });

    expect(batches[0]).to.deep.include({ status: 'COMPLETED', format: 'json', totalLines: 8 });
    expect(batches[0].stats).to.deep.include({ lines: 8, entries: 3, continuation: 5, unparsed: 0, truncated: 0 });
    expect(entries[0].map((entry) => [entry.lineNumber, entry.body, entry.lineCount])).to.deep.equal([
      [1, 'starting', undefined],
      [2, long, 6],
      [8, 'unended piece', undefined],
    ]);
  });
});
