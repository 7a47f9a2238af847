import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  type QueryCommandInput,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { inject, injectable } from 'inversify';
import { DEFAULT_PIPELINE_SETTINGS } from '../../application/pipeline-settings.js';
import type { LogRepository, Page, SplitTotals } from '../../application/ports/log-repository.port.js';
import type { AwsConfig } from '../../config/config.js';
import { AWS_TOKENS } from '../../di/aws.tokens.js';
import {
  RETRYABLE_SPLIT_FAILURES,
  awaitsCompletion,
  type Batch,
  BatchStatus,
  type ChunkStats,
  type CompletionDecision,
  EMPTY_CHUNK_STATS,
  type NewBatch,
  newBatch,
  type SplitCheckpoint,
} from '../../domain/batch.js';
import { type BatchFailureCode, BatchNotFoundError, TransientFailureError } from '../../domain/errors.js';
import type { Attributes, AttributeValue, LogEntry } from '../../domain/log-entry.js';
import { WARN_OR_ABOVE } from '../../domain/severity.js';
import { itemSizeBytes } from './request-accounting.js';
import { backoffDelayMs, isTransientAwsError, type RetryPolicy, retryPolicy, withTransientRetries } from './retry.js';

/**
 * The single-table layout (keep in step with the CDK stack and `src/local/emulator-stack.ts`):
 *
 * | item          | pk                          | sk                   | severePk / severeSk (GSI `severe-by-time`) |
 * |---------------|-----------------------------|----------------------|--------------------------------------------|
 * | batch         | `BATCH#<batchId>`           | `BATCH`              | –                                          |
 * | chunk marker  | `BATCH#<batchId>`           | `CHUNK#<0000000042>` | –                                          |
 * | batch listing | `BATCHES`                   | `<createdAt>#<id>`   | –                                          |
 * | entry         | `ENTRY#<batchId>#<part>`    | `<0000001234>`       | `SEVERE#<yyyy-mm-dd>` / `<timestamp>#<batchId>#<0000001234>`, WARN+ entries with a timestamp only |
 *
 * `<part>` is `floor((lineNumber - 1) / 1000)`: a file's entries spread over one partition per 1,000 lines, so a big
 * file never pushes one partition towards its 1,000 writes/s. The GSI is sparse (only severe entries carry its keys)
 * and partitioned by day. `expiresAt` (epoch seconds) is the TTL attribute, set on entries when `entryTtlDays > 0`.
 * The batch listing lives in the base table, written once per batch, so counter updates never touch an index.
 */
export const TABLE_SCHEMA = {
  partitionKey: 'pk',
  sortKey: 'sk',
  severeIndexName: 'severe-by-time',
  severeIndexPartitionKey: 'severePk',
  severeIndexSortKey: 'severeSk',
  ttlAttribute: 'expiresAt',
} as const;

/** Lines of a file whose entries share one partition key. */
export const ENTRY_PARTITION_LINES = 1000;
/** DynamoDB's item size limit is 400 KB; leave room for the key and bookkeeping attributes. */
export const MAX_ENTRY_ITEM_BYTES = 390 * 1024;
/** BatchWriteItem takes at most 25 items. */
const BATCH_WRITE_ITEMS = 25;
/** BatchWriteItem calls in flight at once for one `putEntries`. */
const BATCH_WRITES_IN_FLIGHT = 4;
const BATCH_LISTING_PK = 'BATCHES';
const BATCH_SK = 'BATCH';
const DEFAULT_BATCH_LIST_LIMIT = 50;
const DEFAULT_PAGE_LIMIT = 1000;
/** With the last line unknown (a split in progress), listing stops after this many empty entry partitions in a row. */
const EMPTY_PARTITIONS_BEFORE_STOP = 3;
const DAY_MS = 86_400_000;

/** Counter attributes of a batch item, one per {@link ChunkStats} field (`ADD` works on top-level numbers only). */
const STAT_ATTRIBUTES: Readonly<Record<keyof ChunkStats, string>> = {
  lines: 'statsLines',
  entries: 'statsEntries',
  unparsed: 'statsUnparsed',
  blank: 'statsBlank',
  continuation: 'statsContinuation',
  truncated: 'statsTruncated',
};

