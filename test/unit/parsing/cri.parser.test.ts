import { expect } from 'chai';
import { assemble as assembleFormat } from '../../helpers/assemble.js';
import { criTagIndex, parseCriLine } from '../../../src/domain/parsing/cri.parser.js';
import { detectFormat } from '../../../src/domain/parsing/formats.js';
import { CRI_POLICY, multilinePolicyFor } from '../../../src/domain/parsing/multiline.js';
import { createMemoryPipeline } from '../../helpers/memory-pipeline.js';

const context = { observedAt: new Date('2024-06-01T00:00:00Z') };

const assemble = (lines: readonly string[]): string[] => assembleFormat(lines, 'cri');

describe('parseCriLine', () => {
  it('takes the time, the stream and the payload of an F line', () => {
    const result = parseCriLine('2024-05-01T10:00:00.123456789Z stdout F GET /health 200', context);

    expect(result).to.deep.equal({
      ok: true,
      record: { timestamp: '2024-05-01T10:00:00.123Z', body: 'GET /health 200', attributes: { 'log.iostream': 'stdout' } },
    });
  });

  it('joins the payloads of a P run and its F line with nothing between them', () => {
    const event = [
      '2024-05-01T10:00:01.000000000Z stderr P part one of a ',
      '2024-05-01T10:00:01.000000001Z stderr P long line, ',
      '2024-05-01T10:00:01.000000002Z stderr F ERROR here',
    ].join('\n');

    const result = parseCriLine(event, context);

    expect(result.ok && result.record).to.deep.equal({
      timestamp: '2024-05-01T10:00:01.000Z',
      severityText: 'ERROR',
      severityNumber: 17,
      body: 'part one of a long line, ERROR here',
      attributes: { 'log.iostream': 'stderr' },
    });
  });

  it('marks an entry whose line never got its F line with logtag P', () => {
    const result = parseCriLine('2024-05-01T10:00:01Z stdout P cut short', context);

    expect(result.ok && result.record.attributes).to.deep.equal({ 'log.iostream': 'stdout', logtag: 'P' });
    expect(result.ok && result.record.body).to.equal('cut short');
  });

  it('reads a JSON payload as the json parser does and keeps the runtime time and stream', () => {
    const line = '2024-05-01T10:00:00.5Z stdout F {"time":"2020-01-01T00:00:00Z","level":"warn","msg":"disk low","host":"db-1"}';

    const result = parseCriLine(line, context);

    expect(result.ok && result.record).to.deep.equal({
      timestamp: '2024-05-01T10:00:00.500Z',
      severityText: 'WARN',
      severityNumber: 13,
      body: 'disk low',
      attributes: { host: 'db-1', 'log.iostream': 'stdout' },
    });
  });

  it('reads a JSON payload the runtime split into P lines once joined', () => {
    const event = ['2024-05-01T10:00:00Z stdout P {"level":"error",', '2024-05-01T10:00:00Z stdout F "msg":"boom"}'].join('\n');

    const result = parseCriLine(event, context);

    expect(result.ok && result.record).to.deep.include({ body: 'boom', severityText: 'ERROR' });
  });

  it('reads a klog payload (Kubernetes components) as the text parser does', () => {
    const line = '2024-05-01T10:00:00.000000001Z stderr F E0501 10:00:00.000000       1 reflector.go:138] watch failed';

    const result = parseCriLine(line, context);

    expect(result.ok && result.record).to.deep.equal({
      timestamp: '2024-05-01T10:00:00.000Z',
      severityText: 'ERROR',
      severityNumber: 17,
      body: 'watch failed',
      attributes: { 'thread.id': 1, 'code.file.path': 'reflector.go', 'code.line.number': 138, 'log.iostream': 'stderr' },
    });
  });

  it('applies the zone offset CRI-O may write, and reads an empty payload and extra tags', () => {
    const offset = parseCriLine('2024-05-01T12:00:00.250+02:00 stdout F ok', context);
    const empty = parseCriLine('2024-05-01T10:00:00Z stdout F', context);
    const tagged = parseCriLine('2024-05-01T10:00:00Z stdout F:x ok', context);

    expect(offset.ok && offset.record.timestamp).to.equal('2024-05-01T10:00:00.250Z');
    expect(empty.ok && empty.record.body).to.equal('');
    expect(tagged.ok && tagged.record.body).to.equal('ok');
  });

  for (const line of [
    '2024-05-01T10:00:00Z INFO started',
    '2024-05-01T10:00:00Z stdout X text',
    '2024-05-01T10:00:00Z stdout Fail text',
    '2024-05-01 10:00:00 stdout F text',
    'stdout F text',
  ]) {
    it(`rejects ${JSON.stringify(line)}`, () => {
      const result = parseCriLine(line, context);

      expect(result.ok).to.equal(false);
    });
  }

  it('rejects a CRI-shaped line whose time does not exist', () => {
    const result = parseCriLine('2024-02-30T10:00:00Z stdout F text', context);

    expect(result).to.deep.equal({ ok: false, error: 'invalid time "2024-02-30T10:00:00Z"' });
  });
});

