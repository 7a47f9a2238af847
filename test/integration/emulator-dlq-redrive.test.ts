import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { expect } from 'chai';
import { SqsChunkQueue } from '../../src/adapters/aws/sqs-chunk-queue.js';
import type { QueueConsumer } from '../../src/application/ports/queue-consumer.port.js';
import { MAX_MESSAGE_BYTES, MAX_MESSAGES_PER_SEND } from '../../src/domain/chunk.js';
import type { EmulatorStack, ResourceNames } from '../../src/local/emulator-stack.js';
import { isolatedResources } from '../helpers/emulators.js';

/** Close to the default 256 KiB chunk budget: four fit in one 1 MiB batch, ten do not. */
const DEAD_LETTER_BYTES = 250_000;
const DEAD_LETTERS = 10;

/** A distinct body of exactly `DEAD_LETTER_BYTES` bytes. */
const bigBody = (index: number) => `{"chunk":${index},"pad":"`.padEnd(DEAD_LETTER_BYTES - 2, 'x') + '"}';

/** The SQS client, recording the size of every SendMessageBatch and failing the ones `failOn` picks. */
function recordingClient(sqs: SQSClient, failOn: (call: number) => Error | undefined = () => undefined) {
  const batches: { entries: number; bytes: number }[] = [];
  const client = {
    send: async (command: Parameters<SQSClient['send']>[0]) => {
      if (command instanceof SendMessageBatchCommand) {
        const entries = command.input.Entries ?? [];
        batches.push({ entries: entries.length, bytes: entries.reduce((sum, entry) => sum + Buffer.byteLength(entry.MessageBody ?? '', 'utf8'), 0) });
        const failure = failOn(batches.length);
        if (failure !== undefined) throw failure;
      }
      return sqs.send(command);
    },
  } as unknown as SQSClient;
  return { client, batches };
}

/** Every body on the chunk queue, received (and deleted) until none come back. */
async function drain(queue: QueueConsumer): Promise<string[]> {
  const bodies: string[] = [];
  for (;;) {
    const messages = await queue.receive(10);
    if (messages.length === 0) return bodies;
    for (const message of messages) {
      bodies.push(message.body);
      await queue.delete(message.receiptHandle);
    }
  }
}

describe('SqsChunkQueue on fauxqs', function () {
  this.timeout(60_000);
  let stack: EmulatorStack;
  let names: ResourceNames;
  let cleanup: () => Promise<void>;

  beforeEach(async () => {
    ({ stack, names, cleanup } = await isolatedResources('redrive'));
  });

  afterEach(async () => {
    await cleanup();
  });

  const queueOn = (client: SQSClient) =>
    new SqsChunkQueue(client, { queueUrl: names.queueUrl, deadLetterQueueUrl: names.dlqUrl, pipeline: { maxReceiveCount: 5 } }, { baseDelayMs: 1, maxDelayMs: 5 });

  const deadLetterBigChunks = async (queue: SqsChunkQueue) => {
    const bodies = Array.from({ length: DEAD_LETTERS }, (_, index) => bigBody(index));
    for (const [index, body] of bodies.entries()) await queue.deadLetter(body, `failed 5 time(s), last: boom ${index}`);
    return bodies;
  };

  describe('redriveDeadLetters', () => {
    it('moves ten full-size dead letters back in batches of at most ten messages and 1 MiB', async () => {
      const { client, batches } = recordingClient(stack.clients.sqs);
      const queue = queueOn(client);
      const bodies = await deadLetterBigChunks(queue);

      const moved = await queue.redriveDeadLetters();
      const depth = await queue.depth();
      const redriven = await drain(queue);

      expect(moved).to.equal(DEAD_LETTERS);
      expect(depth).to.deep.equal({ visible: DEAD_LETTERS, inFlight: 0, deadLettered: 0 });
      expect([...redriven].sort()).to.deep.equal([...bodies].sort());
      expect(batches.length).to.be.greaterThan(1);
      for (const batch of batches) {
        expect(batch.entries).to.be.at.most(MAX_MESSAGES_PER_SEND);
        expect(batch.bytes).to.be.at.most(MAX_MESSAGE_BYTES);
      }
    });

    it('keeps every dead letter exactly once across the queues when a re-send fails part-way, and a second redrive moves the rest', async () => {
      const refused = () => Object.assign(new Error('Access to the resource is denied.'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
      const { client } = recordingClient(stack.clients.sqs, (call) => (call === 2 ? refused() : undefined));
      const queue = queueOn(client);
      const bodies = await deadLetterBigChunks(queue);

      const failure = await queue.redriveDeadLetters().then(
        () => undefined,
        (error: unknown) => error as Error,
      );
      // Without waiting out the visibility timeout: what was not sent is visible in the DLQ again at once.
      const left = (await queue.listDeadLetters()).map((message) => message.body);
      const movedFirst = await drain(queue);
      const movedSecond = await queue.redriveDeadLetters();
      const movedAfter = await drain(queue);
      const depth = await queue.depth();

      expect(failure?.name).to.equal('AccessDenied');
      expect(movedFirst.length).to.be.greaterThan(0);
      expect([...movedFirst, ...left].sort()).to.deep.equal([...bodies].sort());
      expect(movedSecond).to.equal(left.length);
      expect([...movedFirst, ...movedAfter].sort()).to.deep.equal([...bodies].sort());
      expect(depth).to.deep.equal({ visible: 0, inFlight: 0, deadLettered: 0 });
    });
  });
});
