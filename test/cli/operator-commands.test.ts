import { expect } from 'chai';
import type { ChunkQueue } from '../../src/application/ports/chunk-queue.port.js';
import type { LogRepository } from '../../src/application/ports/log-repository.port.js';
import type { QueueConsumer, ReceivedMessage } from '../../src/application/ports/queue-consumer.port.js';
import type { ProcessChunk } from '../../src/application/process-chunk.use-case.js';
import type { SplitLogObject } from '../../src/application/split-log-object.use-case.js';
import { awsModule } from '../../src/di/aws.module.js';
import { createContainer } from '../../src/di/container.js';
import { TOKENS } from '../../src/di/tokens.js';
import { peekChunkIdentity } from '../../src/domain/chunk.js';
import { createEmulatorClients, type EmulatorStack, type ResourceNames } from '../../src/local/emulator-stack.js';
import { runCli } from '../helpers/cli.js';
import { isolatedResources, putObject } from '../helpers/emulators.js';

describe('logbatch status, batches and dlq (on the emulators)', function () {
  this.timeout(120_000);
  let stack: EmulatorStack;
  let names: ResourceNames;
  let cleanup: () => Promise<void>;

  before(async () => {
    ({ stack, names, cleanup } = await isolatedResources('ops', { visibilityTimeoutSeconds: 30, maxReceiveCount: 5 }));
  });

  after(async () => {
    await cleanup();
  });

  /** What `logbatch emulator` prints to export, for these resources. */
  const environment = () => ({
    ...stack.environment,
    LOGBATCH_TABLE_NAME: names.tableName,
    LOGBATCH_QUEUE_URL: names.queueUrl,
    LOGBATCH_DLQ_URL: names.dlqUrl,
  });

  it('shows a dead-lettered chunk in the DLQ and its batch, and completes the batch after a redrive', async () => {
    const config = { tableName: names.tableName, queueUrl: names.queueUrl, deadLetterQueueUrl: names.dlqUrl, pipeline: { maxChunkLines: 2 } };
    const container = createContainer({ adapters: awsModule(config, { clients: createEmulatorClients(stack.endpoints) }), settings: config.pipeline });
    const split = container.get<SplitLogObject>(TOKENS.SplitLogObject);
    const process = container.get<ProcessChunk>(TOKENS.ProcessChunk);
    const consumer = container.get<QueueConsumer>(TOKENS.QueueConsumer);
    const queue = container.get<ChunkQueue>(TOKENS.ChunkQueue);
    await putObject(stack, names.bucket, 'ops/app.log', 'one\ntwo\nthree\nfour\n');
    const outcome = await split.execute({ bucket: names.bucket, key: 'ops/app.log' });
    const batchId = outcome.kind === 'split' ? outcome.batch.batchId : '';
    const messages: ReceivedMessage[] = [];
    while (messages.length < 2) messages.push(...(await consumer.receive(10, { waitMs: 200 })));
    const [good, bad] = messages.sort((a, b) => peekChunkIdentity(a.body).chunk! - peekChunkIdentity(b.body).chunk!);
    await process.handleDelivery({ body: good.body, receiveCount: 1 });
    // A worker that died on the chunk's last receive: the message reaches the DLQ, the batch is not told.
    await queue.deadLetter(bad.body, 'worker died on the last receive');
    for (const message of messages) await consumer.delete(message.receiptHandle);

    const listed = await runCli(['dlq', 'list', '--json'], { env: environment() });
    const failed = await runCli(['status', batchId], { env: environment() });
    const redriven = await runCli(['dlq', 'redrive'], { env: environment() });
    const [again] = await consumer.receive(10, { waitMs: 1000 });
    await process.handleDelivery({ body: again.body, receiveCount: again.receiveCount });
    await consumer.delete(again.receiptHandle);
    const completed = await runCli(['status', batchId, '--json'], { env: environment() });
    const batches = await runCli(['batches'], { env: environment() });

    expect(listed.code, listed.stderr).to.equal(0);
    expect(JSON.parse(listed.stdout)).to.deep.equal([
      { messageId: JSON.parse(listed.stdout)[0].messageId, reason: 'worker died on the last receive', batchId, chunk: 1, batchStatus: 'FAILED' },
    ]);
    expect(failed.code).to.equal(1);
    expect(failed.stdout).to.match(/status\s+FAILED/).and.match(/^dead-lettered chunks\s+#1 \(1 chunk\)$/m).and.match(/reason\s+DEAD_LETTERED_CHUNKS 1 chunk\(s\) dead-lettered: 1/);
    expect(redriven.stdout.trim()).to.equal('moved 1 message(s) back to the chunk queue');
    expect(completed.code).to.equal(0);
    expect(JSON.parse(completed.stdout)).to.deep.include({ status: 'COMPLETED', processedChunks: 2, deadLetteredChunks: [] });
    expect(JSON.parse(completed.stdout).stats).to.deep.include({ lines: 4, entries: 4 });
    expect(batches.stdout).to.match(new RegExp(`${batchId}\\s+COMPLETED\\s+100% \\(2/2 chunks\\)`));
  });

  it('shows dead-lettered chunk indexes as indexes, chunk #0 included, not as a count', async () => {
    const config = { tableName: names.tableName, queueUrl: names.queueUrl, deadLetterQueueUrl: names.dlqUrl, pipeline: { maxChunkLines: 1 } };
    const container = createContainer({ adapters: awsModule(config, { clients: createEmulatorClients(stack.endpoints) }), settings: config.pipeline });
    const repository = container.get<LogRepository>(TOKENS.LogRepository);
    await putObject(stack, names.bucket, 'ops/zero.log', 'one\ntwo\nthree\n');
    const outcome = await container.get<SplitLogObject>(TOKENS.SplitLogObject).execute({ bucket: names.bucket, key: 'ops/zero.log' });
    const batchId = outcome.kind === 'split' ? outcome.batch.batchId : '';
    await repository.recordChunkDeadLettered(batchId, 0, 'poison');
    const one = await runCli(['status', batchId], { env: environment() });
    await repository.recordChunkDeadLettered(batchId, 2, 'poison');
    const two = await runCli(['status', batchId], { env: environment() });

    expect(one.stdout, one.stderr).to.match(/^dead-lettered chunks\s+#0 \(1 chunk\)$/m);
    expect(two.stdout, two.stderr).to.match(/^dead-lettered chunks\s+#0, #2 \(2 chunks\)$/m);
  });

  it('refuses a --limit that is not a positive integer with one line and exit 2, before asking the services', async () => {
    const calls = [
      ['batches', '--limit', 'abc'],
      ['batches', '--limit', '0'],
      ['dlq', 'list', '--limit', 'abc'],
      ['dlq', 'list', '--limit', '0'],
      ['dlq', 'list', '--limit', '-5'],
    ];
    const results = [];
    for (const args of calls) results.push(await runCli(args, { env: environment() }));

    results.forEach((result, index) => {
      const call = calls[index].join(' ');
      expect(result.code, `${call}: ${result.stdout}${result.stderr}`).to.equal(2);
      expect(result.stderr, call).to.match(/^logbatch: option '--limit <n>' argument '.*' is invalid\. --limit must be a positive integer\n$/);
      expect(result.stdout, call).to.equal('');
    });
  });

  it('names the missing configuration instead of failing obscurely', async () => {
    const result = await runCli(['batches'], { env: { LOGBATCH_TABLE_NAME: '', LOGBATCH_QUEUE_URL: '', LOGBATCH_DLQ_URL: '', LOGBATCH_STORE: '' } });

    expect(result.code).to.equal(2);
    expect(result.stderr).to.match(/^logbatch: no store and no stack given: pass --store PATH .* or --table /);
    expect(result.stderr).to.not.match(/\n\s+at /);
  });

  it('says so for an unknown batch id', async () => {
    const result = await runCli(['status', 'no-such-batch'], { env: environment() });

    expect(result.code).to.equal(2);
    expect(result.stderr.trim()).to.equal('logbatch: no batch no-such-batch in this table');
  });
});