/** Attributes the table adds to an entry; stripped when it is read back. */
const ENTRY_TABLE_ATTRIBUTES = ['pk', 'sk', 'severePk', 'severeSk', 'expiresAt', 'attributesJson'] as const;

type Item = Record<string, unknown>;

export interface DynamoDbLogRepositoryConfig {
  readonly tableName: string;
  readonly pipeline?: AwsConfig['pipeline'];
}

/** A document client that writes entries exactly as given: undefined fields omitted, no class-to-map guessing. */
export function createDocumentClient(client: DynamoDBClient): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true, convertEmptyValues: false },
    unmarshallOptions: { wrapNumbers: false },
  });
}

/**
 * {@link LogRepository} on one DynamoDB table (layout in {@link TABLE_SCHEMA}) through the document client.
 *
 * Entries go through `BatchWriteItem` (25 per call, {@link BATCH_WRITES_IN_FLIGHT} calls in flight) with
 * `UnprocessedItems` retried with exponential backoff and full jitter. A chunk's progress is one
 * `TransactWriteItems` (conditional chunk marker + counter update), so a redelivered chunk counts once; batch
 * creation and completion are conditional writes, so duplicates and races resolve to exactly one winner.
 */
@injectable()
export class DynamoDbLogRepository implements LogRepository {
  private readonly tableName: string;
  private readonly entryTtlDays: number;
  private readonly retry: RetryPolicy;

  constructor(
    @inject(AWS_TOKENS.DynamoDbDocumentClient) private readonly documents: DynamoDBDocumentClient,
    @inject(AWS_TOKENS.AwsConfig) config: DynamoDbLogRepositoryConfig,
    @inject(AWS_TOKENS.RetryPolicy) retry: Partial<RetryPolicy> = {},
  ) {
    this.tableName = config.tableName;
    this.entryTtlDays = config.pipeline?.entryTtlDays ?? DEFAULT_PIPELINE_SETTINGS.entryTtlDays;
    this.retry = retryPolicy(retry);
  }

  async createBatch(init: NewBatch): Promise<{ batch: Batch; created: boolean }> {
    const batch = newBatch(init);
    try {
      await this.transact(() =>
        this.documents.send(
          new TransactWriteCommand({
            TransactItems: [
              { Put: { TableName: this.tableName, Item: batchToItem(batch), ConditionExpression: 'attribute_not_exists(pk)' } },
              { Put: { TableName: this.tableName, Item: { pk: BATCH_LISTING_PK, sk: `${batch.createdAt}#${batch.batchId}`, batchId: batch.batchId } } },
            ],
          }),
        ),
      );
      return { batch, created: true };
    } catch (error) {
      if (cancellationCode(error, 0) !== 'ConditionalCheckFailed') throw error;
      const existing = await this.getBatch(init.batchId);
      if (existing === undefined) throw new TransientFailureError(`batch ${init.batchId} exists but cannot be read back`, { cause: error });
      return { batch: existing, created: false };
    }
  }

  async getBatch(batchId: string): Promise<Batch | undefined> {
    const response = await withTransientRetries(
      () => this.documents.send(new GetCommand({ TableName: this.tableName, Key: batchKey(batchId), ConsistentRead: true })),
      this.retry,
    );
    return response.Item === undefined ? undefined : itemToBatch(response.Item);
  }

