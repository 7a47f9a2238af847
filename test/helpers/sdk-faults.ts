import { createHash } from 'node:crypto';
import { ProvisionedThroughputExceededException, ThrottlingException } from '@aws-sdk/client-dynamodb';
import { RequestThrottled, SQSServiceException } from '@aws-sdk/client-sqs';
import { seededRandom } from '../../bench/generate.js';

/** When and how often {@link SdkFaultInjector} strikes. */
export interface SdkFaultPlan {
  /** Seed of the schedule. */
  readonly seed: number;
  /** Chance that a call is refused with a throttling error. @default 0 */
  readonly throttleRate?: number;
  /** Chance that a `BatchWriteItem` or `SendMessageBatch` is carried out only in part. @default 0 */
  readonly partialRate?: number;
  /** Calls that may be faulted; the others pass untouched. @default every call */
  readonly targets?: (call: SdkCall) => boolean;
  /** Throttles of one request at most (timestamps in it aside), so its retry gets through. @default 1 */
  readonly maxThrottlesPerRequest?: number;
  /** Times one item (or message) is held back at most. @default 2 */
  readonly maxHoldsPerItem?: number;
}

export type FaultedService = 'dynamodb' | 'sqs';

/** A call as the middleware sees it. */
export interface SdkCall {
  readonly service: FaultedService;
  /** `BatchWriteItem`, `SendMessageBatch`, ... */
  readonly operation: string;
  readonly input: Readonly<Record<string, unknown>>;
}

/** What was injected so far: a test asserts the faults happened, or it proves nothing. */
export interface InjectedSdkFaults {
  /** Throttling errors thrown, by `<service>.<Operation>`. */
  readonly throttles: Record<string, number>;
  /** BatchWriteItem requests handed back in `UnprocessedItems`. */
  unprocessedItems: number;
  /** SendMessageBatch entries reported in `Failed`. */
  failedEntries: number;
}

/** The part of an SDK v3 client the injector needs. */
export interface ClientWithMiddlewareStack {
  readonly middlewareStack: { add(middleware: never, options: Record<string, unknown>): void };
}

type Input = Record<string, unknown>;
type Result = { output: Input & { $metadata?: unknown }; response?: unknown };
type Next = (args: { input: Input }) => Promise<Result>;

const MIDDLEWARE_NAME = 'logbatchSdkFaults';

/**
 * Faults the emulators never produce, injected into real SDK clients: DynamoDB Local writes every item of a
 * `BatchWriteItem` and fauxqs accepts every entry of a `SendMessageBatch`, and neither throttles — so without this
 * the adapters' retry paths only ever meet sinon stubs.
 *
 * {@link SdkFaultInjector.install} adds a middleware at the `initialize` step (outside the SDK's own retry loop, so
 * the adapter sees every fault, and — for the document client, which shares the base client's stack — before its
 * marshalling, so items are moved as the caller wrote them). On a seeded schedule it
 * - refuses a call with a throttling error before it is sent (`ProvisionedThroughputExceededException` or
 *   `ThrottlingException` for DynamoDB, `ThrottlingException` or `RequestThrottled` for SQS);
 * - sends a `BatchWriteItem` without some of its items and hands those back in `UnprocessedItems`, as DynamoDB
 *   does when a partition is hot (at least one item is written: with none, DynamoDB throttles instead);
 * - sends a `SendMessageBatch` without some of its entries and reports those in `Failed` with `SenderFault: false`,
 *   as SQS does for a server-side failure.
 * Everything not held back really reaches the emulator, and so does every retry.
 *
 * Each fault is bounded so that the adapters' default retry budget (8 attempts) always gets through: one request
 * (the same but for the timestamps in it) is throttled at most `maxThrottlesPerRequest` times, one item or message
 * is held back at most `maxHoldsPerItem` times. Whether a run of calls gets the same faults depends on the calls
 * arriving in the same order; with concurrent callers that is only as deterministic as their interleaving.
 */
