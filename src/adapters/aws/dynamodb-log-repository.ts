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
import type { LogRepository, PutEntriesResult, Page, SplitTotals } from '../../application/ports/log-repository.port.js';
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
import { type BatchFailureCode, BatchNotFoundError, LogBatchError, TransientFailureError, UnknownCursorError } from '../../domain/errors.js';
import type { Attributes, LogEntry } from '../../domain/log-entry.js';
import { WARN_OR_ABOVE } from '../../domain/severity.js';
import { BATCH_WRITES_IN_FLIGHT } from './dynamodb-write-limits.js';
import { backoffDelayMs, isTransientAwsError, type RetryPolicy, retryPolicy, withTransientRetries } from './retry.js';

/**
 * The single-table layout (keep in step with the CDK stack and `src/local/emulator-stack.ts`):
 *
 * | item          | pk                          | sk                   | severePk / severeSk (GSI `severe-by-time`) |
 * |---------------|-----------------------------|----------------------|--------------------------------------------|
 * | batch         | `BATCH#<batchId>`           | `BATCH`              | –                                          |
 * | chunk marker  | `BATCH#<batchId>`           | `CHUNK#<0000000042>` | –                                          |
 * | batch listing | `BATCHES`                   | `<createdAt>#<id>`   | –                                          |
 * | entry         | `ENTRY#<batchId>#<part>`    | `<0000001234>`       | `SEVERE#<yyyy-mm-dd>#<shard>` / `<timestamp>#<batchId>#<0000001234>`, WARN+ entries with a timestamp only |
 *
 * `<part>` is `floor((lineNumber - 1) / 1000)`: a file's entries spread over one partition per 1,000 lines, so a big
 * file never pushes one partition towards its 1,000 writes/s. The GSI is sparse (only severe entries carry its keys)
 * and partitioned by day and shard: `<shard>` (0 to {@link SEVERE_SHARDS} - 1) is a hash of the entry's partition key,
 * so a day's severe entries spread over that many index partitions instead of one (about 1,000 writes/s), and a
 * time-range query reads every shard of each day and merges them in time order (sort keys order by time across
 * shards). Entries written before sharding (`SEVERE#<yyyy-mm-dd>`) are read as one more shard. `expiresAt` (epoch seconds) is the TTL attribute, set on entries when `entryTtlDays > 0`.
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

/** Index partitions of one day's severe entries (each takes about 1,000 writes/s). */
export const SEVERE_SHARDS = 16;
/** Lines of a file whose entries share one partition key. */
export const ENTRY_PARTITION_LINES = 1000;
/** DynamoDB's item size limit is 400 KB; leave room for the key and bookkeeping attributes. */
export const MAX_ENTRY_ITEM_BYTES = 390 * 1024;
/**
 * Longest attribute name, at any depth, stored as a map key: UTF-8 bytes, not characters. DynamoDB allows 64 KB;
 * DynamoDB Local fails any item with a longer name with a 500 `InternalFailure`, past 50,000 bytes.
 */
export const MAX_ATTRIBUTE_NAME_BYTES = 50_000;
/** BatchWriteItem takes at most 25 items. */
const BATCH_WRITE_ITEMS = 25;
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
  filtered: 'statsFiltered',
  redacted: 'statsRedacted',
};

/**
 * Item attribute listing the entry attributes whose value is stored as JSON text, because DynamoDB cannot hold the
 * value as it is (see {@link DynamoDbLogRepository}).
 */
export const JSON_ATTRIBUTES = 'jsonAttributes';
/** A key JSON.parse keeps as an own property but an assignment turns into the object's prototype. */
const PROTO_KEY = '__proto__';
/**
 * Item attribute holding all of an entry's attributes as JSON text (and `attributes` empty), used when an attribute
 * name is empty: DynamoDB rejects empty names, so no single value can be set aside.
 */
