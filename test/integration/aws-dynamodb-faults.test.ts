import { expect } from 'chai';
import { createDocumentClient, DynamoDbLogRepository } from '../../src/adapters/aws/dynamodb-log-repository.js';
import { installRequestAccounting } from '../../src/adapters/aws/request-accounting.js';
import { RequestCounter } from '../../src/adapters/instrumentation/request-counter.js';
import { BatchStatus } from '../../src/domain/batch.js';
import type { EmulatorStack, ResourceNames } from '../../src/local/emulator-stack.js';
import { createEmulatorClients } from '../../src/local/emulator-stack.js';
import { isolatedResources } from '../helpers/emulators.js';
import { entryFactory, newBatchFactory } from '../helpers/factories.js';
import { type SdkFaultPlan, SdkFaultInjector } from '../helpers/sdk-faults.js';

/**
 * The repository's retry paths against DynamoDB Local, which never answers with `UnprocessedItems` or a throttle by
 * itself: {@link SdkFaultInjector} makes it, on the real client, while the emulator sees every retried request.
 */
describe('DynamoDbLogRepository on DynamoDB Local with injected SDK faults', function () {
  this.timeout(60_000);
  let stack: EmulatorStack;
  let names: ResourceNames;
  let cleanup: () => Promise<void>;

  beforeEach(async () => {
    ({ stack, names, cleanup } = await isolatedResources('ddbf'));
  });

  afterEach(async () => {
    await cleanup();
  });

  /** A repository on a faulted client, and one on a clean client to read back what really got stored. */
  const repositoriesWith = (plan: SdkFaultPlan) => {
    const faulted = createEmulatorClients(stack.endpoints);
    const faults = new SdkFaultInjector(plan).install(faulted.dynamodb, 'dynamodb');
    const counter = new RequestCounter();
    installRequestAccounting(faulted.dynamodb, 'dynamodb', counter);
    // Quick backoff: the emulator answers at once.
    const retry = { baseDelayMs: 2, maxDelayMs: 20 };
    const repository = new DynamoDbLogRepository(createDocumentClient(faulted.dynamodb), { tableName: names.tableName }, retry);
    const clean = new DynamoDbLogRepository(createDocumentClient(createEmulatorClients(stack.endpoints).dynamodb), { tableName: names.tableName });
    return { repository, clean, faults, counter };
  };

  describe('putEntries', () => {
    it('stores every entry when each BatchWriteItem hands part of its items back as UnprocessedItems', async () => {
      const { repository, clean, faults, counter } = repositoriesWith({ seed: 17, partialRate: 1 });
      const batchId = newBatchFactory().batchId;
      // 120 entries over two partitions: five BatchWriteItem calls of up to 25 items, four in flight.
      const entries = Array.from({ length: 120 }, (_, index) => entryFactory({ batchId, lineNumber: 941 + index }));

      await repository.putEntries(entries);
      const { items } = await clean.listEntries(batchId);

      expect(faults.injected.unprocessedItems, 'items handed back').to.be.greaterThan(20);
      expect(counter.get('dynamodb.BatchWriteItem'), 'BatchWriteItem calls that reached DynamoDB Local').to.be.greaterThan(5);
      expect(counter.get('dynamodbWriteUnits'), 'each entry written once').to.equal(120);
      expect(items).to.deep.equal(entries);
    });
  });

  describe('every call the worker and splitter make', () => {
    it('gets through when each distinct request is throttled once and batch writes are also partial', async () => {
      // Every request's first attempt fails with ProvisionedThroughputExceededException or ThrottlingException.
      const { repository, clean, faults } = repositoriesWith({ seed: 5, throttleRate: 1, partialRate: 1 });
      const init = newBatchFactory();
      const entries = Array.from({ length: 30 }, (_, index) => entryFactory({ batchId: init.batchId, lineNumber: index + 1 }));
      const stats = { lines: 30, entries: 30, unparsed: 0, blank: 0, continuation: 0, truncated: 0, filtered: 0, redacted: 0 };

      const created = await repository.createBatch(init);
      const split = await repository.finishSplitting(init.batchId, { totalLines: 30, totalChunks: 1, format: 'json' });
      await repository.putEntries(entries);
      const recorded = await repository.recordChunkProcessed(init.batchId, 0, stats);
      const completed = await repository.completeBatch(recorded.batch, { status: BatchStatus.COMPLETED });
      const listed = await repository.listEntries(init.batchId);
      const stored = await clean.getBatch(init.batchId);

      expect(faults.injected.throttles).to.include.all.keys(
        'dynamodb.TransactWriteItems',
        'dynamodb.UpdateItem',
        'dynamodb.BatchWriteItem',
        'dynamodb.GetItem',
        'dynamodb.Query',
      );
      expect(faults.injected.unprocessedItems).to.be.greaterThan(0);
      expect(created.created).to.equal(true);
      expect(split.status).to.equal(BatchStatus.SPLIT);
      expect(recorded.applied).to.equal(true);
      expect(completed).to.equal(true);
      expect(listed.items).to.deep.equal(entries);
      expect(stored).to.deep.include({ status: BatchStatus.COMPLETED, processedChunks: 1, totalChunks: 1, stats });
    });
  });
});
