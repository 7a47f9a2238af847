import { expect } from 'chai';
import { parseFormatRules } from '../../src/domain/parsing/key-rules.js';
import { createEmulatorPipeline } from '../helpers/emulator-pipeline.js';
import { createMemoryPipeline, logFile } from '../helpers/memory-pipeline.js';

// Lines that content sniffing calls logfmt, so only the key can make them anything else.
const logfmtLines = ['ts=2026-11-20T08:00:00Z level=info msg=start', 'ts=2026-11-20T08:00:01Z level=warn msg=slow'];
// Default-format VPC flow records without a header line.
const flowLines = [
  '2 123456789012 eni-0a1b2c3d 10.0.0.5 10.0.1.9 49152 443 6 10 5200 1732089600 1732089660 ACCEPT OK',
  '2 123456789012 eni-0a1b2c3d 10.0.0.7 10.0.1.9 49153 22 6 3 180 1732089600 1732089660 REJECT OK',
];

describe('Format from the S3 key', () => {
  it('lets user rules and AWS layouts decide the format on the memory backend; an explicit format still wins', async () => {
    const settings = { formatRules: parseFormatRules('forced/**=json') };
    const auto = createMemoryPipeline({ settings });
    const explicit = createMemoryPipeline({ settings: { ...settings, format: 'text' } });

    const files = { 'forced/app.log': logFile(logfmtLines), 'AWSLogs/123456789012/vpcflowlogs/eu-west-1/flow.log': logFile(flowLines), 'plain/app.log': logFile(logfmtLines) };
    const ruled = await auto.run(files);
    const overridden = await explicit.run({ 'forced/app.log': logFile(logfmtLines) });

    expect(ruled.batches.map((batch) => batch.format)).to.deep.equal(['json', 'vpcflow', 'logfmt']);
    expect(ruled.batches[0].stats.unparsed).to.equal(2);
    expect(ruled.entries[1][0].attributes).to.deep.include({ 'source.address': '10.0.0.5' });
    expect(overridden.batches[0].format).to.equal('text');
  });

  it('decides the format from the key of an S3 event on the emulators', async function () {
    this.timeout(60_000);
    const pipeline = await createEmulatorPipeline({ label: 'keyrules', settings: { formatRules: parseFormatRules('forced/**=json') } });
    try {
      const uploads = [
        await pipeline.upload('forced/app.log', logFile(logfmtLines)),
        await pipeline.upload('AWSLogs/123456789012/vpcflowlogs/eu-west-1/2026/11/20/flow.log', logFile(flowLines)),
      ];

      await pipeline.run(uploads);

      const [forced, flow] = await Promise.all(uploads.map((upload) => pipeline.readBack(upload)));
      expect(forced.batch.format).to.equal('json');
      expect(flow.batch.format).to.equal('vpcflow');
      expect(flow.entries).to.have.length(2);
    } finally {
      await pipeline.cleanup();
    }
  });
});
