import type { RequestCounter } from '../instrumentation/request-counter.js';

/** SQS bills each 64 KiB of a request's payload as one request. */
export const SQS_BILLING_CHUNK_BYTES = 64 * 1024;
/** DynamoDB write request unit: 1 KB of item per write. */
export const DYNAMODB_WRITE_UNIT_BYTES = 1024;
/** DynamoDB read request unit: 4 KB of items per strongly consistent read. */
export const DYNAMODB_READ_UNIT_BYTES = 4096;

export type AccountedService = 's3' | 'sqs' | 'dynamodb';

/** The part of an SDK v3 client the accounting needs (every `@aws-sdk/client-*` client has it). */
export interface ClientWithMiddleware {
  readonly middlewareStack: { add(middleware: never, options: Record<string, unknown>): void };
}

interface MiddlewareContext {
  readonly commandName?: string;
}
type Input = Record<string, unknown>;
type Output = { $metadata?: { attempts?: number } } & Record<string, unknown>;
type Next = (args: { input: Input }) => Promise<{ output: Output }>;

const MIDDLEWARE_NAME = 'logbatchRequestAccounting';

/**
 * Adds middleware to an SDK client that counts every request it really makes — each HTTP attempt, SDK retries
 * included — as `<service>.<Operation>` (`s3.GetObject`, `sqs.SendMessageBatch`, `dynamodb.BatchWriteItem`, ...),
 * plus the billed quantities: `sqsBilledRequests` (one per 64 KiB of payload), `dynamodbWriteUnits` (one per KB
 * per item written, twice for transactions) and `dynamodbReadUnits`. Install it on the base `DynamoDBClient`; the
 * document client shares its middleware stack and the middleware sees the marshalled input.
 */
export function installRequestAccounting(client: ClientWithMiddleware, service: AccountedService, counter: RequestCounter): void {
  const middleware = (next: Next, context: MiddlewareContext) => async (args: { input: Input }) => {
    const operation = (context.commandName ?? 'Unknown').replace(/Command$/, '');
    let output: Output | undefined;
    let attempts = 1;
    try {
      const result = await next(args);
      output = result.output;
      attempts = Math.max(1, output.$metadata?.attempts ?? 1);
      return result;
    } catch (error) {
      attempts = Math.max(1, (error as Output).$metadata?.attempts ?? 1);
      throw error;
    } finally {
      counter.add(`${service}.${operation}`, attempts);
      recordBilledQuantities(service, operation, args.input, output, attempts, counter);
    }
  };
  // The build step runs once per command, outside the SDK's retry loop; `$metadata.attempts` counts the retries.
  client.middlewareStack.add(middleware as never, { step: 'build', name: MIDDLEWARE_NAME, override: true });
}

function recordBilledQuantities(
  service: AccountedService,
  operation: string,
  input: Input,
  output: Output | undefined,
  attempts: number,
  counter: RequestCounter,
): void {
  if (service === 'sqs') {
    counter.add('sqsBilledRequests', attempts * sqsBilledRequests(operation, input, output));
  } else if (service === 'dynamodb') {
    // A failed call (condition failure, cancelled transaction) is still charged; count what it would write.
    const writeUnits = dynamodbWriteUnits(operation, input, output);
    if (writeUnits > 0) counter.add('dynamodbWriteUnits', writeUnits);
    const readUnits = output === undefined ? 0 : dynamodbReadUnits(operation, input, output);
    if (readUnits > 0) counter.add('dynamodbReadUnits', readUnits);
  }
}

/** Billed requests of one SQS call: one per started 64 KiB of message payload, at least one. */
export function sqsBilledRequests(operation: string, input: Input, output: Output | undefined): number {
  let payloadBytes = 0;
  if (operation === 'SendMessage') {
    payloadBytes = sqsMessageBytes(input);
  } else if (operation === 'SendMessageBatch') {
    for (const entry of (input.Entries as Input[] | undefined) ?? []) payloadBytes += sqsMessageBytes(entry);
  } else if (operation === 'ReceiveMessage' && output !== undefined) {
    for (const message of (output.Messages as Input[] | undefined) ?? []) payloadBytes += sqsMessageBytes(message);
  }
  return Math.max(1, Math.ceil(payloadBytes / SQS_BILLING_CHUNK_BYTES));
}

function sqsMessageBytes(message: Input): number {
  let bytes = Buffer.byteLength(String(message.MessageBody ?? message.Body ?? ''), 'utf8');
  const attributes = (message.MessageAttributes as Record<string, Input> | undefined) ?? {};
  for (const [name, value] of Object.entries(attributes)) {
    bytes += Buffer.byteLength(name) + Buffer.byteLength(String(value.DataType ?? ''));
    bytes += Buffer.byteLength(String(value.StringValue ?? ''));
  }
  return bytes;
}

/**
 * Write request units of one DynamoDB call: per item, one per started KB (an update or delete is counted as one
 * unit: logbatch only updates small records); transactional writes cost twice. Items `BatchWriteItem` returns
 * unprocessed are not charged (they are counted when they are retried).
 */
export function dynamodbWriteUnits(operation: string, input: Input, output: Output | undefined): number {
  switch (operation) {
    case 'PutItem':
      return writeUnitsOf(input.Item);
    case 'UpdateItem':
    case 'DeleteItem':
      return 1;
    case 'BatchWriteItem': {
      const requested = batchWriteUnits(input.RequestItems);
      const unprocessed = output === undefined ? 0 : batchWriteUnits(output.UnprocessedItems);
      return Math.max(0, requested - unprocessed);
    }
    case 'TransactWriteItems': {
      let units = 0;
      for (const action of (input.TransactItems as Input[] | undefined) ?? []) {
        const put = action.Put as Input | undefined;
        units += put !== undefined ? writeUnitsOf(put.Item) : 1;
      }
      return 2 * units;
    }
    default:
      return 0;
  }
}