export class SdkFaultInjector {
  readonly injected: InjectedSdkFaults = { throttles: {}, unprocessedItems: 0, failedEntries: 0 };
  private readonly random: () => number;
  private readonly throttleRate: number;
  private readonly partialRate: number;
  private readonly targets: (call: SdkCall) => boolean;
  private readonly maxThrottlesPerRequest: number;
  private readonly maxHoldsPerItem: number;
  private readonly throttlesByRequest = new Map<string, number>();
  private readonly holdsByItem = new Map<string, number>();

  constructor(plan: SdkFaultPlan) {
    this.random = seededRandom(plan.seed);
    this.throttleRate = plan.throttleRate ?? 0;
    this.partialRate = plan.partialRate ?? 0;
    this.targets = plan.targets ?? (() => true);
    this.maxThrottlesPerRequest = plan.maxThrottlesPerRequest ?? 1;
    this.maxHoldsPerItem = plan.maxHoldsPerItem ?? 2;
  }

  /** Throttles injected in all. */
  get throttleCount(): number {
    return Object.values(this.injected.throttles).reduce((sum, count) => sum + count, 0);
  }

  /**
   * Adds the fault middleware to a `DynamoDBClient` (which faults its document clients too) or an `SQSClient`.
   * Use clients of your own: the shared emulator stack's clients create resources and must not be faulted.
   */
  install(client: ClientWithMiddlewareStack, service: FaultedService): this {
    const middleware = (next: Next, context: { commandName?: string }) => async (args: { input: Input }) => {
      const call: SdkCall = { service, operation: (context.commandName ?? 'Unknown').replace(/Command$/, ''), input: args.input };
      if (!this.targets(call)) return next(args);
      this.maybeThrottle(call);
      if (service === 'dynamodb' && call.operation === 'BatchWriteItem') return this.partialBatchWrite(next, args);
      if (service === 'sqs' && call.operation === 'SendMessageBatch') return this.partialSendBatch(next, args);
      return next(args);
    };
    client.middlewareStack.add(middleware as never, { step: 'initialize', priority: 'high', name: MIDDLEWARE_NAME, override: true });
    return this;
  }

  /** Installs on both clients of a set that has them. */
  installOn(clients: { readonly dynamodb?: ClientWithMiddlewareStack; readonly sqs?: ClientWithMiddlewareStack }): this {
    if (clients.dynamodb !== undefined) this.install(clients.dynamodb, 'dynamodb');
    if (clients.sqs !== undefined) this.install(clients.sqs, 'sqs');
    return this;
  }

  private maybeThrottle(call: SdkCall): void {
    if (this.throttleRate <= 0 || this.random() >= this.throttleRate) return;
    const request = fingerprint(call.service, call.operation, call.input);
    const throttled = this.throttlesByRequest.get(request) ?? 0;
    if (throttled >= this.maxThrottlesPerRequest) return;
    this.throttlesByRequest.set(request, throttled + 1);
    const name = `${call.service}.${call.operation}`;
    this.injected.throttles[name] = (this.injected.throttles[name] ?? 0) + 1;
    throw throttlingError(call, this.random() < 0.5);
  }

  private async partialBatchWrite(next: Next, args: { input: Input }): Promise<Result> {
    const requestItems = (args.input.RequestItems ?? {}) as Record<string, unknown[]>;
    const requests = Object.entries(requestItems).flatMap(([table, writes]) => writes.map((write) => ({ table, write, item: fingerprint(table, write) })));
    if (requests.length < 2 || this.partialRate <= 0 || this.random() >= this.partialRate) return next(args);
    const held = this.chooseHeld(requests, { keepOne: true });
    if (held.size === 0) return next(args);

    const sent: Record<string, unknown[]> = {};
    const unprocessed: Record<string, unknown[]> = {};
    for (const [index, request] of requests.entries()) {
      const target = held.has(index) ? unprocessed : sent;
      (target[request.table] ??= []).push(request.write);
    }
    const result = await next({ ...args, input: { ...args.input, RequestItems: sent } });

    this.recordHeld(requests, held);
    this.injected.unprocessedItems += held.size;
    const merged = { ...((result.output.UnprocessedItems ?? {}) as Record<string, unknown[]>) };
    for (const [table, writes] of Object.entries(unprocessed)) merged[table] = [...(merged[table] ?? []), ...writes];
    return { ...result, output: { ...result.output, UnprocessedItems: merged } };
  }

