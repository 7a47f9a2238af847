import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { expect } from 'chai';
import { createDocumentClient, DynamoDbLogRepository, MAX_ATTRIBUTE_NAME_BYTES, MAX_ENTRY_ITEM_BYTES } from '../../src/adapters/aws/dynamodb-log-repository.js';
import { installRequestAccounting } from '../../src/adapters/aws/request-accounting.js';
import { RequestCounter } from '../../src/adapters/instrumentation/request-counter.js';
import type { EmulatorStack, ResourceNames } from '../../src/local/emulator-stack.js';
import { createEmulatorClients } from '../../src/local/emulator-stack.js';
import type { Attributes, AttributeValue } from '../../src/domain/log-entry.js';
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

    it('stores attributes named like DynamoDB type tags as the plain values they hold, whatever their type', async () => {
      const { repository } = repositoryWith();
      const batchId = newBatchFactory().batchId;
      const tags = ['S', 'N', 'B', 'SS', 'NS', 'BS', 'M', 'L', 'NULL', 'BOOL'];
      const values: AttributeValue[] = ['abc', 5, 1.5, true, false, null, ['abc', 5, null], { S: 'x', L: [1, { N: 'y' }] }, {}, []];
      // A single-key map named like a type tag is what the old size accounting mistook for a marshalled value.
      const alone = tags.flatMap((tag) => values.map((value) => ({ [tag]: value })));
      const together = Object.fromEntries(tags.map((tag, index) => [tag, values[index % values.length]]));
      const attributeSets: Attributes[] = [...alone, together, { nested: { L: 'abc' } }, { M: { M: { L: ['abc'] } } }];
      const entries = attributeSets.map((attributes, index) => entryFactory({ batchId, lineNumber: index + 1, attributes }));

      await repository.putEntries(entries);
      const { items } = await repository.listEntries(batchId, { limit: 1000 });

      expect(items).to.deep.equal(entries);
    });

    it('keeps a "__proto__" key, top-level or nested, which the document client would turn into a prototype', async () => {
      const { repository } = repositoryWith();
      const batchId = newBatchFactory().batchId;
      const withProto = (attributes: Record<string, AttributeValue>, key: string, value: AttributeValue): Attributes => {
        Object.defineProperty(attributes, key, { value, enumerable: true, writable: true, configurable: true });
        return attributes;
      };
      const topLevel = entryFactory({ batchId, lineNumber: 1, attributes: withProto({ msgId: 'm1' }, '__proto__', 1) });
      const nested = entryFactory({ batchId, lineNumber: 2, attributes: { a: withProto({ b: 2 }, '__proto__', { c: 3 }) as AttributeValue } });

      await repository.putEntries([topLevel, nested]);
      const { items } = await repository.listEntries(batchId);

      expect(items.map((item) => JSON.stringify(item.attributes))).to.deep.equal(['{"msgId":"m1","__proto__":1}', '{"a":{"b":2,"__proto__":{"c":3}}}']);
      expect(items.every((item) => item.parseError === undefined)).to.equal(true);
    });

    it('stores a value nested deeper than DynamoDB allows as JSON text named in jsonAttributes, keeping the other attributes as they are', async () => {
      const { repository, documents } = repositoryWith();
      const batchId = newBatchFactory().batchId;
      // The `attributes` map is one level of the item: a value under it may hold 30 more (DynamoDB's limit is 32 with the leaf).
      const deep = entryFactory({
        batchId,
        lineNumber: 1,
        attributes: { 'http.response.status_code': 200, atLimit: nestedObjects(30), deep: nestedObjects(31), deepList: nestedLists(40) },
      });
      // Deeper than JSON.stringify (or a recursive walk) can go; JSON.parse reads it, so a JSON log line can hold it.
      const deepest = entryFactory({ batchId, lineNumber: 3, attributes: { wayDown: nestedLists(100_000), plain: 'p' } });
      const neighbour = entryFactory({ batchId, lineNumber: 2 });

      await repository.putEntries([deep, neighbour, deepest]);
      const { items } = await repository.listEntries(batchId);
      const { Item } = await documents.send(new GetCommand({ TableName: names.tableName, Key: { pk: `ENTRY#${batchId}#0`, sk: '0000000001' } }));
      const { attributes: deepestAttributes, ...deepestFields } = items[2];

      expect(items.slice(0, 2)).to.deep.equal([deep, neighbour]);
      expect(deepestFields).to.deep.equal((({ attributes: _attributes, ...fields }) => fields)(deepest));
      expect(deepestAttributes.plain).to.equal('p');
      expect(nestedListLevels(deepestAttributes.wayDown)).to.equal(100_000);
      expect(Item?.jsonAttributes).to.deep.equal(['deep', 'deepList']);
      expect(Item?.attributes).to.deep.include({ 'http.response.status_code': 200, atLimit: nestedObjects(30), deep: JSON.stringify(nestedObjects(31)) });
    });

    it('stores numbers DynamoDB cannot hold (out of range, unsafe integers, infinite, negative zero) and reads them back', async () => {
      const { repository, documents } = repositoryWith();
      const batchId = newBatchFactory().batchId;
      const numbers = entryFactory({
        batchId,
        lineNumber: 1,
        attributes: {
          huge: 1e200, tiny: 5e-324, justInRange: 1e-130, infinite: Infinity, negativeInfinite: -Infinity, negativeZero: -0,
          unsafe: 2 ** 53 + 2, inList: [1, 1e300, -Infinity], inMap: { ok: 1, tooSmall: -1e-200 }, fine: 0.1, 'http.response.status_code': 503,
        },
      });

      await repository.putEntries([numbers]);
      const { items } = await repository.listEntries(batchId);
      const { Item } = await documents.send(new GetCommand({ TableName: names.tableName, Key: { pk: `ENTRY#${batchId}#0`, sk: '0000000001' } }));

      expect(items).to.deep.equal([numbers]);
      expect(Item?.attributes).to.deep.include({ justInRange: 1e-130, fine: 0.1, 'http.response.status_code': 503 });
      expect(Item?.jsonAttributes).to.have.members(['huge', 'tiny', 'infinite', 'negativeInfinite', 'negativeZero', 'unsafe', 'inList', 'inMap']);
    });

    it('stores NaN, which neither DynamoDB nor JSON can hold, as null instead of failing the entry', async () => {
      const { repository } = repositoryWith();
      const batchId = newBatchFactory().batchId;
      const entry = entryFactory({ batchId, lineNumber: 1, attributes: { ratio: NaN, list: [NaN, 1], kept: 'yes' } });

      await repository.putEntries([entry]);
      const { items } = await repository.listEntries(batchId);

      expect(items).to.deep.equal([{ ...entry, attributes: { ratio: null, list: [null, 1], kept: 'yes' } }]);
    });

    it('stores a map with an empty key (DynamoDB rejects empty names) as JSON text, the top-level map included', async () => {
      const { repository, documents } = repositoryWith();
      const batchId = newBatchFactory().batchId;
      const emptyInside = entryFactory({ batchId, lineNumber: 1, attributes: { nested: { '': 'empty key', x: [{ '': 1 }] }, plain: 'p' } });
      const emptyOnTop = entryFactory({ batchId, lineNumber: 2, attributes: { '': 'empty key', deep: nestedObjects(40), plain: 'p' } });

      await repository.putEntries([emptyInside, emptyOnTop]);
      const { items } = await repository.listEntries(batchId);
      const stored = async (sk: string) => (await documents.send(new GetCommand({ TableName: names.tableName, Key: { pk: `ENTRY#${batchId}#0`, sk } }))).Item;

      expect(items).to.deep.equal([emptyInside, emptyOnTop]);
      expect(await stored('0000000001')).to.deep.include({ attributes: { nested: JSON.stringify(emptyInside.attributes.nested), plain: 'p' }, jsonAttributes: ['nested'] });
      expect(await stored('0000000002')).to.deep.include({ attributes: {}, attributesJson: JSON.stringify(emptyOnTop.attributes) });
    });

    it('stores attribute names longer than DynamoDB Local takes (50,000 UTF-8 bytes), at any depth, as JSON text, keeping the other entries', async () => {
      const { repository, documents } = repositoryWith();
      const batchId = newBatchFactory().batchId;
      const before = entryFactory({ batchId, lineNumber: 1, attributes: { msg: 'before' } });
      const longOnTop = entryFactory({ batchId, lineNumber: 2, attributes: { msg: 'k', ['k'.repeat(50_001)]: 1 } });
      // 25,001 characters, 50,002 bytes: DynamoDB Local counts the bytes.
      const longInside = entryFactory({ batchId, lineNumber: 3, attributes: { msg: 'n', nested: [{ ['é'.repeat(25_001)]: 'x' }], plain: 'p' } });
      const atLimit = entryFactory({ batchId, lineNumber: 4, attributes: { ['k'.repeat(MAX_ATTRIBUTE_NAME_BYTES)]: 1, nested: { ['é'.repeat(MAX_ATTRIBUTE_NAME_BYTES / 2)]: 2 } } });
      const after = entryFactory({ batchId, lineNumber: 5, attributes: { msg: 'after' } });

      const result = await repository.putEntries([before, longOnTop, longInside, atLimit, after]);
      const { items } = await repository.listEntries(batchId);
      const stored = async (sk: string) => (await documents.send(new GetCommand({ TableName: names.tableName, Key: { pk: `ENTRY#${batchId}#0`, sk } }))).Item;

      expect(result).to.deep.equal({ storedUnparsed: 0 });
      expect(items).to.deep.equal([before, longOnTop, longInside, atLimit, after]);
      expect(await stored('0000000002')).to.deep.include({ attributes: {}, attributesJson: JSON.stringify(longOnTop.attributes) });
      expect(await stored('0000000003')).to.deep.include({ attributes: { msg: 'n', nested: JSON.stringify(longInside.attributes.nested), plain: 'p' }, jsonAttributes: ['nested'] });
      expect(await stored('0000000004')).to.deep.include({ attributes: atLimit.attributes });
    });

    it('writes the rest of a request when DynamoDB rejects one entry, storing that one unparsed with the reason it gave', async () => {
      const { repository } = repositoryWith();
      const batchId = newBatchFactory().batchId;
      const entries = Array.from({ length: 30 }, (_, index) => entryFactory({ batchId, lineNumber: index + 1 }));
      // Fields the sanitising does not look at: DynamoDB refuses the first, the document client the second.
      const underflowing = entryFactory({ batchId, lineNumber: 7, lineCount: 1e-200, truncated: true });
      const notANumber = entryFactory({ batchId, lineNumber: 26, severityNumber: NaN });
      entries[6] = underflowing;
      entries[25] = notANumber;

      await repository.putEntries(entries);
      const { items } = await repository.listEntries(batchId);

      expect(items.map((entry) => entry.lineNumber)).to.deep.equal(entries.map((entry) => entry.lineNumber));
      expect(items.filter((entry) => entry.parseError === undefined)).to.deep.equal(entries.filter((entry) => entry !== underflowing && entry !== notANumber));
      const { observedTimestamp, format, body } = underflowing;
      expect(items[6]).to.deep.equal({ batchId, lineNumber: 7, observedTimestamp, format, body, attributes: {}, parseError: items[6].parseError });
      expect(items[6].parseError).to.match(/^DynamoDB rejected the entry: .*Number underflow/);
      expect(items[25]).to.deep.include({ lineNumber: 26, body: notANumber.body, attributes: {} });
      expect(items[25].parseError).to.match(/^DynamoDB rejected the entry: .*NaN/);
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

    it('drops raw first, keeping body and attributes, when raw would push the item over 400 KB', async () => {
      const { repository } = repositoryWith();
      const batchId = newBatchFactory().batchId;
      const body = 'b'.repeat(128 * 1024);
      const raw = 'r'.repeat(128 * 1024);
      const attributes = { first: 'a'.repeat(100 * 1024), second: 'c'.repeat(60 * 1024) };
      const fitting = entryFactory({ batchId, lineNumber: 1, body, raw, attributes: { first: attributes.first } });
      const tooBig = entryFactory({ batchId, lineNumber: 2, body, raw, attributes });

      await repository.putEntries([fitting, tooBig]);
      const [first, second] = (await repository.listEntries(batchId)).items;
      const { raw: _dropped, ...withoutRaw } = tooBig;

      expect(first).to.deep.equal(fitting);
      expect(second).to.deep.equal(withoutRaw);
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
      const stats = { lines: 10, entries: 9, unparsed: 1, blank: 1, continuation: 0, truncated: 0, filtered: 0, redacted: 0 };

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

/** `levels` maps, each holding the next under `level`, the innermost holding a string. */
function nestedObjects(levels: number): AttributeValue {
  let value: AttributeValue = 'leaf';
  for (let level = 0; level < levels; level += 1) value = { level: value };
  return value;
}

/** `levels` lists, each holding the next, the innermost holding a number. */
function nestedLists(levels: number): AttributeValue {
  let value: AttributeValue = 1;
  for (let level = 0; level < levels; level += 1) value = [value];
  return value;
}

/** How many lists deep `value` goes, counted without recursion (the innermost holds a non-list). */
function nestedListLevels(value: AttributeValue): number {
  let levels = 0;
  for (let current = value; Array.isArray(current); current = current[0]) levels += 1;
  return levels;
}
