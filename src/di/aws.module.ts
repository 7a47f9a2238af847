import { S3Client } from '@aws-sdk/client-s3';
import { ContainerModule } from 'inversify';
import { createDocumentClient, DynamoDbLogRepository } from '../adapters/aws/dynamodb-log-repository.js';
import { installRequestAccounting } from '../adapters/aws/request-accounting.js';
import type { RetryPolicy } from '../adapters/aws/retry.js';
import { S3ObjectStore } from '../adapters/aws/s3-object-store.js';
import { SqsChunkQueue } from '../adapters/aws/sqs-chunk-queue.js';
import { SqsSplitContinuations } from '../adapters/aws/sqs-split-continuations.js';
import type { RequestCounter } from '../adapters/instrumentation/request-counter.js';
import type { ObjectStore } from '../application/ports/object-store.port.js';
import type { QueueConsumer } from '../application/ports/queue-consumer.port.js';
import type { AwsConfig } from '../config/config.js';
import { bindQueueAndTable, createQueueAndTableClients, type QueueAndTableClients } from './aws-queue-table.module.js';
import { AWS_TOKENS } from './aws.tokens.js';
import { TOKENS } from './tokens.js';

/** SDK clients the AWS adapters use; by default built from the environment (region, credentials, endpoints). */
export interface AwsClients extends QueueAndTableClients {
  readonly s3: S3Client;
}

export interface AwsModuleOptions {
  /** Counts every SDK request (`s3.GetObject`, `sqs.SendMessageBatch`, ...) and the billed units. */
  readonly counter?: RequestCounter;
  /** Pre-built clients (the emulator stack passes clients pointed at its endpoints). */
  readonly clients?: AwsClients;
  readonly retry?: Partial<RetryPolicy>;
}

/**
 * Default clients. Region, credentials and endpoints come from the SDK's standard sources, including
 * `AWS_ENDPOINT_URL` / `AWS_ENDPOINT_URL_<SERVICE>`; nothing here (or in the adapters) special-cases endpoints.
 */
export function createAwsClients(env: Readonly<Record<string, string | undefined>> = process.env): AwsClients {
  return { s3: new S3Client({ forcePathStyle: env.AWS_S3_FORCE_PATH_STYLE === 'true' }), ...createQueueAndTableClients(env) };
}

/** Adds request accounting to each client (once per client; installing again replaces the middleware). */
export function instrumentAwsClients(clients: AwsClients, counter: RequestCounter): void {
  installRequestAccounting(clients.s3, 's3', counter);
  installRequestAccounting(clients.sqs, 'sqs', counter);
  installRequestAccounting(clients.dynamodb, 'dynamodb', counter);
}

/**
 * Binds the ports to the AWS adapters (S3, SQS for chunks and split continuations, DynamoDB) and `TOKENS.QueueConsumer` to the SQS adapter
 * in its consuming role (the same instance as the chunk queue). The worker, which reads no objects, uses
 * {@link awsQueueAndTableModule} instead, which leaves S3 out of its bundle.
 */
export function awsModule(config: AwsConfig, options: AwsModuleOptions = {}): ContainerModule {
  const clients = options.clients ?? createAwsClients();
  if (options.counter !== undefined) instrumentAwsClients(clients, options.counter);
  return new ContainerModule(({ bind }) => {
    bindQueueAndTable(bind, config, clients, options.retry ?? {});
    bind<S3Client>(AWS_TOKENS.S3Client).toConstantValue(clients.s3);
    bind<ObjectStore>(TOKENS.ObjectStore).to(S3ObjectStore).inSingletonScope();
  });
}

/** The ready-built AWS adapters, for runtimes that wire by hand (the local runtime on the emulators). */
export interface AwsAdapters {
  readonly objectStore: S3ObjectStore;
  readonly chunkQueue: SqsChunkQueue;
  readonly queueConsumer: QueueConsumer;
  readonly logRepository: DynamoDbLogRepository;
  readonly continuations: SqsSplitContinuations;
}

/** Builds the AWS adapters without a container (same clients, same instrumentation as {@link awsModule}). */
export function createAwsAdapters(config: AwsConfig, options: AwsModuleOptions = {}): AwsAdapters {
  const clients = options.clients ?? createAwsClients();
  if (options.counter !== undefined) instrumentAwsClients(clients, options.counter);
  const retry = options.retry ?? {};
  const chunkQueue = new SqsChunkQueue(clients.sqs, config, retry);
  return {
    objectStore: new S3ObjectStore(clients.s3, retry),
    chunkQueue,
    queueConsumer: chunkQueue,
    logRepository: new DynamoDbLogRepository(createDocumentClient(clients.dynamodb), config, retry),
    continuations: new SqsSplitContinuations(clients.sqs, config, retry),
  };
}