function batchWriteUnits(requestItems: unknown): number {
  let units = 0;
  for (const requests of Object.values((requestItems as Record<string, Input[]> | undefined) ?? {})) {
    for (const request of requests) {
      const put = request.PutRequest as Input | undefined;
      units += put !== undefined ? writeUnitsOf(put.Item) : 1;
    }
  }
  return units;
}

function writeUnitsOf(item: unknown): number {
  return Math.max(1, Math.ceil(itemSizeBytes(item) / DYNAMODB_WRITE_UNIT_BYTES));
}

/** Read request units of a read: 4 KB strongly consistent, half for eventually consistent reads. */
export function dynamodbReadUnits(operation: string, input: Input, output: Output): number {
  const consistency = input.ConsistentRead === true ? 1 : 0.5;
  if (operation === 'GetItem') {
    return consistency * Math.max(1, Math.ceil(itemSizeBytes(output.Item) / DYNAMODB_READ_UNIT_BYTES));
  }
  if (operation === 'Query' || operation === 'Scan') {
    let bytes = 0;
    for (const item of (output.Items as unknown[] | undefined) ?? []) bytes += itemSizeBytes(item);
    return consistency * Math.max(1, Math.ceil(bytes / DYNAMODB_READ_UNIT_BYTES));
  }
  return 0;
}

/**
 * Size of an item by DynamoDB's rules (attribute names plus values; numbers ~1 byte per 2 digits + 1; lists and
 * maps 3 bytes + 1 per element). Takes a marshalled item (`{ S: "..." }` values) or, as the document client hands
 * back unprocessed items, a plain one.
 */
export function itemSizeBytes(item: unknown): number {
  if (typeof item !== 'object' || item === null) return 0;
  let bytes = 0;
  for (const [name, value] of Object.entries(item as Record<string, unknown>)) {
    if (value === undefined) continue;
    bytes += Buffer.byteLength(name, 'utf8') + valueSize(value);
  }
  return bytes;
}

/**
 * A marshalled AttributeValue: one type tag whose content has that tag's type. The content check matters: a plain
 * log attribute such as `{ "L": "abc" }` or `{ "S": 5 }` has the same single key and must be sized as what it is.
 */
function isAttributeValue(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Uint8Array) return false;
  const keys = Object.keys(value);
  if (keys.length !== 1) return false;
  const content = (value as Record<string, unknown>)[keys[0]];
  switch (keys[0]) {
    case 'S':
    case 'N':
      return typeof content === 'string';
    case 'B':
      return content instanceof Uint8Array;
    case 'BOOL':
      return typeof content === 'boolean';
    case 'NULL':
      return content === true;
    case 'L':
      return Array.isArray(content);
    case 'M':
      return typeof content === 'object' && content !== null && !Array.isArray(content);
    case 'SS':
    case 'NS':
      return Array.isArray(content) && content.every((element) => typeof element === 'string');
    case 'BS':
      return Array.isArray(content) && content.every((element) => element instanceof Uint8Array);
    default:
      return false;
  }
}

/** Size of a value that may be marshalled or plain, element by element. */
function valueSize(value: unknown): number {
  return isAttributeValue(value) ? attributeValueSize(value) : plainValueSize(value);
}

function attributeValueSize(value: Record<string, unknown>): number {
  const [type, content] = Object.entries(value)[0];
  switch (type) {
    case 'S':
      return Buffer.byteLength(content as string, 'utf8');
    case 'N':
      return numberSize(content as string);
    case 'B':
      return (content as Uint8Array).byteLength;
    case 'BOOL':
    case 'NULL':
      return 1;
    case 'SS':
      return (content as string[]).reduce((sum, text) => sum + Buffer.byteLength(text, 'utf8'), 0);
    case 'NS':
      return (content as string[]).reduce((sum, text) => sum + numberSize(text), 0);
    case 'BS':
      return (content as Uint8Array[]).reduce((sum, bytes) => sum + bytes.byteLength, 0);
    case 'L':
      return 3 + (content as unknown[]).reduce((sum: number, element) => sum + 1 + valueSize(element), 0);
    case 'M':
      return 3 + Object.entries(content as Record<string, unknown>).reduce(
        (sum, [name, element]) => sum + 1 + Buffer.byteLength(name, 'utf8') + valueSize(element),
        0,
      );
    default:
      return 0;
  }
}

function plainValueSize(value: unknown): number {
  if (value === null || typeof value === 'boolean') return 1;
  if (typeof value === 'string') return Buffer.byteLength(value, 'utf8');
  if (typeof value === 'number' || typeof value === 'bigint') return numberSize(String(value));
  if (value instanceof Uint8Array) return value.byteLength;
  if (value instanceof Set) return [...value].reduce((sum: number, element) => sum + plainValueSize(element), 0);
  if (Array.isArray(value)) return 3 + value.reduce((sum: number, element) => sum + 1 + plainValueSize(element), 0);
  if (typeof value === 'object') {
    return (
      3 +
      Object.entries(value as Record<string, unknown>).reduce(
        (sum, [name, element]) => sum + 1 + Buffer.byteLength(name, 'utf8') + plainValueSize(element),
        0,
      )
    );
  }
  return 0;
}

function numberSize(text: string): number {
  const digits = text.replace(/^-/, '').replace(/e.*$/i, '').replace('.', '').replace(/^0+/, '');
  return Math.ceil(Math.max(1, digits.length) / 2) + 1;
}