  async listBatches(options?: { limit?: number }): Promise<Batch[]> {
    const limit = options?.limit ?? DEFAULT_BATCH_LIST_LIMIT;
    if (limit <= 0) return [];
    const listing = await withTransientRetries(
      () =>
        this.documents.send(
          new QueryCommand({
            TableName: this.tableName,
            KeyConditionExpression: 'pk = :listing',
            ExpressionAttributeValues: { ':listing': BATCH_LISTING_PK },
            ScanIndexForward: false,
            Limit: limit,
          }),
        ),
      this.retry,
    );
    const batchIds = (listing.Items ?? []).map((item) => String(item.batchId));
    const found = new Map<string, Batch>();
    for (let start = 0; start < batchIds.length; start += 100) {
      let keys: Item[] | undefined = batchIds.slice(start, start + 100).map(batchKey);
      for (let attempt = 1; keys !== undefined && keys.length > 0; attempt += 1) {
        const requested: Item[] = keys;
        const response = await withTransientRetries(
          () => this.documents.send(new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: requested, ConsistentRead: true } } })),
          this.retry,
        );
        for (const item of response.Responses?.[this.tableName] ?? []) found.set(String(item.batchId), itemToBatch(item));
        keys = response.UnprocessedKeys?.[this.tableName]?.Keys;
        if (keys !== undefined && keys.length > 0) await this.backOff(attempt, `BatchGetItem of ${keys.length} batch(es)`);
      }
    }
    return batchIds.flatMap((batchId) => found.get(batchId) ?? []);
  }

  async saveCheckpoint(batchId: string, checkpoint: SplitCheckpoint): Promise<void> {
    await this.updateBatch(batchId, {
      UpdateExpression: 'SET #checkpoint = :checkpoint, #updatedAt = :now',
      ExpressionAttributeNames: { '#checkpoint': 'checkpoint', '#updatedAt': 'updatedAt' },
      ExpressionAttributeValues: { ':checkpoint': { ...checkpoint }, ':now': nowIso() },
    });
  }

  async finishSplitting(batchId: string, totals: SplitTotals): Promise<Batch> {
    try {
      const response = await withTransientRetries(
        () =>
          this.documents.send(
            new UpdateCommand({
              TableName: this.tableName,
              Key: batchKey(batchId),
              UpdateExpression:
                'SET #status = :split, totalLines = :totalLines, totalChunks = :totalChunks, #format = :format, #updatedAt = :now ' +
                'REMOVE #checkpoint, failureCode, #reason, completedAt',
              // From SPLITTING, or again after a failure a retried invocation may recover from (see canSplit).
              ConditionExpression: '#status = :splitting OR (#status = :failed AND failureCode IN (:retryable0, :retryable1))',
              ExpressionAttributeNames: {
                '#status': 'status',
                '#format': 'format',
                '#updatedAt': 'updatedAt',
                '#checkpoint': 'checkpoint',
                '#reason': 'reason',
              },
              ExpressionAttributeValues: {
                ':split': BatchStatus.SPLIT,
                ':splitting': BatchStatus.SPLITTING,
                ':failed': BatchStatus.FAILED,
                ':retryable0': RETRYABLE_SPLIT_FAILURES[0],
                ':retryable1': RETRYABLE_SPLIT_FAILURES[1],
                ':totalLines': totals.totalLines,
                ':totalChunks': totals.totalChunks,
                ':format': totals.format,
                ':now': nowIso(),
              },
              ReturnValues: 'ALL_NEW',
            }),
          ),
        this.retry,
      );
      return itemToBatch(response.Attributes ?? {});
    } catch (error) {
      if (!isConditionalCheckFailure(error)) throw error;
      // Already past SPLITTING (a repeat): a no-op that reports the batch as it is.
      const batch = await this.getBatch(batchId);
      if (batch === undefined) throw new BatchNotFoundError(`no batch ${batchId}`, { cause: error });
      return batch;
    }
  }

  async failBatch(batchId: string, failureCode: BatchFailureCode, reason: string, totals?: Partial<SplitTotals>): Promise<void> {
    const now = nowIso();
    const sets = ['#status = :failed', 'failureCode = :failureCode', '#reason = :reason', 'completedAt = :now', '#updatedAt = :now'];
    const values: Item = { ':failed': BatchStatus.FAILED, ':failureCode': failureCode, ':reason': reason, ':now': now };
    const names: Record<string, string> = { '#status': 'status', '#reason': 'reason', '#updatedAt': 'updatedAt' };
    if (totals?.totalLines !== undefined) {
      sets.push('totalLines = :totalLines');
      values[':totalLines'] = totals.totalLines;
    }
    if (totals?.totalChunks !== undefined) {
      sets.push('totalChunks = :totalChunks');
      values[':totalChunks'] = totals.totalChunks;
    }
    if (totals?.format !== undefined) {
      sets.push('#format = :format');
      names['#format'] = 'format';
      values[':format'] = totals.format;
    }
    await this.updateBatch(batchId, {
      UpdateExpression: `SET ${sets.join(', ')}`,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    });
  }

  async putEntries(entries: readonly LogEntry[]): Promise<void> {
    // BatchWriteItem rejects a call with the same key twice: the last write of a key wins, as it would in sequence.
    const byKey = new Map<string, Item>();
    for (const entry of entries) {
      const item = this.entryToItem(entry);
      byKey.set(`${String(item.pk)}\u0000${String(item.sk)}`, item);
    }
    const groups: Item[][] = [];
    const items = [...byKey.values()];
    for (let start = 0; start < items.length; start += BATCH_WRITE_ITEMS) groups.push(items.slice(start, start + BATCH_WRITE_ITEMS));
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < groups.length) {
        const group = groups[next++];
        await this.writeAll(group);
      }
    };
    await Promise.all(Array.from({ length: Math.min(BATCH_WRITES_IN_FLIGHT, groups.length) }, worker));
  }

  async recordChunkProcessed(batchId: string, chunk: number, stats: ChunkStats): Promise<{ applied: boolean; batch: Batch }> {
    const now = nowIso();
    const names: Record<string, string> = { '#updatedAt': 'updatedAt', '#dead': 'deadLetteredChunks' };
    const values: Item = { ':one': 1, ':now': now, ':chunk': new Set([chunk]) };
    const additions = ['processedChunks :one'];
    for (const [field, attribute] of Object.entries(STAT_ATTRIBUTES) as [keyof ChunkStats, string][]) {
      additions.push(`${attribute} :${attribute}`);
      values[`:${attribute}`] = stats[field];
    }
    try {
      await this.transact(() =>
        this.documents.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Update: {
                  TableName: this.tableName,
                  Key: batchKey(batchId),
                  ConditionExpression: 'attribute_exists(pk)',
                  UpdateExpression: `ADD ${additions.join(', ')} SET #updatedAt = :now DELETE #dead :chunk`,
                  ExpressionAttributeNames: names,
                  ExpressionAttributeValues: values,
                },
              },
              {
                Put: {
                  TableName: this.tableName,
                  Item: { pk: `BATCH#${batchId}`, sk: chunkSortKey(chunk), chunk, ...stats, recordedAt: now },
                  ConditionExpression: 'attribute_not_exists(pk)',
                },
              },
            ],
          }),
        ),
      );
    } catch (error) {
      if (cancellationCode(error, 0) === 'ConditionalCheckFailed') throw new BatchNotFoundError(`no batch ${batchId}`, { cause: error });
      if (cancellationCode(error, 1) !== 'ConditionalCheckFailed') throw error;
      // The marker exists: this chunk was counted on an earlier delivery.
      return { applied: false, batch: await this.requireBatch(batchId) };
    }
    return { applied: true, batch: await this.requireBatch(batchId) };
  }

  async recordChunkDeadLettered(batchId: string, chunk: number, _reason: string): Promise<Batch | undefined> {
    try {
      await this.transact(() =>
        this.documents.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Update: {
                  TableName: this.tableName,
                  Key: batchKey(batchId),
                  ConditionExpression: 'attribute_exists(pk)',
                  UpdateExpression: 'ADD #dead :chunk SET #updatedAt = :now',
                  ExpressionAttributeNames: { '#dead': 'deadLetteredChunks', '#updatedAt': 'updatedAt' },
                  ExpressionAttributeValues: { ':chunk': new Set([chunk]), ':now': nowIso() },
                },
              },
              // A chunk already counted as processed is not dead (a late duplicate delivery failed).
              { ConditionCheck: { TableName: this.tableName, Key: { pk: `BATCH#${batchId}`, sk: chunkSortKey(chunk) }, ConditionExpression: 'attribute_not_exists(pk)' } },
            ],
          }),
        ),
      );
    } catch (error) {
      if (cancellationCode(error, 0) === 'ConditionalCheckFailed') return undefined;
      if (cancellationCode(error, 1) !== 'ConditionalCheckFailed') throw error;
    }
    return this.getBatch(batchId);
  }

  async completeBatch(batch: Batch, decision: CompletionDecision): Promise<boolean> {
    if (!awaitsCompletion(batch)) return false;
    const names: Record<string, string> = { '#status': 'status', '#updatedAt': 'updatedAt', '#reason': 'reason', '#dead': 'deadLetteredChunks' };
    const now = nowIso();
    const values: Item = {
      ':expectedStatus': batch.status,
      ':expectedProcessed': batch.processedChunks,
      ':status': decision.status,
      ':now': now,
    };
    const conditions = ['#status = :expectedStatus', 'processedChunks = :expectedProcessed'];
    if (batch.deadLetteredChunks.length === 0) {
      conditions.push('attribute_not_exists(#dead)');
    } else {
      conditions.push('size(#dead) = :expectedDead');
      values[':expectedDead'] = batch.deadLetteredChunks.length;
    }
    if (batch.status === BatchStatus.FAILED) {
      conditions.push('failureCode = :expectedFailureCode');
      values[':expectedFailureCode'] = batch.failureCode;
    }
    const sets = ['#status = :status', 'completedAt = :now', '#updatedAt = :now'];
    const removals: string[] = [];
    if (decision.failureCode !== undefined) {
      sets.push('failureCode = :failureCode');
      values[':failureCode'] = decision.failureCode;
    } else {
      removals.push('failureCode');
    }
    if (decision.reason !== undefined) {
      sets.push('#reason = :reason');
      values[':reason'] = decision.reason;
    } else {
      removals.push('#reason');
    }
    try {
      await withTransientRetries(
        () =>
          this.documents.send(
            new UpdateCommand({
              TableName: this.tableName,
              Key: batchKey(batch.batchId),
              ConditionExpression: conditions.join(' AND '),
              UpdateExpression: `SET ${sets.join(', ')}${removals.length > 0 ? ` REMOVE ${removals.join(', ')}` : ''}`,
              ExpressionAttributeNames: names,
              ExpressionAttributeValues: values,
            }),
          ),
        this.retry,
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailure(error)) return false;
      throw error;
    }
  }

  async listEntries(batchId: string, options?: { limit?: number; cursor?: string }): Promise<Page<LogEntry>> {
    const limit = options?.limit ?? DEFAULT_PAGE_LIMIT;
    const batch = await this.getBatch(batchId);
    const lastPartition = lastEntryPartition(batch);
    let position = options?.cursor === undefined ? { partition: 0, afterSk: undefined } : decodeCursor<EntryCursor>(options.cursor);
    const items: LogEntry[] = [];
    let emptyInARow = 0;
    for (;;) {
      if (lastPartition !== undefined ? position.partition > lastPartition : emptyInARow >= EMPTY_PARTITIONS_BEFORE_STOP) {
        return { items };
      }
      const pk = `ENTRY#${batchId}#${position.partition}`;
      // One more than needed tells whether this partition continues after a full page.
      const found = await this.queryAll({
        TableName: this.tableName,
        KeyConditionExpression: position.afterSk === undefined ? 'pk = :pk' : 'pk = :pk AND sk > :after',
        ExpressionAttributeValues: position.afterSk === undefined ? { ':pk': pk } : { ':pk': pk, ':after': position.afterSk },
        ConsistentRead: true,
      }, limit - items.length + 1);
      emptyInARow = found.length === 0 && position.afterSk === undefined ? emptyInARow + 1 : 0;
      const taken = found.slice(0, limit - items.length);
      items.push(...taken.map(itemToEntry));
      if (found.length > taken.length) {
        return { items, cursor: encodeCursor<EntryCursor>({ partition: position.partition, afterSk: String(taken.at(-1)?.sk) }) };
      }
      position = { partition: position.partition + 1, afterSk: undefined };
      if (items.length >= limit) {
        const more = lastPartition === undefined || position.partition <= lastPartition;
        return more ? { items, cursor: encodeCursor<EntryCursor>(position) } : { items };
      }
    }
  }

  async listSevereEntries(options: { from: string; to: string; minSeverityNumber?: number; limit?: number; cursor?: string }): Promise<Page<LogEntry>> {
    const limit = options.limit ?? DEFAULT_PAGE_LIMIT;
    const minimum = options.minSeverityNumber ?? WARN_OR_ABOVE;
    const from = normalizeTimestamp(options.from, 'from');
    const to = normalizeTimestamp(options.to, 'to');
    if (from >= to) return { items: [] };
    const lastDay = dayOf(new Date(Date.parse(to) - 1).toISOString());
    let position: SevereCursor = options.cursor === undefined ? { day: dayOf(from) } : decodeCursor<SevereCursor>(options.cursor);
    const items: LogEntry[] = [];
    while (position.day <= lastDay) {
      const found = await this.queryAll({
        TableName: this.tableName,
        IndexName: TABLE_SCHEMA.severeIndexName,
        KeyConditionExpression: 'severePk = :day AND severeSk BETWEEN :from AND :to',
        ...(minimum > WARN_OR_ABOVE ? { FilterExpression: 'severityNumber >= :minimum' } : {}),
        ExpressionAttributeValues: {
          ':day': `SEVERE#${position.day}`,
          // Sort keys are `<timestamp>#...`: BETWEEN from AND to keeps [from, to), a key at `to` sorts after `to`.
          ':from': position.afterSk ?? from,
          ':to': to,
          ...(minimum > WARN_OR_ABOVE ? { ':minimum': minimum } : {}),
        },
      }, limit - items.length + 1, position.afterSk);
      const taken = found.slice(0, limit - items.length);
      items.push(...taken.map(itemToEntry));
      if (found.length > taken.length) {
        return { items, cursor: encodeCursor<SevereCursor>({ day: position.day, afterSk: String(taken.at(-1)?.severeSk) }) };
      }
      position = { day: nextDay(position.day) };
      if (items.length >= limit) return position.day <= lastDay ? { items, cursor: encodeCursor(position) } : { items };
    }
    return { items };
  }

  /** Queries page by page until `wanted` items (or the end); `skipSortKey` drops the item a cursor stopped at. */
  private async queryAll(input: QueryCommandInput, wanted: number, skipSortKey?: string): Promise<Item[]> {
    const found: Item[] = [];
    let startKey: Item | undefined;
    do {
      const response = await withTransientRetries(
        () => this.documents.send(new QueryCommand({ ...input, Limit: wanted - found.length + (skipSortKey === undefined ? 0 : 1), ExclusiveStartKey: startKey })),
        this.retry,
      );
      for (const item of response.Items ?? []) if (item.severeSk !== skipSortKey || skipSortKey === undefined) found.push(item);
      startKey = response.LastEvaluatedKey;
    } while (startKey !== undefined && found.length < wanted);
    return found.slice(0, wanted);
  }

  /** Writes up to 25 items, retrying `UnprocessedItems` with backoff until none are left or attempts run out. */
  private async writeAll(items: readonly Item[]): Promise<void> {
    let pending: Item[] = [...items];
    for (let attempt = 1; pending.length > 0; attempt += 1) {
      const requests = pending.map((item) => ({ PutRequest: { Item: item } }));
      const response = await withTransientRetries(
        () => this.documents.send(new BatchWriteCommand({ RequestItems: { [this.tableName]: requests } })),
        this.retry,
      );
      pending = (response.UnprocessedItems?.[this.tableName] ?? []).flatMap((request) => (request.PutRequest?.Item === undefined ? [] : [request.PutRequest.Item]));
      if (pending.length > 0) await this.backOff(attempt, `BatchWriteItem: ${pending.length} of ${items.length} entries unprocessed`);
    }
  }

  private async backOff(attempt: number, what: string): Promise<void> {
    if (attempt >= this.retry.maxAttempts) throw new TransientFailureError(`${what} after ${attempt} attempts (throttled)`);
    await this.retry.sleep(backoffDelayMs(attempt - 1, this.retry));
  }

  /** Runs a transaction, retrying conflicts with other transactions on the same batch item and throttling. */
  private async transact<T>(send: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await withTransientRetries(send, this.retry);
      } catch (error) {
        const codes = cancellationCodes(error);
        const retryable = codes.some((code) => code === 'TransactionConflict' || code === 'ThrottlingError' || code === 'ProvisionedThroughputExceeded');
        if (!retryable || codes.includes('ConditionalCheckFailed')) throw error;
        if (attempt >= this.retry.maxAttempts) {
          throw new TransientFailureError(`TransactWriteItems still cancelled (${codes.join(', ')}) after ${attempt} attempts`, { cause: error });
        }
        await this.retry.sleep(backoffDelayMs(attempt - 1, this.retry));
      }
    }
  }

  private async updateBatch(
    batchId: string,
    update: { UpdateExpression: string; ExpressionAttributeNames: Record<string, string>; ExpressionAttributeValues: Item },
  ): Promise<void> {
    try {
      await withTransientRetries(
        () => this.documents.send(new UpdateCommand({ TableName: this.tableName, Key: batchKey(batchId), ConditionExpression: 'attribute_exists(pk)', ...update })),
        this.retry,
      );
    } catch (error) {
      if (isConditionalCheckFailure(error)) throw new BatchNotFoundError(`no batch ${batchId}`, { cause: error });
      throw error;
    }
  }

  private async requireBatch(batchId: string): Promise<Batch> {
    const batch = await this.getBatch(batchId);
    if (batch === undefined) throw new BatchNotFoundError(`no batch ${batchId}`);
    return batch;
  }

  private entryToItem(entry: LogEntry): Item {
    const { attributes, ...fields } = entry;
    const item: Item = {
      ...definedFields(fields),
      pk: `ENTRY#${entry.batchId}#${entryPartition(entry.lineNumber)}`,
      sk: lineSortKey(entry.lineNumber),
      ...(isNativelyStorable(attributes) ? { attributes } : { attributes: {}, attributesJson: JSON.stringify(attributes) }),
    };
    if (entry.timestamp !== undefined && (entry.severityNumber ?? 0) >= WARN_OR_ABOVE && isIsoTimestamp(entry.timestamp)) {
      item.severePk = `SEVERE#${dayOf(entry.timestamp)}`;
      item.severeSk = `${entry.timestamp}#${entry.batchId}#${lineSortKey(entry.lineNumber)}`;
    }
    if (this.entryTtlDays > 0) {
      const observedMs = Date.parse(entry.observedTimestamp);
      const baseMs = Number.isNaN(observedMs) ? Date.now() : observedMs;
      item.expiresAt = Math.floor(baseMs / 1000) + this.entryTtlDays * 86_400;
    }
    return fitItem(item);
  }
}

