import { expect } from 'chai';
import type { ChunkQueue, EncodedChunk } from '../../src/application/ports/chunk-queue.port.js';
import type { QueueConsumer, ReceivedMessage } from '../../src/application/ports/queue-consumer.port.js';
import { MAX_MESSAGE_BYTES } from '../../src/domain/chunk.js';

export interface ChunkQueueFixture {
  /** A fresh, empty queue with its DLQ. */
  readonly queue: ChunkQueue & QueueConsumer;
  /** The redrive policy's maxReceiveCount. */
  readonly maxReceiveCount: number;
  /** How long a received message stays hidden on this queue. */
  readonly visibilityTimeoutMs: number;
  /** How close to the end of the visibility timeout a check can tell hidden from visible (clock drift, real time). */
  readonly visibilityToleranceMs: number;
  /** Lets `ms` pass for the queue: a fake clock jumps at once, a real service is waited for. */
  elapse(ms: number): Promise<void>;
  cleanup?(): Promise<void>;
}

export interface ChunkQueueFixtureOptions {
  /** The test waits the visibility timeout out: a queue on real time should make it short. */
  readonly waitsOutVisibility?: boolean;
}

const chunk = (index: number, body = `{"chunk":${index}}`): EncodedChunk => ({ chunk: index, body, bytes: Buffer.byteLength(body) });

/** Receives until `count` messages arrived or the deadline passed. */
async function receiveCount(queue: QueueConsumer, count: number, timeoutMs = 5000): Promise<ReceivedMessage[]> {
  const received: ReceivedMessage[] = [];
  const deadline = Date.now() + timeoutMs;
  while (received.length < count && Date.now() < deadline) {
    received.push(...(await queue.receive(Math.min(10, count - received.length), { waitMs: 200 })));
  }
  return received;
}

