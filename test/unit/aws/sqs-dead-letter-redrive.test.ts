import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SendMessageBatchRequestEntry,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { expect } from 'chai';
import sinon from 'sinon';
import { ChunkRejectedError, SqsChunkQueue } from '../../../src/adapters/aws/sqs-chunk-queue.js';
import { MAX_MESSAGE_BYTES } from '../../../src/domain/chunk.js';

const queues = { queueUrl: 'https://sqs.us-east-1.amazonaws.com/1/chunks', deadLetterQueueUrl: 'https://sqs.us-east-1.amazonaws.com/1/chunks-dlq' };
/** Far more calls than a redrive of a few messages needs: past it the fake fails, so a spinning loop ends the test. */
const RUNAWAY_CALLS = 500;

const message = (index: number): Message => ({ MessageId: `m${index}`, ReceiptHandle: `r${index}`, Body: `{"chunk":${index}}` });
/** A dead letter about the size of a full chunk (256 KiB budget), with the attributes the worker gives it. */
const bigMessage = (index: number): Message => ({
  ...message(index),
  Body: `{"chunk":${index}}`.padEnd(250_000, ' '),
  MessageAttributes: { reason: { DataType: 'String', StringValue: 'failed 5 time(s), last: boom' } },
});
const bodyBytes = (entries: readonly SendMessageBatchRequestEntry[]) => entries.reduce((sum, entry) => sum + Buffer.byteLength(entry.MessageBody ?? '', 'utf8'), 0);

/**
 * An SQS whose DLQ reports `approximateCount` messages however many are really left (SQS's counts are approximate
 * and lag), and whose receives on the DLQ return `receives` in turn, then nothing.
 */
function fakeSqs(
  approximateCount: number,
  receives: Message[][],
  answerSend: (entries: SendMessageBatchRequestEntry[], call: number) => { Failed?: { Id?: string; Code?: string; SenderFault?: boolean }[] } = () => ({ Failed: [] }),
) {
  const pending = [...receives];
  const calls = {
    attributes: 0,
    receives: 0,
    sent: [] as string[],
    deleted: [] as string[],
    released: [] as string[],
    /** Every call that changes a queue, in order: `send m0,m1`, `delete r0,r1`, `release r2`. */
    log: [] as string[],
    batches: [] as SendMessageBatchRequestEntry[][],
  };
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
      const entries = command.input.Entries ?? [];
      calls.batches.push(entries);
      calls.log.push(`send ${entries.map((entry) => entry.Id).join(',')}`);
      const answer = answerSend(entries, calls.batches.length);
      const failedIds = new Set((answer.Failed ?? []).map((failure) => failure.Id));
      calls.sent.push(...entries.filter((entry) => !failedIds.has(entry.Id)).map((entry) => entry.MessageBody ?? ''));
      return answer;
    }
    if (command instanceof DeleteMessageBatchCommand) {
      const handles = (command.input.Entries ?? []).map((entry) => entry.ReceiptHandle ?? '');
      calls.deleted.push(...handles);
      calls.log.push(`delete ${handles.join(',')}`);
      return { Failed: [] };
    }
    if (command instanceof ChangeMessageVisibilityBatchCommand) {
      const handles = (command.input.Entries ?? []).map((entry) => entry.ReceiptHandle ?? '');
      calls.released.push(...handles);
      calls.log.push(`release ${handles.join(',')}`);
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

    it('re-sends full-size dead letters in batches within 10 messages and 1 MiB, deleting each batch once it is sent', async () => {
      const letters = Array.from({ length: 10 }, (_, index) => bigMessage(index));
      const { queue, calls } = fakeSqs(10, [letters]);

      const moved = await queue.redriveDeadLetters();

      expect(moved).to.equal(10);
      expect(calls.batches.map((batch) => batch.length)).to.deep.equal([4, 4, 2]);
      expect(calls.batches.every((batch) => bodyBytes(batch) <= MAX_MESSAGE_BYTES)).to.equal(true);
      expect(calls.sent).to.deep.equal(letters.map((letter) => letter.Body));
      // The reason stays behind: a redriven chunk starts over as a fresh message.
      expect(calls.batches.flat().every((entry) => entry.MessageAttributes === undefined)).to.equal(true);
      expect(calls.log).to.deep.equal([
        'send m0,m1,m2,m3',
        'delete r0,r1,r2,r3',
        'send m4,m5,m6,m7',
        'delete r4,r5,r6,r7',
        'send m8,m9',
        'delete r8,r9',
      ]);
    });

    it('deletes what a failing batch did send, makes the rest visible in the DLQ again and throws', async () => {
      const letters = Array.from({ length: 10 }, (_, index) => bigMessage(index));
      const { queue, calls } = fakeSqs(10, [letters], (entries, call) =>
        call === 2 ? { Failed: [{ Id: entries[1].Id, Code: 'InvalidMessageContents', SenderFault: true }] } : { Failed: [] },
      );

      const failure = await queue.redriveDeadLetters().then(
        () => undefined,
        (error: unknown) => error,
      );

      expect(failure).to.be.instanceOf(ChunkRejectedError);
      expect((failure as Error).message).to.include('m5: InvalidMessageContents');
      expect(calls.log).to.deep.equal(['send m0,m1,m2,m3', 'delete r0,r1,r2,r3', 'send m4,m5,m6,m7', 'delete r4,r6,r7', 'release r5,r8,r9']);
      // Every dead letter is in exactly one place: sent and deleted, or still in the DLQ.
      expect([...calls.deleted, ...calls.released].sort()).to.deep.equal(letters.map((letter) => letter.ReceiptHandle).sort());
    });

    it('makes every received dead letter visible again when the first batch fails for good, deleting none', async () => {
      const letters = [message(0), message(1), message(2)];
      const { queue, calls } = fakeSqs(3, [letters], () => {
        throw Object.assign(new Error('Access to the resource is denied.'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
      });

      const failure = await queue.redriveDeadLetters().then(
        () => undefined,
        (error: unknown) => error,
      );

      expect((failure as Error).name).to.equal('AccessDenied');
      expect(calls.log).to.deep.equal(['send m0,m1,m2', 'release r0,r1,r2']);
    });
  });
});