interface EntryCursor {
  readonly partition: number;
  readonly afterSk?: string;
}

interface SevereCursor {
  readonly day: string;
  readonly afterSk?: string;
}

function batchKey(batchId: string): Item {
  return { pk: `BATCH#${batchId}`, sk: BATCH_SK };
}

function chunkSortKey(chunk: number): string {
  return `CHUNK#${String(chunk).padStart(10, '0')}`;
}

function lineSortKey(lineNumber: number): string {
  return String(lineNumber).padStart(10, '0');
}

function entryPartition(lineNumber: number): number {
  return Math.floor((lineNumber - 1) / ENTRY_PARTITION_LINES);
}

/** The last entry partition of a batch, when its last line is known. */
function lastEntryPartition(batch: Batch | undefined): number | undefined {
  if (batch?.totalLines !== undefined) return entryPartition(Math.max(1, batch.totalLines));
  return undefined;
}

function batchToItem(batch: Batch): Item {
  const item: Item = {
    pk: `BATCH#${batch.batchId}`,
    sk: BATCH_SK,
    batchId: batch.batchId,
    source: definedFields({ ...batch.source }),
    format: batch.format,
    status: batch.status,
    processedChunks: batch.processedChunks,
    createdAt: batch.createdAt,
    updatedAt: batch.updatedAt,
  };
  for (const [field, attribute] of Object.entries(STAT_ATTRIBUTES) as [keyof ChunkStats, string][]) item[attribute] = batch.stats[field];
  return definedFields(item);
}