describe('criTagIndex', () => {
  it('finds the tag after the time and the stream, and nothing in other lines', () => {
    expect(criTagIndex('2024-05-01T10:00:00Z stdout P x')).to.equal(28);
    expect(criTagIndex('2024-05-01T10:00:00Z stdoutP x')).to.equal(-1);
    expect(criTagIndex('I0501 10:00:00.123456    1234 main.go:42] Starting server')).to.equal(-1);
  });
});

describe('CRI_POLICY (through EventAssembler)', () => {
  it('is the policy of cri', () => {
    expect(multilinePolicyFor('cri')).to.equal(CRI_POLICY);
  });

  it('joins a P run to the F line that ends it, and starts a new event after the F line', () => {
    const lines = [
      '2024-05-01T10:00:00Z stdout P a',
      '2024-05-01T10:00:00Z stdout P b',
      '2024-05-01T10:00:00Z stdout F c',
      '2024-05-01T10:00:01Z stdout P d',
      '2024-05-01T10:00:01Z stdout F e',
      '2024-05-01T10:00:02Z stdout F f',
    ];

    const events = assemble(lines);

    expect(events).to.deep.equal([lines.slice(0, 3).join('\n'), lines.slice(3, 5).join('\n'), lines[5]]);
  });

  it('ends a run at a line of the other stream, and keeps a run the file ends in', () => {
    const lines = [
      '2024-05-01T10:00:00Z stderr P a',
      '2024-05-01T10:00:00Z stdout F b',
      '2024-05-01T10:00:00Z stderr F c',
      '2024-05-01T10:00:01Z stdout P d',
    ];

    const events = assemble(lines);

    expect(events).to.deep.equal(lines);
  });

  it('starts a new event at the line cap, so every line of a very long run is stored', () => {
    const lines = Array.from({ length: CRI_POLICY.maxLines + 2 }, (_, index) => `2024-05-01T10:00:00Z stdout P ${index}`);

    const events = assemble(lines);

    expect(events.map((event) => event.split('\n').length)).to.deep.equal([CRI_POLICY.maxLines, 2]);
  });
});

describe('detectFormat (cri)', () => {
  it('picks cri for containerd lines, and text for application lines that only share the time', () => {
    const cri = ['2024-05-01T10:00:00.123456789Z stdout F GET /health 200', '2024-05-01T10:00:01.000000000Z stderr P part one', '2024-05-01T10:00:01.000000000Z stderr F end'];
    const text = ['2024-05-01T10:00:00Z stdout flushed', '2024-05-01T10:00:01Z INFO stderr redirected', '2024-05-01T10:00:02Z F ok'];

    expect(detectFormat(cri).format).to.equal('cri');
    expect(detectFormat(text).format).to.equal('text');
  });
});

describe('cri files through the pipeline', () => {
  it('stores every line once: a joined run counts its later lines as continuation, an unended run is kept', async () => {
    const lines = [
      '2024-05-01T10:00:00.123456789Z stdout F GET /health 200',
      '2024-05-01T10:00:01.000000000Z stderr P part one of a ',
      '2024-05-01T10:00:01.000000000Z stderr F long line ERROR here',
      '',
      '2024-05-01T10:00:02.000000000Z stdout P never ',
      '2024-05-01T10:00:02.000000000Z stdout P ended',
    ];
    const pipeline = createMemoryPipeline();

    const { batches, entries } = await pipeline.run({ 'pod.log': `${lines.join('\n')}\n` });

    expect(batches[0]).to.deep.include({ status: 'COMPLETED', format: 'cri', totalLines: 6 });
    expect(batches[0].stats).to.deep.include({ lines: 6, entries: 3, blank: 1, continuation: 2, unparsed: 0 });
    expect(entries[0].map((entry) => [entry.lineNumber, entry.body, entry.lineCount])).to.deep.equal([
      [1, 'GET /health 200', undefined],
      [2, 'part one of a long line ERROR here', 2],
      [5, 'never ended', 2],
    ]);
    expect(entries[0][2].attributes).to.deep.equal({ 'log.iostream': 'stdout', logtag: 'P' });
  });
});