export const ATTRIBUTES_JSON = 'attributesJson';
/** Attributes the table adds to an entry; stripped when it is read back. */
const ENTRY_TABLE_ATTRIBUTES = ['pk', 'sk', 'severePk', 'severeSk', 'expiresAt', ATTRIBUTES_JSON, JSON_ATTRIBUTES] as const;
/**
 * Lists and maps a value under `attributes` may nest: DynamoDB allows 32 levels in an item, counting the item's own
 * attribute (here the `attributes` map) and the innermost scalar.
 */
const MAX_ATTRIBUTE_NESTING = 30;
/** Smallest magnitude of a DynamoDB number other than 0. */
const MIN_DYNAMODB_MAGNITUDE = 1e-130;
/** The size walk's answer for a value DynamoDB (or the document client) cannot hold as it is. */
const UNSTORABLE = -1;

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
 * `UnprocessedItems` retried with exponential backoff and full jitter.
 *
 * An entry's attributes are stored as they are when DynamoDB can hold them. A top-level attribute whose value it
 * cannot hold — nested deeper than DynamoDB's 32 levels, a map with an empty key or one over
 * {@link MAX_ATTRIBUTE_NAME_BYTES}, a number outside DynamoDB's range
 * (magnitude 1E-130 to under 1E+126) or beyond the document client's safe integers, ±Infinity, NaN, -0 — is stored
 * as JSON text instead and its name listed in {@link JSON_ATTRIBUTES} (±Infinity written as ±1e999 and -0 as -0,
 * which `JSON.parse` reads back exactly; NaN, which JSON cannot express, reads back as null). An empty attribute
 * name, or one over {@link MAX_ATTRIBUTE_NAME_BYTES}, puts all the attributes in {@link ATTRIBUTES_JSON}. Reading undoes both, so entries read back as written.
 * An item still over 400 KB loses its attributes, then the end of its body (see {@link fitItem}).
 *
 * One entry never costs the others their write: when a `BatchWriteItem` is refused for what it carries (a
 * `ValidationException`, or a value the document client will not marshal), its items are written one by one, and
 * an entry refused on its own is stored unparsed — its body, no attributes, `parseError` giving DynamoDB's reason.
 *
 * A chunk's progress is one
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

  async putEntries(entries: readonly LogEntry[]): Promise<PutEntriesResult> {
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
    let storedUnparsed = 0;
    const worker = async (): Promise<void> => {
      while (next < groups.length) {
        const group = groups[next++];
        storedUnparsed += await this.writeIsolatingRejects(group);
      }
    };
    await Promise.all(Array.from({ length: Math.min(BATCH_WRITES_IN_FLIGHT, groups.length) }, worker));
    return { storedUnparsed };
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
      const wanted = limit - items.length + 1;
      const { afterSk } = position;
      // Every shard of the day (and the unsharded key of older entries), each from the cursor on; sort keys are
      // unique and order by time across shards, so the first `wanted` of the merge are the day's next `wanted`.
      const perShard = await Promise.all(
        severePartitionKeys(position.day).map((severePk) =>
          this.queryAll({
            TableName: this.tableName,
            IndexName: TABLE_SCHEMA.severeIndexName,
            KeyConditionExpression: 'severePk = :day AND severeSk BETWEEN :from AND :to',
            ...(minimum > WARN_OR_ABOVE ? { FilterExpression: 'severityNumber >= :minimum' } : {}),
            ExpressionAttributeValues: {
              ':day': severePk,
              // Sort keys are `<timestamp>#...`: BETWEEN from AND to keeps [from, to), a key at `to` sorts after `to`.
              ':from': afterSk ?? from,
              ':to': to,
              ...(minimum > WARN_OR_ABOVE ? { ':minimum': minimum } : {}),
            },
          }, wanted, afterSk),
        ),
      );
      const found = perShard.flat().sort((a, b) => compareStrings(String(a.severeSk), String(b.severeSk))).slice(0, wanted);
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

  /**
   * Writes up to 25 items; when the request is refused for what it carries, writes them one by one so that only
   * the refused entry is stored differently (unparsed, with DynamoDB's reason).
   */
  /** Writes the items; returns how many parsed entries DynamoDB refused and were stored unparsed instead. */
  private async writeIsolatingRejects(items: readonly Item[]): Promise<number> {
    try {
      await this.writeAll(items);
      return 0;
    } catch (error) {
      if (!isRefusedContent(error)) throw error;
      if (items.length === 1) {
        await this.writeAll([refusedEntryItem(items[0], error)]);
        return items[0].parseError === undefined ? 1 : 0;
      }
    }
    let storedUnparsed = 0;
    for (const item of items) storedUnparsed += await this.writeIsolatingRejects([item]);
    return storedUnparsed;
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
    const pk = `ENTRY#${entry.batchId}#${entryPartition(entry.lineNumber)}`;
    const item: Item = {
      ...definedFields(fields),
      pk,
      sk: lineSortKey(entry.lineNumber),
      ...storableAttributes(attributes),
    };
    if (entry.timestamp !== undefined && (entry.severityNumber ?? 0) >= WARN_OR_ABOVE && isIsoTimestamp(entry.timestamp)) {
      item.severePk = severePartitionKey(dayOf(entry.timestamp), pk);
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
  if (typeof item[ATTRIBUTES_JSON] === 'string') {
    entry.attributes = JSON.parse(item[ATTRIBUTES_JSON]) as Attributes;
  } else if (Array.isArray(item[JSON_ATTRIBUTES])) {
    const attributes = { ...(item.attributes as Record<string, unknown>) };
    for (const name of item[JSON_ATTRIBUTES] as unknown[]) {
      const text = attributes[String(name)];
      if (typeof text === 'string') attributes[String(name)] = JSON.parse(text);
    }
    entry.attributes = attributes;
  }
  for (const attribute of ENTRY_TABLE_ATTRIBUTES) delete entry[attribute];
  return entry as unknown as LogEntry;
}

/**
 * The item attributes an entry's attributes are stored as: `attributes` itself when DynamoDB can hold every value,
 * else with each value it cannot hold replaced by its JSON text and named in {@link JSON_ATTRIBUTES}; all of them as
 * JSON text in {@link ATTRIBUTES_JSON} when a top-level name cannot be stored (see {@link isStorableName}). Only
 * lists and maps are walked into, so flat attributes cost a type check each.
 */
function storableAttributes(attributes: Attributes): Item {
  if (typeof attributes !== 'object' || attributes === null) return { attributes: {} };
  let stored: Record<string, unknown> | undefined;
  let jsonNames: string[] | undefined;
  for (const name of Object.keys(attributes)) {
    const value = attributes[name];
    if (value === undefined) continue;
    // An empty name or one over MAX_ATTRIBUTE_NAME_BYTES is refused by DynamoDB (or DynamoDB Local); `__proto__` is
    // lost by the document client's marshalling (it sets the prototype instead of a key): all keep every attribute
    // as JSON text.
    if (!isStorableName(name)) return { attributes: {}, [ATTRIBUTES_JSON]: toJsonText(attributes) };
    if (storedValueBytes(value, MAX_ATTRIBUTE_NESTING) !== UNSTORABLE) continue;
    stored ??= { ...attributes };
    stored[name] = toJsonText(value);
    (jsonNames ??= []).push(name);
  }
  return jsonNames === undefined ? { attributes } : { attributes: stored, [JSON_ATTRIBUTES]: jsonNames };
}

/**
 * Size in bytes of a plain JavaScript value stored as a DynamoDB attribute (strings by UTF-8 length, numbers at most
 * 1 byte per 2 characters + 2, lists and maps 3 bytes + 1 per element plus their names), or {@link UNSTORABLE} when
 * DynamoDB or the document client would refuse it: lists and maps nested more than `nestingLeft` deep, a map key
 * {@link isStorableName} rejects (empty, `__proto__`, over {@link MAX_ATTRIBUTE_NAME_BYTES}), a number
 * {@link isStorableNumber} rejects, a type the document client does not marshal. Only lists and maps are walked into,
 * and never deeper than `nestingLeft`.
 */
function storedValueBytes(value: unknown, nestingLeft: number): number {
  switch (typeof value) {
    case 'string':
      return Buffer.byteLength(value, 'utf8');
    case 'number':
      return isStorableNumber(value) ? (String(value).length >> 1) + 2 : UNSTORABLE;
    case 'boolean':
      return 1;
    case 'object':
      break;
    default:
      return UNSTORABLE;
  }
  if (value === null) return 1;
  if (nestingLeft <= 0) return UNSTORABLE;
  let bytes = 3;
  if (Array.isArray(value)) {
    for (const element of value) {
      const elementBytes = storedValueBytes(element, nestingLeft - 1);
      if (elementBytes === UNSTORABLE) return UNSTORABLE;
      bytes += 1 + elementBytes;
    }
    return bytes;
  }
  const map = value as Record<string, unknown>;
  for (const name of Object.keys(map)) {
    const element = map[name];
    if (element === undefined) continue;
    const elementBytes = storedValueBytes(element, nestingLeft - 1);
    if (elementBytes === UNSTORABLE || !isStorableName(name)) return UNSTORABLE;
    bytes += 1 + Buffer.byteLength(name, 'utf8') + elementBytes;
  }
  return bytes;
}

/**
 * Whether a map key can be stored as it is: not empty (DynamoDB refuses it), not `__proto__` (the document client
 * sets the prototype instead), at most {@link MAX_ATTRIBUTE_NAME_BYTES} UTF-8 bytes. A UTF-16 code unit is at most 3
 * UTF-8 bytes, so only names longer than a third of the limit are measured.
 */
function isStorableName(name: string): boolean {
  if (name === '' || name === PROTO_KEY) return false;
  return name.length * 3 <= MAX_ATTRIBUTE_NAME_BYTES || Buffer.byteLength(name, 'utf8') <= MAX_ATTRIBUTE_NAME_BYTES;
}

/**
 * Whether a number is stored exactly as a DynamoDB number: 0, or a magnitude from 1E-130 up to the document client's
 * `Number.MAX_SAFE_INTEGER` (it refuses larger ones; DynamoDB's own ceiling, under 1E+126, is higher). A JavaScript
 * number has at most 17 significant digits, within DynamoDB's 38. Not -0 (stored as 0), ±Infinity or NaN.
 */
function isStorableNumber(value: number): boolean {
  const magnitude = Math.abs(value);
  if (magnitude === 0) return !Object.is(value, -0);
  return magnitude >= MIN_DYNAMODB_MAGNITUDE && magnitude <= Number.MAX_SAFE_INTEGER;
}

/**
 * JSON text of a value, written without recursion: `JSON.parse` reads JSON of any depth, so a log line can hold more
 * levels than `JSON.stringify` (or any recursive walk) can write before the stack runs out. Numbers JSON has no
 * literal for are written so that `JSON.parse` reads them back: ±Infinity as ±1e999, -0 as -0; NaN as null.
 */
function toJsonText(root: unknown): string {
  interface Frame {
    readonly names: readonly string[] | undefined;
    readonly values: readonly unknown[];
    next: number;
  }
  const frames: Frame[] = [];
  let text = '';
  let value = root;
  for (;;) {
    if (typeof value === 'object' && value !== null) {
      if (Array.isArray(value)) {
        frames.push({ names: undefined, values: value, next: 0 });
        text += '[';
      } else {
        const map = value as Record<string, unknown>;
        const names = Object.keys(map).filter((name) => map[name] !== undefined);
        frames.push({ names, values: names.map((name) => map[name]), next: 0 });
        text += '{';
      }
    } else {
      text += scalarJsonText(value);
    }
    // On to the next value to write, closing every list and map that is done.
    for (;;) {
      const frame = frames.at(-1);
      if (frame === undefined) return text;
      if (frame.next < frame.values.length) {
        if (frame.next > 0) text += ',';
        if (frame.names !== undefined) text += `${JSON.stringify(frame.names[frame.next])}:`;
        value = frame.values[frame.next];
        frame.next += 1;
        break;
      }
      text += frame.names === undefined ? ']' : '}';
      frames.pop();
    }
  }
}

function scalarJsonText(value: unknown): string {
  if (typeof value === 'number') {
    if (Number.isFinite(value)) return Object.is(value, -0) ? '-0' : String(value);
    if (Number.isNaN(value)) return 'null';
    return value > 0 ? '1e999' : '-1e999';
  }
  if (typeof value === 'bigint') return value.toString();
  return JSON.stringify(value) ?? 'null';
}

/** Size of an item by DynamoDB's rules (see {@link storedValueBytes}); a value it cannot hold counts as nothing. */
function storedItemBytes(item: Item): number {
  let bytes = 0;
  for (const name of Object.keys(item)) {
    const value = item[name];
    if (value === undefined) continue;
    bytes += Buffer.byteLength(name, 'utf8') + Math.max(0, storedValueBytes(value, MAX_ATTRIBUTE_NESTING + 1));
  }
  return bytes;
}

/**
 * Whether a write failed because of what it carries, so writing its items one by one finds the refused one:
 * DynamoDB's `ValidationException`, or the document client refusing to marshal a value — thrown before anything
 * is sent, so without the `$metadata` of an answered request. Never throttling or another transient error.
 */
function isRefusedContent(error: unknown): error is Error {
  if (!(error instanceof Error)) return false;
  if (error.name === 'ValidationException') return true;
  return !('$metadata' in error) && !(error instanceof LogBatchError) && !isTransientAwsError(error);
}

/** What an entry is stored as when DynamoDB refuses its item: unparsed, its body kept, the reason in `parseError`. */
function refusedEntryItem(item: Item, error: Error): Item {
  return definedFields({
    pk: item.pk,
    sk: item.sk,
    batchId: item.batchId,
    lineNumber: item.lineNumber,
    observedTimestamp: item.observedTimestamp,
    format: item.format,
    body: String(item.body ?? ''),
    attributes: {},
    parseError: `DynamoDB rejected the entry: ${error.message}`,
    [TABLE_SCHEMA.ttlAttribute]: item[TABLE_SCHEMA.ttlAttribute],
  });
}

/**
 * Keeps an entry under DynamoDB's 400 KB item limit. Entries are at most 128 KiB of body (and of `raw`) by
 * construction, but parsed attributes can repeat the content: when the item is too big, `raw` goes first (the entry
 * is whole without it), then the attributes are dropped (their size is recorded), and as a last resort the body is
 * cut; those two mark the entry `truncated`.
 */
export function fitItem(item: Item): Item {
  if (storedItemBytes(item) <= MAX_ENTRY_ITEM_BYTES) return item;
  if (item.raw !== undefined) {
    const { raw: _raw, ...withoutRaw } = item;
    return fitItem(withoutRaw);
  }
  const droppedBytes = storedItemBytes({ attributes: item.attributes, [ATTRIBUTES_JSON]: item[ATTRIBUTES_JSON] });
  const slimmer: Item = { ...item, attributes: { 'logbatch.dropped_attributes_bytes': droppedBytes }, truncated: true };
  delete slimmer[ATTRIBUTES_JSON];
  delete slimmer[JSON_ATTRIBUTES];
  const overflow = storedItemBytes(slimmer) - MAX_ENTRY_ITEM_BYTES;
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

/** The index partition key of a severe entry: its day, and a shard from its table partition key. */
export function severePartitionKey(day: string, entryPartitionKey: string): string {
  return `SEVERE#${day}#${severeShard(entryPartitionKey)}`;
}

/** FNV-1a of the entry's partition key, modulo {@link SEVERE_SHARDS}: stable, and spread across files and parts. */
function severeShard(entryPartitionKey: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < entryPartitionKey.length; index += 1) {
    hash ^= entryPartitionKey.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % SEVERE_SHARDS;
}

/** Every index partition key a day's severe entries can have: each shard, and the unsharded key of older entries. */
function severePartitionKeys(day: string): string[] {
  return [...Array.from({ length: SEVERE_SHARDS }, (_, shard) => `SEVERE#${day}#${shard}`), `SEVERE#${day}`];
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
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
    throw new UnknownCursorError(`not a cursor from this repository: ${cursor}`, { cause: error });
  }
}
