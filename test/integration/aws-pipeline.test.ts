import { expect } from 'chai';
import type { ProcessChunk } from '../../src/application/process-chunk.use-case.js';
import type { SplitLogObject } from '../../src/application/split-log-object.use-case.js';
import type { LogRepository } from '../../src/application/ports/log-repository.port.js';
import type { QueueConsumer, ReceivedMessage } from '../../src/application/ports/queue-consumer.port.js';
import { RequestCounter } from '../../src/adapters/instrumentation/request-counter.js';
import { estimateCostUsd } from '../../src/adapters/aws/pricing.js';
import { AWS_TOKENS } from '../../src/di/aws.tokens.js';
import { awsModule } from '../../src/di/aws.module.js';
import { createContainer } from '../../src/di/container.js';
import { TOKENS } from '../../src/di/tokens.js';
import { BatchStatus } from '../../src/domain/batch.js';
import { createEmulatorClients, type EmulatorStack, type ResourceNames } from '../../src/local/emulator-stack.js';
import { isolatedResources, putObject } from '../helpers/emulators.js';
import { SdkFaultInjector } from '../helpers/sdk-faults.js';

const LOG = [
  '{"time":"2026-11-26T09:00:00.000Z","level":"info","msg":"started"}',
  '{"time":"2026-11-26T09:00:01.000Z","level":"error","msg":"failed","http.response.status_code":500}',
  '{"time":"2026-11-26T09:00:01.500Z","msg":"cut short',
  '',
  '{"time":"2026-11-26T09:00:02.000Z","level":"warn","msg":"slow"}',
].join('\n');