/** What every chunk queue adapter must do: SQS standard-queue semantics, as the pipeline relies on them. */
export function describeChunkQueueContract(
  adapterName: string,
  makeFixture: (options?: ChunkQueueFixtureOptions) => Promise<ChunkQueueFixture>,
): void {
  describe(`ChunkQueue contract: ${adapterName}`, () => {
    let fixture: ChunkQueueFixture;

    beforeEach(async () => {
      fixture = await makeFixture();
    });

    afterEach(async () => {
      await fixture.cleanup?.();
    });

    describe('sendBatch', () => {
      it('delivers every chunk of a batch of ten, bodies intact', async () => {
        const chunks = Array.from({ length: 10 }, (_, index) => chunk(index, JSON.stringify({ chunk: index, text: `żółć ${index} "quoted"` })));

        await fixture.queue.sendBatch(chunks);
        const received = await receiveCount(fixture.queue, 10);

        expect(received.map((message) => message.body).sort()).to.deep.equal(chunks.map((c) => c.body).sort());
        expect(received.every((message) => message.receiveCount === 1)).to.equal(true);
      });

      it('carries a message close to 1 MiB', async () => {
        const body = JSON.stringify({ lines: ['x'.repeat(1024 * 1024 - 64)] });

        await fixture.queue.sendBatch([chunk(0, body)]);
        const [received] = await receiveCount(fixture.queue, 1);

        expect(received.body.length).to.equal(body.length);
      });

      it('rejects a batch of more than ten messages', async () => {
        const error = await fixture.queue.sendBatch(Array.from({ length: 11 }, (_, index) => chunk(index))).catch((caught: unknown) => caught);

        expect(error).to.be.instanceOf(Error);
      });
    });

    describe('receive, delete and changeVisibility', () => {
      it('hides a received message and does not deliver a deleted one again', async () => {
        await fixture.queue.sendBatch([chunk(1)]);
        const [message] = await receiveCount(fixture.queue, 1);

        const whileHidden = await fixture.queue.receive(10, { waitMs: 0 });
        await fixture.queue.delete(message.receiptHandle);
        const depth = await fixture.queue.depth();

        expect(whileHidden).to.have.length(0);
        expect(depth).to.deep.include({ visible: 0, inFlight: 0 });
      });

      it('does not wait on an empty queue when the signal is already aborted', async () => {
        const started = performance.now();

        const received = await fixture.queue.receive(10, { waitMs: 5_000, signal: AbortSignal.abort() });

        expect(received).to.have.length(0);
        expect(performance.now() - started).to.be.below(2_500);
      });

      it('delivers again, with a higher receive count, a message made visible', async () => {
        await fixture.queue.sendBatch([chunk(2)]);
        const [first] = await receiveCount(fixture.queue, 1);

        await fixture.queue.changeVisibility(first.receiptHandle, 0);
        const [second] = await receiveCount(fixture.queue, 1);

        expect(second.body).to.equal(first.body);
        expect(second.receiveCount).to.equal(2);
      });

      it('redrives a message to the DLQ after maxReceiveCount receives', async () => {
        await fixture.queue.sendBatch([chunk(3)]);
        for (let attempt = 1; attempt <= fixture.maxReceiveCount; attempt++) {
          const [message] = await receiveCount(fixture.queue, 1);
          expect(message.receiveCount).to.equal(attempt);
          await fixture.queue.changeVisibility(message.receiptHandle, 0);
        }

        const afterLimit = await fixture.queue.receive(10, { waitMs: 300 });
        const deadLetters = await waitForDeadLetters(fixture.queue, 1);

        expect(afterLimit).to.have.length(0);
        expect(deadLetters.map((message) => message.body)).to.deep.equal([chunk(3).body]);
      });
    });

    describe('visibility timeout', () => {
      let timed: ChunkQueueFixture;

      beforeEach(async () => {
        timed = await makeFixture({ waitsOutVisibility: true });
      });

      afterEach(async () => {
        await timed.cleanup?.();
      });

      it('hides a received message until just before the visibility timeout ends, and delivers it again just after', async () => {
        const { queue, visibilityTimeoutMs, visibilityToleranceMs } = timed;
        await queue.sendBatch([chunk(4)]);
        const [first] = await receiveCount(queue, 1);

        await timed.elapse(visibilityTimeoutMs - visibilityToleranceMs);
        const justBefore = await queue.receive(10, { waitMs: 0 });
        await timed.elapse(2 * visibilityToleranceMs);
        const justAfter = await receiveCount(queue, 1, 2_000);

        expect(justBefore, `received again ${visibilityToleranceMs} ms before the ${visibilityTimeoutMs} ms timeout`).to.have.length(0);
        expect(justAfter.map((message) => message.body)).to.deep.equal([first.body]);
        expect(justAfter[0].receiveCount).to.equal(2);
      });
    });

    describe('deadLetter and redriveDeadLetters', () => {
      it('keeps the reason of a dead-lettered message and moves it back on redrive', async () => {
        await fixture.queue.deadLetter('{"broken":true}', 'chunk message is invalid at lines: Required');

        const listed = await waitForDeadLetters(fixture.queue, 1);
        const moved = await fixture.queue.redriveDeadLetters();
        const [back] = await receiveCount(fixture.queue, 1);
        const remaining = await fixture.queue.listDeadLetters();

        expect(listed[0].reason).to.equal('chunk message is invalid at lines: Required');
        expect(moved).to.equal(1);
        expect(back.body).to.equal('{"broken":true}');
        expect(remaining).to.have.length(0);
      });

      it('keeps a chunk of just under 1 MiB whole and cuts a long reason with … so the message fits', async () => {
        const body = chunkBodyOfBytes(MAX_MESSAGE_BYTES - 300);
        const reason = `failed 5 time(s), last: ${'żółć '.repeat(2000)}`;

        await fixture.queue.deadLetter(body, reason);
        const [listed] = await waitForDeadLetters(fixture.queue, 1);

        expect(listed.body).to.equal(body);
        expect(listed.reason).to.match(/^failed 5 time\(s\), last: żółć /).and.match(/…$/);
        expect(Buffer.byteLength(listed.body) + Buffer.byteLength(listed.reason)).to.be.at.most(MAX_MESSAGE_BYTES);
      });

      it('keeps a chunk body at the 1 MiB limit whole, even with no room left for the reason', async () => {
        const body = chunkBodyOfBytes(MAX_MESSAGE_BYTES);

        await fixture.queue.deadLetter(body, 'failed 5 time(s), last: boom');
        const [listed] = await waitForDeadLetters(fixture.queue, 1);

        expect(listed.body).to.equal(body);
        expect(listed.reason).to.be.a('string').and.not.equal('');
      });

      it('keeps the whole reason when the message has room for it', async () => {
        const body = chunkBodyOfBytes(MAX_MESSAGE_BYTES - 4096);
        const reason = `failed 5 time(s), last: ${'x'.repeat(900)}`;

        await fixture.queue.deadLetter(body, reason);
        const [listed] = await waitForDeadLetters(fixture.queue, 1);

        expect(listed.reason).to.equal(reason);
      });
    });
  });
}

/** A chunk-like JSON body of exactly `bytes` UTF-8 bytes. */
function chunkBodyOfBytes(bytes: number): string {
  const frame = '{"batchId":"b1","chunk":7,"lines":[""]}';
  const body = frame.replace('[""]', `["${'x'.repeat(bytes - Buffer.byteLength(frame))}"]`);
  expect(Buffer.byteLength(body)).to.equal(bytes);
  return body;
}

async function waitForDeadLetters(queue: QueueConsumer, count: number) {
  const deadline = Date.now() + 5000;
  for (;;) {
    const listed = await queue.listDeadLetters();
    if (listed.length >= count || Date.now() > deadline) return listed;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