function itemToBatch(item: Item): Batch {
  const stats = { ...EMPTY_CHUNK_STATS } as Record<keyof ChunkStats, number>;
  for (const [field, attribute] of Object.entries(STAT_ATTRIBUTES) as [keyof ChunkStats, string][]) stats[field] = Number(item[attribute] ?? 0);
  const dead = item.deadLetteredChunks instanceof Set ? [...(item.deadLetteredChunks as Set<number>)].map(Number) : [];
  return definedFields({
    batchId: String(item.batchId),
    source: item.source as Batch['source'],
    format: item.format as string | undefined,
    status: item.status as BatchStatus,
    failureCode: item.failureCode as BatchFailureCode | undefined,
    reason: item.reason as string | undefined,
    totalLines: item.totalLines as number | undefined,
    totalChunks: item.totalChunks as number | undefined,
    processedChunks: Number(item.processedChunks ?? 0),
    stats,
    deadLetteredChunks: dead.sort((a, b) => a - b),
    checkpoint: item.checkpoint as SplitCheckpoint | undefined,
    createdAt: String(item.createdAt),
    updatedAt: String(item.updatedAt),
    completedAt: item.completedAt as string | undefined,
  }) as Batch;
}

function itemToEntry(item: Item): LogEntry {
  const entry: Item = { ...item };
  if (typeof item.attributesJson === 'string') entry.attributes = JSON.parse(item.attributesJson) as Attributes;
  for (const attribute of ENTRY_TABLE_ATTRIBUTES) delete entry[attribute];
  return entry as unknown as LogEntry;
}

