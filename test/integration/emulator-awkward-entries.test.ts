import { expect } from 'chai';
import { BatchStatus } from '../../src/domain/batch.js';
import { createEmulatorPipeline, type EmulatorPipeline } from '../helpers/emulator-pipeline.js';
import { logFile } from '../helpers/memory-pipeline.js';

const TIME = '"time":"2026-11-26T09:00:00.000Z"';
const JSON_LINES = [
  `{${TIME},"level":"info","msg":"before"}`,
  `{${TIME},"msg":"x","L":"abc"}`,
  `{${TIME},"msg":"x","S":5}`,
  `{${TIME},"msg":"x","B":"abc"}`,
  `{${TIME},"msg":"x","NULL":null,"BOOL":"yes","M":[1,{"N":"2"}]}`,
  `{${TIME},"msg":"deep","tree":${'{"next":'.repeat(40)}"leaf"${'}'.repeat(40)}}`,
  `{${TIME},"msg":"huge","big":1e200,"tiny":5e-324,"overflow":1e400}`,
  `{${TIME},"level":"info","msg":"after"}`,
];
const LOGFMT_LINES = ['level=info msg=one service=api', 'level=info msg=two L=abc', 'level=info msg=three S=5 B=abc'];

describe('entries DynamoDB cannot hold as they are, through the pipeline on the emulators', function () {
  this.timeout(60_000);
  let pipeline: EmulatorPipeline | undefined;

  afterEach(async () => {
    await pipeline?.cleanup();
    pipeline = undefined;
  });

  it('completes a chunk holding fields named like DynamoDB type tags, deep nesting and out-of-range numbers, storing every entry', async () => {
    pipeline = await createEmulatorPipeline({ label: 'awkward', settings: { maxChunkLines: 100 } });
    const jsonUpload = await pipeline.upload('logs/app.jsonl', logFile(JSON_LINES));
    const logfmtUpload = await pipeline.upload('logs/app.logfmt', logFile(LOGFMT_LINES));

    const report = await pipeline.run([jsonUpload, logfmtUpload]);
    const json = await pipeline.readBack(jsonUpload);
    const logfmt = await pipeline.readBack(logfmtUpload);
    const deadLetters = await pipeline.deadLetters.list();

    expect(report.workerErrors).to.deep.equal([]);
    expect(deadLetters).to.deep.equal([]);
    for (const { batch, entries } of [json, logfmt]) {
      expect(batch).to.deep.include({ status: BatchStatus.COMPLETED, totalChunks: 1, processedChunks: 1, deadLetteredChunks: [] });
      expect(entries.map((entry) => entry.parseError)).to.deep.equal(entries.map(() => undefined));
    }
    expect(json.entries.map((entry) => entry.lineNumber)).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(json.entries.slice(1, 5).map((entry) => entry.attributes)).to.deep.equal([
      { L: 'abc' },
      { S: 5 },
      { B: 'abc' },
      { NULL: null, BOOL: 'yes', M: [1, { N: '2' }] },
    ]);
    expect(json.entries[5].body).to.equal('deep');
    expect(json.entries[6].attributes).to.deep.include({ big: 1e200, tiny: 5e-324 });
    expect(logfmt.entries.map((entry) => [entry.body, entry.attributes])).to.deep.equal([
      ['one', { service: 'api' }],
      ['two', { L: 'abc' }],
      ['three', { S: '5', B: 'abc' }],
    ]);
  });
});