describe('pipeline on the emulators (AWS adapters through the container)', function () {
  this.timeout(60_000);
  let stack: EmulatorStack;
  let names: ResourceNames;
  let cleanup: () => Promise<void>;

  beforeEach(async () => {
    ({ stack, names, cleanup } = await isolatedResources('pipe', { visibilityTimeoutSeconds: 30, maxReceiveCount: 3 }));
  });

  afterEach(async () => {
    await cleanup();
  });

  function wire(options: { workerMaxReceiveCount?: number; counter?: RequestCounter; faults?: SdkFaultInjector } = {}) {
    const config = {
      tableName: names.tableName,
      queueUrl: names.queueUrl,
      deadLetterQueueUrl: names.dlqUrl,
      continuationQueueUrl: names.continuationQueueUrl,
      pipeline: { maxReceiveCount: options.workerMaxReceiveCount ?? 3, maxChunkLines: 2 },
    };
    const clients = createEmulatorClients(stack.endpoints);
    options.faults?.installOn(clients);
    const container = createContainer({
      adapters: awsModule(config, { clients, counter: options.counter }),
      settings: config.pipeline,
    });
    return {
      split: container.get<SplitLogObject>(TOKENS.SplitLogObject),
      process: container.get<ProcessChunk>(TOKENS.ProcessChunk),
      repository: container.get<LogRepository>(TOKENS.LogRepository),
      consumer: container.get<QueueConsumer>(TOKENS.QueueConsumer),
    };
  }

  async function receiveAll(consumer: QueueConsumer, expected: number): Promise<ReceivedMessage[]> {
    const received: ReceivedMessage[] = [];
    for (let polls = 0; received.length < expected && polls < 20; polls++) received.push(...(await consumer.receive(10, { waitMs: 100 })));
    return received;
  }

  it('splits an object once per S3 event duplicate, and counts a redelivered chunk once', async () => {
    const counter = new RequestCounter();
    const { split, process, repository, consumer } = wire({ counter });
    await putObject(stack, names.bucket, 'app/one.log', LOG);

    const first = await split.execute({ bucket: names.bucket, key: 'app/one.log' });
    const duplicate = await split.execute({ bucket: names.bucket, key: 'app/one.log' });
    const messages = await receiveAll(consumer, 3);
    for (const message of messages) await process.handleDelivery({ body: message.body, receiveCount: message.receiveCount });
    // The same chunk delivered again (at-least-once): entries rewritten, counters untouched.
    const redelivered = await process.handleDelivery({ body: messages[0].body, receiveCount: 2 });
    for (const message of messages) await consumer.delete(message.receiptHandle);
    const batch = await repository.getBatch(first.kind === 'split' ? first.batch.batchId : '');
    const entries = await repository.listEntries(batch?.batchId ?? '');

    expect(first.kind).to.equal('split');
    expect(duplicate.kind).to.equal('duplicate');
    expect(messages).to.have.length(3);
    expect(redelivered).to.deep.include({ kind: 'processed' });
    expect(redelivered.kind === 'processed' && redelivered.outcome.counted).to.equal(false);
    expect(batch).to.deep.include({ status: BatchStatus.COMPLETED_WITH_ERRORS, processedChunks: 3, totalChunks: 3, totalLines: 5 });
    expect(batch?.stats).to.deep.include({ entries: 4, unparsed: 1, blank: 1 });
    expect(entries.items.map((entry) => entry.lineNumber)).to.deep.equal([1, 2, 3, 5]);
    expect(counter.get('s3.GetObject')).to.equal(1);
    expect(counter.get('sqs.SendMessageBatch')).to.equal(1);
    expect(counter.get('sqsBilledRequests')).to.be.greaterThan(0);
    expect(counter.get('dynamodb.TransactWriteItems')).to.be.at.least(4);
    expect(estimateCostUsd(counter.snapshot())).to.be.greaterThan(0);
  });

  it('stores every line once when SQS fails some entries of each SendMessageBatch and DynamoDB hands back unprocessed items, with throttling', async () => {
    // 24 lines in chunks of 2: 12 chunks, sent as batches of 10 and 2; each chunk is one BatchWriteItem of 2 entries.
    const lines = Array.from({ length: 24 }, (_, index) => JSON.stringify({ time: '2026-11-26T09:00:00.000Z', level: 'info', msg: `line ${index + 1}` }));
    const faults = new SdkFaultInjector({ seed: 11, partialRate: 1, throttleRate: 0.3 });
    const counter = new RequestCounter();
    const { split, process, repository, consumer } = wire({ faults, counter });
    await putObject(stack, names.bucket, 'app/faulted.log', lines.join('\n'));

    const outcome = await split.execute({ bucket: names.bucket, key: 'app/faulted.log' });
    const receivedChunks: number[] = [];
    for (let emptyPolls = 0; emptyPolls < 2; ) {
      const messages = await consumer.receive(10, { waitMs: 100 });
      emptyPolls = messages.length === 0 ? emptyPolls + 1 : 0;
      for (const message of messages) {
        receivedChunks.push((JSON.parse(message.body.split('\n', 1)[0]) as { chunk: number }).chunk);
        await process.handleDelivery({ body: message.body, receiveCount: message.receiveCount });
        await consumer.delete(message.receiptHandle);
      }
    }
    const batchId = outcome.kind === 'split' ? outcome.batch.batchId : '';
    const batch = await repository.getBatch(batchId);
    const entries = await repository.listEntries(batchId);

    expect(faults.injected.failedEntries, 'SendMessageBatch entries failed').to.be.greaterThan(0);
    expect(faults.injected.unprocessedItems, 'BatchWriteItem items handed back').to.be.greaterThan(0);
    expect(faults.throttleCount, 'throttles').to.be.greaterThan(0);
    expect(counter.get('sqs.SendMessageBatch'), 'SendMessageBatch calls that reached fauxqs').to.be.greaterThan(2);
    expect(receivedChunks.sort((a, b) => a - b), 'each chunk delivered once').to.deep.equal(Array.from({ length: 12 }, (_, index) => index));
    expect(entries.items.map((entry) => entry.body)).to.deep.equal(lines.map((_, index) => `line ${index + 1}`));
    expect(batch).to.deep.include({ status: BatchStatus.COMPLETED, processedChunks: 12, totalChunks: 12, totalLines: 24 });
  });

  it('dead-letters a chunk that always fails on its last allowed receive, with the reason, and fails the batch', async () => {
    const { split, process, repository, consumer } = wire();
    await putObject(stack, names.bucket, 'app/poison.log', 'only line\n');
    const outcome = await split.execute({ bucket: names.bucket, key: 'app/poison.log' });
    const batchId = outcome.kind === 'split' ? outcome.batch.batchId : '';
    // Processing always fails: entries cannot be written.
    repository.putEntries = async () => {
      throw new Error('DynamoDB is on fire');
    };

    const receiveCounts: number[] = [];
    for (let attempt = 0; attempt < 3; attempt++) {
      const [message] = await receiveAll(consumer, 1);
      receiveCounts.push(message.receiveCount);
      const delivery = await process.handleDelivery({ body: message.body, receiveCount: message.receiveCount });
      if (delivery.kind === 'dead-lettered') await consumer.delete(message.receiptHandle);
      else await consumer.changeVisibility(message.receiptHandle, 0);
    }
    const deadLetters = await consumer.listDeadLetters();
    const batch = await repository.getBatch(batchId);
    const depth = await consumer.depth();

    expect(receiveCounts).to.deep.equal([1, 2, 3]);
    expect(deadLetters).to.have.length(1);
    expect(deadLetters[0].reason).to.equal('failed 3 time(s), last: DynamoDB is on fire');
    expect(batch).to.deep.include({ status: BatchStatus.FAILED, failureCode: 'DEAD_LETTERED_CHUNKS', deadLetteredChunks: [0] });
    expect(depth).to.deep.equal({ visible: 0, inFlight: 0, deadLettered: 1 });
  });

  it('lets SQS move a chunk to the DLQ after maxReceiveCount receives when the worker never deletes it', async () => {
    const { split, consumer } = wire({ workerMaxReceiveCount: 10 });
    await putObject(stack, names.bucket, 'app/stuck.log', 'stuck line\n');
    await split.execute({ bucket: names.bucket, key: 'app/stuck.log' });

    for (let attempt = 0; attempt < 3; attempt++) {
      const [message] = await receiveAll(consumer, 1);
      await consumer.changeVisibility(message.receiptHandle, 0);
    }
    const afterLimit = await consumer.receive(10, { waitMs: 200 });
    const deadLetters = await consumer.listDeadLetters();
    const listedAgain = await consumer.listDeadLetters();

    expect(afterLimit).to.have.length(0);
    expect(deadLetters.map((message) => message.reason)).to.deep.equal(['moved by SQS after maxReceiveCount (10) receives']);
    expect(listedAgain).to.have.length(1);
  });
});
