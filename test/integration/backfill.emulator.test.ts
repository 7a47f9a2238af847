import { setTimeout as delay } from 'node:timers/promises';
import { expect } from 'chai';
import type { BackfillSummary } from '../../src/application/backfill-objects.use-case.js';
import { createAwsAdapters } from '../../src/di/aws.module.js';
import { type Batch, deriveBatchId } from '../../src/domain/batch.js';
import { listenOnEmulatorStack } from '../../src/local/emulator-session.js';
import { type EmulatorStack, startEmulatorStack } from '../../src/local/emulator-stack.js';
import { runCli } from '../helpers/cli.js';
import { putObject } from '../helpers/emulators.js';
import { logFile } from '../helpers/memory-pipeline.js';

const OLD_OBJECTS: Record<string, number> = { 'old/a.log': 3, 'old/b.log': 120, 'old/2026/c log+1.log': 7, 'old/2026/d.log': 1 };

function lines(key: string, count: number): string[] {
  return Array.from({ length: count }, (_, index) => `2026-11-26T09:00:${String(index % 60).padStart(2, '0')}Z INFO ${key} request ${index + 1}`);
}

describe('logbatch backfill on the emulator', function () {
  this.timeout(180_000);
  let stack: EmulatorStack;
  let listener: ReturnType<typeof listenOnEmulatorStack> | undefined;
  const errors: string[] = [];

  before(async () => {
    stack = await startEmulatorStack({ prefix: 'logbatch-backfill' });
  });

  after(async () => {
    await listener?.stop();
    await stack?.stop();
  });

  it('processes every object written before the pipeline listened exactly once (none with --dry-run or outside --since), a second backfill skips them all, and --reprocess splits each again into a new batch with exact counters', async () => {
    const etags = new Map<string, string>();
    for (const [key, count] of Object.entries(OLD_OBJECTS)) await putObject(stack, stack.names.bucket, key, logFile(lines(key, count)));
    await putObject(stack, stack.names.bucket, 'elsewhere/e.log', logFile(lines('e', 2)));
    const repository = createAwsAdapters(stack.config, { clients: stack.clients }).logRepository;
    const { objectStore } = createAwsAdapters(stack.config, { clients: stack.clients });
    for await (const object of objectStore.list(stack.names.bucket)) etags.set(object.key, object.etag);
    const batchOf = (key: string) => repository.getBatch(deriveBatchId({ bucket: stack.names.bucket, key, etag: etags.get(key) ?? '' }));

    listener = listenOnEmulatorStack(stack, { pollWaitMs: 100, onError: (message) => errors.push(message) });
    await delay(1_500);
    // Like S3 notifications, the listening pipeline is not told of objects that were there before it.
    expect(await repository.listBatches()).to.deep.equal([]);

    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    const dry = await runCli(['backfill', '--bucket', stack.names.bucket, '--prefix', 'old/', '--dry-run', '--json'], { env: stack.environment });
    const later = await runCli(['backfill', '--bucket', stack.names.bucket, '--prefix', 'old/', '--since', tomorrow, '--json'], { env: stack.environment });
    expect(JSON.parse(dry.stdout)).to.deep.equal({ listed: 4, queued: 4, reprocessed: 0, skippedDone: 0, skippedOutsideRange: 0, dryRun: true });
    expect(JSON.parse(later.stdout)).to.deep.equal({ listed: 4, queued: 0, reprocessed: 0, skippedDone: 0, skippedOutsideRange: 4, dryRun: false });
    await delay(1_000);
    expect(await repository.listBatches()).to.deep.equal([]);

    const first = await runCli(['backfill', '--bucket', stack.names.bucket, '--prefix', 'old/', '--rate', '20/s', '--json'], { env: stack.environment });

    expect(first.stderr).to.not.match(/logbatch:/);
    expect(first.code).to.equal(0);
    expect(JSON.parse(first.stdout)).to.deep.equal({ listed: 4, queued: 4, reprocessed: 0, skippedDone: 0, skippedOutsideRange: 0, dryRun: false });
    const completed = new Map<string, Batch>();
    for (const deadline = Date.now() + 90_000; completed.size < 4 && Date.now() < deadline; await delay(200)) {
      for (const key of Object.keys(OLD_OBJECTS)) {
        const batch = await batchOf(key);
        if (batch?.status === 'COMPLETED') completed.set(key, batch);
      }
    }
    expect([...completed.keys()].sort()).to.deep.equal(Object.keys(OLD_OBJECTS).sort());
    for (const [key, count] of Object.entries(OLD_OBJECTS)) {
      const batch = completed.get(key) as Batch;
      const entries = (await repository.listEntries(batch.batchId, { limit: 1000 })).items;
      expect(batch.totalLines, key).to.equal(count);
      expect(batch.stats.entries, key).to.equal(count);
      expect(entries.map((entry) => entry.lineNumber), key).to.deep.equal(Array.from({ length: count }, (_, index) => index + 1));
    }
    expect(await batchOf('elsewhere/e.log')).to.equal(undefined);

    const second = await runCli(['backfill', '--bucket', stack.names.bucket, '--prefix', 'old/'], { env: stack.environment });

    expect(second.code).to.equal(0);
    expect(second.stdout).to.match(/objects listed\s+4\n/);
    expect(second.stdout).to.match(/queued for splitting\s+0\n/);
    expect(second.stdout).to.match(/skipped as done\s+4\n/);
    await delay(1_000);
    expect((await repository.listBatches()).map((batch) => batch.batchId).sort()).to.deep.equal([...completed.values()].map((batch) => batch.batchId).sort());
    for (const [key, batch] of completed) expect((await batchOf(key))?.updatedAt, key).to.equal(batch.updatedAt);
    expect(errors).to.deep.equal([]);

    // --reprocess: every object again, each into a new batch with exact counters; the old batches stay as they were.
    const reprocess = await runCli(['backfill', '--bucket', stack.names.bucket, '--prefix', 'old/', '--reprocess', '--rate', '20/s', '--json'], { env: stack.environment });

    expect(reprocess.code, reprocess.stderr).to.equal(0);
    const summary = JSON.parse(reprocess.stdout) as BackfillSummary;
    expect(summary).to.include({ listed: 4, queued: 0, reprocessed: 4, skippedDone: 0, skippedOutsideRange: 0, dryRun: false });
    const reprocessed = new Map((summary.reprocessedBatches ?? []).map((object) => [object.key, object]));
    expect([...reprocessed.keys()].sort()).to.deep.equal(Object.keys(OLD_OBJECTS).sort());
    const again = new Map<string, Batch>();
    for (const deadline = Date.now() + 90_000; again.size < 4 && Date.now() < deadline; await delay(200)) {
      for (const [key, object] of reprocessed) {
        const batch = await repository.getBatch(object.batchId);
        if (batch?.status === 'COMPLETED') again.set(key, batch);
      }
    }
    for (const [key, count] of Object.entries(OLD_OBJECTS)) {
      const batch = again.get(key) as Batch;
      const previous = completed.get(key) as Batch;
      expect(reprocessed.get(key)?.previousBatchId, key).to.equal(previous.batchId);
      expect(batch.batchId, key).to.not.equal(previous.batchId);
      expect([batch.totalLines, batch.totalChunks, batch.processedChunks], key).to.deep.equal([count, previous.totalChunks, previous.totalChunks]);
      expect(batch.stats, key).to.deep.equal(previous.stats);
      expect(await batchOf(key), key).to.deep.equal(previous);
    }
    const b = reprocessed.get('old/b.log')?.batchId ?? '';
    const [status, query, listing] = await Promise.all([
      runCli(['status', b, '--json'], { env: stack.environment }),
      runCli(['query', '--batch', b, '--json', '--limit', '1000'], { env: stack.environment }),
      runCli(['batches'], { env: stack.environment }),
    ]);
    expect((JSON.parse(status.stdout) as Batch).stats.entries).to.equal(120);
    const lineNumbers = query.stdout.trim().split('\n').map((line) => (JSON.parse(line) as { lineNumber: number; batchId: string }).lineNumber);
    expect(lineNumbers).to.deep.equal(Array.from({ length: 120 }, (_, index) => index + 1));
    expect(listing.stdout).to.include(b);
    expect(await repository.listBatches()).to.have.length(8);

    // The same reprocess delivered again (at least once) changes nothing; a plain backfill still skips them all.
    const { continuations } = createAwsAdapters(stack.config, { clients: stack.clients });
    for (const object of reprocessed.values()) await continuations.requestReprocess(await objectStore.head(stack.names.bucket, object.key), summary.reprocessId ?? '');
    const plain = await runCli(['backfill', '--bucket', stack.names.bucket, '--prefix', 'old/', '--json'], { env: stack.environment });
    await delay(1_500);
    expect(JSON.parse(plain.stdout)).to.include({ queued: 0, reprocessed: 0, skippedDone: 4 });
    expect(await repository.listBatches()).to.have.length(8);
    for (const [key, batch] of again) expect(await repository.getBatch(batch.batchId), key).to.deep.equal(batch);
    expect(errors).to.deep.equal([]);
  });

});