/**
 * Whether attributes survive a DynamoDB map unchanged: numbers within DynamoDB's range and 38 digits (and, for the
 * document client, safe integers), no empty map keys. Otherwise they are stored as JSON text (`attributesJson`).
 */
function isNativelyStorable(value: AttributeValue | Attributes): boolean {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || Object.is(value, -0)) return false;
    if (Number.isInteger(value)) return Number.isSafeInteger(value);
    const magnitude = Math.abs(value);
    return magnitude > 1e-120 && magnitude < 1e120;
  }
  if (Array.isArray(value)) return value.every(isNativelyStorable);
  return Object.entries(value).every(([key, element]) => key !== '' && isNativelyStorable(element));
}

/**
 * Keeps an entry under DynamoDB's 400 KB item limit. Entries are at most 128 KiB of body by construction, but parsed
 * attributes can repeat the content: when the item is still too big, the attributes are dropped (their size is
 * recorded), and as a last resort the body is cut; both mark the entry `truncated`.
 */
export function fitItem(item: Item): Item {
  if (itemSizeBytes(item) <= MAX_ENTRY_ITEM_BYTES) return item;
  const droppedBytes = itemSizeBytes({ attributes: item.attributes, attributesJson: item.attributesJson });
  const slimmer: Item = { ...item, attributes: { 'logbatch.dropped_attributes_bytes': droppedBytes }, truncated: true };
  delete slimmer.attributesJson;
  const overflow = itemSizeBytes(slimmer) - MAX_ENTRY_ITEM_BYTES;
  if (overflow <= 0) return slimmer;
  const body = Buffer.from(String(slimmer.body ?? ''), 'utf8');
  const keptBytes = Math.max(0, body.length - overflow - 4);
  return {
    ...slimmer,
    body: body.subarray(0, keptBytes).toString('utf8').replace(/\uFFFD$/, ''),
    originalLength: typeof slimmer.originalLength === 'number' ? slimmer.originalLength : body.length,
  };
}

