import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { expect } from 'chai';
import sinon from 'sinon';
import { SqsChunkQueue } from '../../../src/adapters/aws/sqs-chunk-queue.js';

const queues = { queueUrl: 'https://sqs.us-east-1.amazonaws.com/1/chunks', deadLetterQueueUrl: 'https://sqs.us-east-1.amazonaws.com/1/chunks-dlq' };
/** Far more calls than a redrive of a few messages needs: past it the fake fails, so a spinning loop ends the test. */
const RUNAWAY_CALLS = 500;

const message = (index: number): Message => ({ MessageId: `m${index}`, ReceiptHandle: `r${index}`, Body: `{"chunk":${index}}` });

/**
 * An SQS whose DLQ reports `approximateCount` messages however many are really left (SQS's counts are approximate
 * and lag), and whose receives on the DLQ return `receives` in turn, then nothing.
 */
function fakeSqs(approximateCount: number, receives: Message[][]) {
  const pending = [...receives];
  const calls = { attributes: 0, receives: 0, sent: [] as string[], deleted: [] as string[] };
  const send = sinon.stub().callsFake(async (command: unknown) => {
    if (send.callCount > RUNAWAY_CALLS) throw new Error(`runaway: ${send.callCount} SQS calls`);
    if (command instanceof GetQueueAttributesCommand) {
      calls.attributes += 1;
      return { Attributes: { ApproximateNumberOfMessages: String(approximateCount), ApproximateNumberOfMessagesNotVisible: '0' } };
    }
    if (command instanceof ReceiveMessageCommand) {
      calls.receives += 1;
      return { Messages: command.input.QueueUrl === queues.deadLetterQueueUrl ? (pending.shift() ?? []) : [] };
    }
    if (command instanceof SendMessageBatchCommand) {
      calls.sent.push(...(command.input.Entries ?? []).map((entry) => entry.MessageBody ?? ''));
      return { Failed: [] };
    }
    if (command instanceof DeleteMessageBatchCommand) {
      calls.deleted.push(...(command.input.Entries ?? []).map((entry) => entry.ReceiptHandle ?? ''));
      return { Failed: [] };
    }
    throw new Error(`unexpected command ${(command as object).constructor.name}`);
  });
  const sleep = sinon.stub().resolves();
  const queue = new SqsChunkQueue({ send } as unknown as SQSClient, queues, { sleep, random: () => 0.5 });
  return { queue, send, sleep, calls };
}

describe('SqsChunkQueue', () => {
  describe('redriveDeadLetters', () => {
    it('stops after a few empty receives, with a backoff between them, when the approximate count stays stale', async () => {
      const { queue, send, sleep, calls } = fakeSqs(5, [[message(0), message(1)]]);

      const moved = await queue.redriveDeadLetters();

      expect(moved).to.equal(2);
      expect(calls.sent).to.deep.equal(['{"chunk":0}', '{"chunk":1}']);
      expect(calls.deleted).to.deep.equal(['r0', 'r1']);
      // One receive that moved both, then at most three empty ones.
      expect(calls.receives).to.be.within(2, 4);
      expect(send.callCount).to.be.at.most(8);
      expect(sleep.callCount).to.equal(calls.receives - 2);
      expect(sleep.args.every(([ms]) => ms > 0)).to.equal(true);
    });

    it('moves messages a short poll missed: one empty receive is not the end', async () => {
      const { queue, calls } = fakeSqs(3, [[message(0)], [], [message(1), message(2)]]);

      const moved = await queue.redriveDeadLetters();

      expect(moved).to.equal(3);
      expect(calls.deleted).to.deep.equal(['r0', 'r1', 'r2']);
      expect(calls.receives).to.equal(3);
    });

    it('moves no more than the count at the start, so chunks that fail again at once do not cycle', async () => {
      const { queue, calls } = fakeSqs(2, [[message(0), message(1)], [message(2)]]);

      const moved = await queue.redriveDeadLetters();

      expect(moved).to.equal(2);
      expect(calls.receives).to.equal(1);
    });
  });
});