  private async partialSendBatch(next: Next, args: { input: Input }): Promise<Result> {
    const entries = (args.input.Entries ?? []) as Array<{ Id?: string; MessageBody?: string }>;
    const queueUrl = String(args.input.QueueUrl ?? '');
    const requests = entries.map((entry) => ({ entry, item: fingerprint(queueUrl, entry.Id, entry.MessageBody) }));
    if (requests.length === 0 || this.partialRate <= 0 || this.random() >= this.partialRate) return next(args);
    // SQS may fail every entry of a batch: nothing needs to get through.
    const held = this.chooseHeld(requests, { keepOne: false });
    if (held.size === 0) return next(args);

    const sent = entries.filter((_, index) => !held.has(index));
    const result: Result =
      sent.length === 0
        ? { output: { Successful: [], Failed: [], $metadata: { httpStatusCode: 200 } } }
        : await next({ ...args, input: { ...args.input, Entries: sent } });

    this.recordHeld(requests, held);
    this.injected.failedEntries += held.size;
    const failed = [...held].map((index) => ({
      Id: entries[index].Id,
      SenderFault: false,
      Code: 'InternalError',
      Message: 'injected by SdkFaultInjector: the entry was not sent',
    }));
    return { ...result, output: { ...result.output, Failed: [...((result.output.Failed as unknown[] | undefined) ?? []), ...failed] } };
  }

  /** Indexes to hold back: each eligible one with even odds, at least one; with `keepOne`, never all of them. */
  private chooseHeld(requests: ReadonlyArray<{ item: string }>, options: { keepOne: boolean }): Set<number> {
    const eligible = requests.flatMap((request, index) => ((this.holdsByItem.get(request.item) ?? 0) < this.maxHoldsPerItem ? [index] : []));
    if (eligible.length === 0) return new Set();
    const held = new Set(eligible.filter(() => this.random() < 0.5));
    if (held.size === 0) held.add(eligible[Math.floor(this.random() * eligible.length)]);
    if (options.keepOne && held.size === requests.length) held.delete(eligible[Math.floor(this.random() * eligible.length)]);
    return held;
  }

  private recordHeld(requests: ReadonlyArray<{ item: string }>, held: ReadonlySet<number>): void {
    for (const index of held) {
      const item = requests[index].item;
      this.holdsByItem.set(item, (this.holdsByItem.get(item) ?? 0) + 1);
    }
  }
}

/** A throttling error as the SDK would deserialize it from the service's answer (HTTP 400, client fault). */
function throttlingError(call: SdkCall, alternate: boolean): Error {
  const $metadata = { httpStatusCode: 400, attempts: 1, totalRetryDelay: 0 };
  const message = `injected by SdkFaultInjector: ${call.operation} throttled`;
  if (call.service === 'dynamodb') {
    return alternate ? new ThrottlingException({ message, $metadata }) : new ProvisionedThroughputExceededException({ message, $metadata });
  }
  if (alternate) return new RequestThrottled({ message, $metadata });
  // SQS's generic throttling code, which the SDK raises as a plain service exception named after it.
  return new SQSServiceException({ name: 'ThrottlingException', $fault: 'client', message, $metadata });
}

/** Clock readings a retry takes afresh (`updatedAt`, `deadLetteredAt`): not part of what makes a request the same. */
const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z$/;

/**
 * A short identity for a request or an item (Sets, binary and bigints included). Timestamps are left out, so a
 * retry that stamps the time again still counts as the same request.
 */
function fingerprint(...parts: unknown[]): string {
  const text = JSON.stringify(parts, (_key, value: unknown) => {
    if (typeof value === 'string' && ISO_TIMESTAMP.test(value)) return '<time>';
    if (value instanceof Set) return { $set: [...value] };
    if (value instanceof Uint8Array) return { $bytes: Buffer.from(value).toString('base64') };
    if (typeof value === 'bigint') return { $bigint: value.toString() };
    return value;
  });
  return createHash('sha1').update(text).digest('base64');
}