function definedFields<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)) as T;
}

function cancellationCodes(error: unknown): string[] {
  if ((error as { name?: string }).name !== 'TransactionCanceledException') return [];
  const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? [];
  return reasons.map((reason) => reason.Code ?? 'None');
}

/** Code of the transaction item at `index` when a transaction was cancelled (`ConditionalCheckFailed`, `None`, ...). */
function cancellationCode(error: unknown, index: number): string | undefined {
  return cancellationCodes(error)[index];
}

function isConditionalCheckFailure(error: unknown): boolean {
  return (error as { name?: string }).name === 'ConditionalCheckFailedException';
}

function nowIso(): string {
  return new Date().toISOString();
}

const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

function isIsoTimestamp(text: string): boolean {
  return ISO_TIMESTAMP.test(text);
}

/** Range bounds in the stored form (ISO 8601 UTC with milliseconds), so string order is time order. */
function normalizeTimestamp(text: string, name: string): string {
  const parsed = Date.parse(text);
  if (Number.isNaN(parsed)) throw new RangeError(`${name} is not a timestamp: ${text}`);
  return new Date(parsed).toISOString();
}

function dayOf(timestamp: string): string {
  return timestamp.slice(0, 10);
}

function nextDay(day: string): string {
  return new Date(Date.parse(`${day}T00:00:00.000Z`) + DAY_MS).toISOString().slice(0, 10);
}

function encodeCursor<T>(position: T): string {
  return Buffer.from(JSON.stringify(position), 'utf8').toString('base64url');
}

function decodeCursor<T>(cursor: string): T {
  try {
    return JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as T;
  } catch (error) {
    throw new RangeError(`not a cursor from this repository: ${cursor}`, { cause: error });
  }
}
