import { PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { expect } from 'chai';
import { createDocumentClient, DynamoDbLogRepository, SEVERE_SHARDS } from '../../src/adapters/aws/dynamodb-log-repository.js';
import type { LogEntry } from '../../src/domain/log-entry.js';
import type { EmulatorStack, ResourceNames } from '../../src/local/emulator-stack.js';
import { createEmulatorClients } from '../../src/local/emulator-stack.js';
import { entryFactory, newBatchFactory } from '../helpers/factories.js';
import { isolatedResources } from '../helpers/emulators.js';

describe('DynamoDbLogRepository severe-entry shards on DynamoDB Local', function () {
  this.timeout(120_000);
  let stack: EmulatorStack;
  let names: ResourceNames;
  let cleanup: () => Promise<void>;

  before(async () => {
    ({ stack, names, cleanup } = await isolatedResources('shards'));
  });

  after(async () => {
    await cleanup();
  });

  const documentsAndRepository = () => {
    const documents = createDocumentClient(createEmulatorClients(stack.endpoints).dynamodb);
    return { documents, repository: new DynamoDbLogRepository(documents, { tableName: names.tableName, pipeline: { entryTtlDays: 0 } }) };
  };

  it('spreads a day\'s severe entries over the shards and reads them back merged in time order, page by page', async () => {
    const { documents, repository } = documentsAndRepository();
    // Three files, severe lines in many entry partitions (1,000 lines each), timestamps interleaved across files.
    const batches = [newBatchFactory(), newBatchFactory(), newBatchFactory()];
    const entries: LogEntry[] = [];
    for (const [fileIndex, batch] of batches.entries()) {
      for (let index = 0; index < 40; index += 1) {
        const lineNumber = index * 997 + 1;
        const second = (index * 7 + fileIndex * 13) % 3600;
        entries.push(
          entryFactory({
            batchId: batch.batchId,
            lineNumber,
            timestamp: new Date(Date.parse('2026-11-26T10:00:00.000Z') + second * 1000 + fileIndex).toISOString(),
            severityText: index % 3 === 0 ? 'WARN' : 'ERROR',
            severityNumber: index % 3 === 0 ? 13 : 17,
          }),
        );
      }
    }
    await repository.putEntries(entries);
    // An entry written before sharding, under the day's unsharded key, is still found.
    const legacy = entryFactory({ batchId: batches[0]!.batchId, lineNumber: 999_999, timestamp: '2026-11-26T10:30:00.500Z', severityText: 'ERROR', severityNumber: 17 });
    await documents.send(
      new PutCommand({
        TableName: names.tableName,
        Item: {
          ...legacy,
          pk: `ENTRY#${legacy.batchId}#999`,
          sk: '0000999999',
          severePk: 'SEVERE#2026-11-26',
          severeSk: `${legacy.timestamp}#${legacy.batchId}#0000999999`,
        },
      }),
    );

    const seen: LogEntry[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await repository.listSevereEntries({ from: '2026-11-26T00:00:00Z', to: '2026-11-27T00:00:00Z', limit: 7, cursor });
      seen.push(...page.items);
      cursor = page.cursor;
      pages += 1;
    } while (cursor !== undefined);
    const scanned = await documents.send(new ScanCommand({ TableName: names.tableName, ProjectionExpression: 'severePk' }));

    const expected = [...entries, legacy]
      .map((entry) => `${entry.timestamp}#${entry.batchId}#${entry.lineNumber}`)
      .sort();
    expect(seen.map((entry) => `${entry.timestamp}#${entry.batchId}#${entry.lineNumber}`)).to.deep.equal(expected);
    expect(pages).to.equal(Math.ceil(expected.length / 7));
    const shards = new Set((scanned.Items ?? []).map((item) => String(item.severePk)).filter((key) => /^SEVERE#2026-11-26#\d+$/.test(key)));
    expect(shards.size).to.be.greaterThan(SEVERE_SHARDS / 2);
    expect([...shards].every((key) => Number(key.split('#')[2]) < SEVERE_SHARDS)).to.equal(true);
  });

  it('filters by a higher minimum severity across shards', async () => {
    const { repository } = documentsAndRepository();
    const batch = newBatchFactory();
    await repository.putEntries(
      Array.from({ length: 30 }, (_, index) =>
        entryFactory({
          batchId: batch.batchId,
          lineNumber: index * 1000 + 1,
          timestamp: `2026-11-28T0${index % 10}:00:00.000Z`,
          severityText: index % 2 === 0 ? 'ERROR' : 'WARN',
          severityNumber: index % 2 === 0 ? 17 : 13,
        }),
      ),
    );

    const page = await repository.listSevereEntries({ from: '2026-11-28T00:00:00Z', to: '2026-11-29T00:00:00Z', minSeverityNumber: 17 });

    expect(page.items).to.have.length(15);
    expect(page.items.every((entry) => entry.severityNumber === 17)).to.equal(true);
    const times = page.items.map((entry) => entry.timestamp!);
    expect(times).to.deep.equal([...times].sort());
  });
});
