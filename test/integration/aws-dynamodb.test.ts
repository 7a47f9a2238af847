import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { expect } from 'chai';
import { createDocumentClient, DynamoDbLogRepository, MAX_ENTRY_ITEM_BYTES } from '../../src/adapters/aws/dynamodb-log-repository.js';
import { installRequestAccounting } from '../../src/adapters/aws/request-accounting.js';
import { RequestCounter } from '../../src/adapters/instrumentation/request-counter.js';
import type { EmulatorStack, ResourceNames } from '../../src/local/emulator-stack.js';
import { createEmulatorClients } from '../../src/local/emulator-stack.js';
import { entryFactory, newBatchFactory } from '../helpers/factories.js';
import { isolatedResources } from '../helpers/emulators.js';

describe('DynamoDbLogRepository on DynamoDB Local', function () {
  this.timeout(60_000);
  let stack: EmulatorStack;
  let names: ResourceNames;
  let cleanup: () => Promise<void>;

  beforeEach(async () => {
    ({ stack, names, cleanup } = await isolatedResources('ddb'));
  });

  afterEach(async () => {
    await cleanup();
  });

  const repositoryWith = (options: { entryTtlDays?: number; counter?: RequestCounter } = {}) => {
    const clients = createEmulatorClients(stack.endpoints);
    if (options.counter !== undefined) installRequestAccounting(clients.dynamodb, 'dynamodb', options.counter);
    const documents = createDocumentClient(clients.dynamodb);
    return { documents, repository: new DynamoDbLogRepository(documents, { tableName: names.tableName, pipeline: { entryTtlDays: options.entryTtlDays ?? 0 } }) };
  };

  describe('putEntries', () => {
    it('round-trips attributes DynamoDB maps cannot hold exactly (unsafe integers, empty keys, huge numbers)', async () => {
      const { repository } = repositoryWith();
      const batchId = newBatchFactory().batchId;
      const awkward = entryFactory({
        batchId,
        lineNumber: 1,
        attributes: { 'trace.id': 12345678901234567890, '': 'empty key', huge: 1e300, tiny: 5e-324, text: '', nested: { 'a.b': [[], {}] } },
      });
      const ordinary = entryFactory({ batchId, lineNumber: 2, attributes: { 'url.path': '/a b', 'http.response.status_code': 503, ratio: 0.1, list: [] } });

      await repository.putEntries([awkward, ordinary]);
      const { items } = await repository.listEntries(batchId);

      expect(items).to.deep.equal([awkward, ordinary]);
    });

    it('keeps an entry whose attributes would push the item over 400 KB, dropping the attributes', async () => {
      const { repository } = repositoryWith();
      const batchId = newBatchFactory().batchId;
      const body = 'b'.repeat(128 * 1024);
      const bloated = entryFactory({ batchId, lineNumber: 7, body, attributes: { copy1: body, copy2: body, copy3: body } });

      await repository.putEntries([bloated]);
      const [stored] = (await repository.listEntries(batchId)).items;

      expect(stored.body).to.equal(body);
      expect(stored.truncated).to.equal(true);
      expect(stored.attributes['logbatch.dropped_attributes_bytes']).to.be.greaterThan(MAX_ENTRY_ITEM_BYTES - 128 * 1024);
    });

    it('sets the TTL attribute from observedTimestamp when entryTtlDays is set, and spreads entries over partitions', async () => {
      const { repository, documents } = repositoryWith({ entryTtlDays: 7 });
      const batchId = newBatchFactory().batchId;

      await repository.putEntries([entryFactory({ batchId, lineNumber: 1001, observedTimestamp: '2026-11-26T00:00:00.000Z' })]);
      const { Item } = await documents.send(new GetCommand({ TableName: names.tableName, Key: { pk: `ENTRY#${batchId}#1`, sk: '0000001001' } }));

      expect(Item?.expiresAt).to.equal(Date.parse('2026-12-03T00:00:00.000Z') / 1000);
    });

    it('counts BatchWriteItem calls and one write unit per small entry through the request middleware', async () => {
      const counter = new RequestCounter();
      const { repository } = repositoryWith({ counter });
      const batchId = newBatchFactory().batchId;

      await repository.putEntries(Array.from({ length: 60 }, (_, index) => entryFactory({ batchId, lineNumber: index + 1 })));

      expect(counter.get('dynamodb.BatchWriteItem')).to.equal(3);
      expect(counter.get('dynamodbWriteUnits')).to.equal(60);
    });
  });

  describe('recordChunkProcessed', () => {
    it('counts the same chunk recorded concurrently by two workers once', async () => {
      const counter = new RequestCounter();
      const { repository } = repositoryWith({ counter });
      const init = newBatchFactory();
      await repository.createBatch(init);
      const stats = { lines: 10, entries: 9, unparsed: 1, blank: 1, continuation: 0, truncated: 0 };

      const results = await Promise.all([repository.recordChunkProcessed(init.batchId, 3, stats), repository.recordChunkProcessed(init.batchId, 3, stats)]);
      const batch = await repository.getBatch(init.batchId);

      expect(results.map((result) => result.applied).sort()).to.deep.equal([false, true]);
      expect(batch?.processedChunks).to.equal(1);
      expect(batch?.stats).to.deep.equal(stats);
      expect(counter.get('dynamodb.TransactWriteItems')).to.be.at.least(3);
    });
  });

  describe('createBatch', () => {
    it('creates one batch when the same S3 event is handled twice at once', async () => {
      const { repository } = repositoryWith();
      const init = newBatchFactory();

      const results = await Promise.all([repository.createBatch(init), repository.createBatch(init)]);
      const listed = await repository.listBatches();

      expect(results.map((result) => result.created).sort()).to.deep.equal([false, true]);
      expect(listed.map((batch) => batch.batchId)).to.deep.equal([init.batchId]);
    });
  });

  describe('listEntries', () => {
    it('pages through entries spread over several partitions, knowing the last line once split', async () => {
      const { repository } = repositoryWith();
      const init = newBatchFactory();
      await repository.createBatch(init);
      const lineNumbers = [1, 999, 1000, 1001, 2500, 4001];
      await repository.putEntries(lineNumbers.map((lineNumber) => entryFactory({ batchId: init.batchId, lineNumber })));
      await repository.finishSplitting(init.batchId, { totalLines: 4001, totalChunks: 1, format: 'json' });

      const seen: number[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await repository.listEntries(init.batchId, { limit: 2, cursor });
        seen.push(...page.items.map((entry) => entry.lineNumber));
        cursor = page.cursor;
        pages += 1;
      } while (cursor !== undefined);

      expect(seen).to.deep.equal(lineNumbers);
      expect(pages).to.equal(3);
    });
  });

  describe('listSevereEntries', () => {
    it('pages across days of the sparse index and filters by a higher minimum severity', async () => {
      const { repository } = repositoryWith();
      const batchId = newBatchFactory().batchId;
      const severe = (lineNumber: number, timestamp: string, severityNumber: number) =>
        entryFactory({ batchId, lineNumber, timestamp, severityNumber, severityText: severityNumber >= 17 ? 'ERROR' : 'WARN' });
      await repository.putEntries([
        severe(1, '2026-11-24T23:59:59.999Z', 17),
        severe(2, '2026-11-25T00:00:00.000Z', 17),
        severe(3, '2026-11-25T12:00:00.000Z', 13),
        severe(4, '2026-11-26T08:00:00.000Z', 21),
        severe(5, '2026-11-27T00:00:00.000Z', 17),
        severe(6, '2026-11-26T09:00:00.000Z', 9),
      ]);

      const warnOrAbove: number[] = [];
      let cursor: string | undefined;
      do {
        const page = await repository.listSevereEntries({ from: '2026-11-25T00:00:00Z', to: '2026-11-27T00:00:00Z', limit: 1, cursor });
        warnOrAbove.push(...page.items.map((entry) => entry.lineNumber));
        cursor = page.cursor;
      } while (cursor !== undefined);
      const errorOrAbove = await repository.listSevereEntries({ from: '2026-11-20T00:00:00Z', to: '2026-11-30T00:00:00Z', minSeverityNumber: 17 });

      expect(warnOrAbove).to.deep.equal([2, 3, 4]);
      expect(errorOrAbove.items.map((entry) => entry.lineNumber)).to.deep.equal([1, 2, 4, 5]);
    });
  });
});
