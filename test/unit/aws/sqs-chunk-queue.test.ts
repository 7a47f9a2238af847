import { SendMessageBatchCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { expect } from 'chai';
import sinon from 'sinon';
import { ChunkRejectedError, SqsChunkQueue } from '../../../src/adapters/aws/sqs-chunk-queue.js';
import { SqsSplitContinuations } from '../../../src/adapters/aws/sqs-split-continuations.js';
import type { SplitContinuation } from '../../../src/domain/continuation.js';
import { ConfigurationError, TransientFailureError } from '../../../src/domain/errors.js';

const queues = { queueUrl: 'https://sqs.us-east-1.amazonaws.com/1/chunks', deadLetterQueueUrl: 'https://sqs.us-east-1.amazonaws.com/1/chunks-dlq' };
const chunk = (index: number) => ({ chunk: index, body: `{"chunk":${index}}`, bytes: `{"chunk":${index}}`.length });

function queueWith(send: sinon.SinonStub, maxAttempts = 5) {
  const sleep = sinon.stub().resolves();
  const queue = new SqsChunkQueue({ send } as unknown as SQSClient, queues, { maxAttempts, sleep, random: () => 0.5 });
  return { queue, sleep };
}

const entryIdsOf = (call: sinon.SinonSpyCall) => ((call.args[0] as SendMessageBatchCommand).input.Entries ?? []).map((entry) => entry.Id);

describe('SqsChunkQueue', () => {
  describe('sendBatch', () => {
    it('sends one SendMessageBatch with entry ids c<chunk>', async () => {
      const send = sinon.stub().resolves({ Successful: [], Failed: [] });
      const { queue } = queueWith(send);

      await queue.sendBatch([chunk(4), chunk(5)]);

      expect(send.callCount).to.equal(1);
      expect(send.firstCall.args[0]).to.be.instanceOf(SendMessageBatchCommand);
      expect((send.firstCall.args[0] as SendMessageBatchCommand).input.QueueUrl).to.equal(queues.queueUrl);
      expect(entryIdsOf(send.firstCall)).to.deep.equal(['c4', 'c5']);
    });

    it('resends only the entries that failed in a partial failure, after a backoff', async () => {
      const send = sinon.stub();
      send.onCall(0).resolves({ Failed: [{ Id: 'c1', Code: 'InternalError', SenderFault: false }] });
      send.onCall(1).resolves({ Failed: [] });
      const { queue, sleep } = queueWith(send);

      await queue.sendBatch([chunk(0), chunk(1), chunk(2)]);

      expect(send.callCount).to.equal(2);
      expect(entryIdsOf(send.secondCall)).to.deep.equal(['c1']);
      expect(sleep.callCount).to.equal(1);
    });

    it('retries a throttled call as a whole', async () => {
      const send = sinon.stub();
      send.onCall(0).rejects(Object.assign(new Error('slow down'), { name: 'RequestThrottled', $metadata: { httpStatusCode: 403 } }));
      send.onCall(1).resolves({});
      const { queue } = queueWith(send);

      await queue.sendBatch([chunk(0), chunk(1)]);

      expect(entryIdsOf(send.secondCall)).to.deep.equal(['c0', 'c1']);
    });

    it('throws a TransientFailureError naming the chunks when retries run out', async () => {
      const send = sinon.stub().resolves({ Failed: [{ Id: 'c7', Code: 'ServiceUnavailable', SenderFault: false }] });
      const { queue } = queueWith(send, 3);

      const error = await queue.sendBatch([chunk(6), chunk(7)]).catch((caught: unknown) => caught);

      expect(error).to.be.instanceOf(TransientFailureError);
      expect((error as Error).message).to.include('c7').and.include('after 3 attempts');
      expect(send.callCount).to.equal(3);
    });

    it('does not retry an entry SQS rejects as the sender’s fault', async () => {
      const send = sinon.stub().resolves({ Failed: [{ Id: 'c2', Code: 'InvalidMessageContents', SenderFault: true, Message: 'bad characters' }] });
      const { queue } = queueWith(send);

      const error = await queue.sendBatch([chunk(2)]).catch((caught: unknown) => caught);

      expect(error).to.be.instanceOf(ChunkRejectedError);
      expect((error as Error).message).to.include('InvalidMessageContents');
      expect(send.callCount).to.equal(1);
    });

    it('refuses more than ten chunks or more than 1 MiB without calling SQS', async () => {
      const send = sinon.stub().resolves({});
      const { queue } = queueWith(send);
      const big = { chunk: 0, body: 'x', bytes: 1024 * 1024 + 1 };

      const tooMany = await queue.sendBatch(Array.from({ length: 11 }, (_, index) => chunk(index))).catch((caught: unknown) => caught);
      const tooBig = await queue.sendBatch([big]).catch((caught: unknown) => caught);

      expect(tooMany).to.be.instanceOf(RangeError);
      expect(tooBig).to.be.instanceOf(RangeError);
      expect(send.callCount).to.equal(0);
    });
  });

  describe('deadLetter', () => {
    it('sends the body to the DLQ with the reason and time as message attributes', async () => {
      const send = sinon.stub().resolves({});
      const { queue } = queueWith(send);

      await queue.deadLetter('{"broken":true}', 'failed 5 time(s), last: boom\u0000');

      const input = (send.firstCall.args[0] as SendMessageCommand).input;
      expect(send.firstCall.args[0]).to.be.instanceOf(SendMessageCommand);
      expect(input.QueueUrl).to.equal(queues.deadLetterQueueUrl);
      expect(input.MessageBody).to.equal('{"broken":true}');
      expect(input.MessageAttributes?.reason).to.deep.equal({ DataType: 'String', StringValue: 'failed 5 time(s), last: boom\uFFFD' });
      expect(input.MessageAttributes?.deadLetteredAt?.StringValue).to.match(/^\d{4}-\d{2}-\d{2}T/);
    });
  });
});

describe('SqsSplitContinuations', () => {
  const continuation: SplitContinuation = {
    v: 1,
    bucket: 'ingest',
    key: 'big.log',
    etag: 'e1',
    resume: { batchId: 'b1', format: 'json', byteOffset: 1024, nextLineNumber: 11, nextChunkIndex: 2 },
    handOvers: 0,
  };

  describe('handOver', () => {
    it('sends the continuation as JSON to the continuation queue', async () => {
      const send = sinon.stub().resolves({});
      const continuations = new SqsSplitContinuations({ send } as unknown as SQSClient, { continuationQueueUrl: 'https://sqs/1/continuations' });

      await continuations.handOver(continuation);

      const input = (send.firstCall.args[0] as SendMessageCommand).input;
      expect(input.QueueUrl).to.equal('https://sqs/1/continuations');
      expect(JSON.parse(input.MessageBody ?? '')).to.deep.equal(continuation);
    });

    it('fails with a ConfigurationError naming the variable when no queue is configured', async () => {
      const send = sinon.stub().resolves({});
      const continuations = new SqsSplitContinuations({ send } as unknown as SQSClient, {});

      const error = await continuations.handOver(continuation).catch((caught: unknown) => caught);

      expect(error).to.be.instanceOf(ConfigurationError);
      expect((error as Error).message).to.include('LOGBATCH_CONTINUATION_QUEUE_URL');
      expect(send.callCount).to.equal(0);
    });
  });
});
