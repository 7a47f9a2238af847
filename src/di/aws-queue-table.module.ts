import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type Bind, ContainerModule } from 'inversify';
import { createDocumentClient, DynamoDbLogRepository } from '../adapters/aws/dynamodb-log-repository.js';
import type { RetryPolicy } from '../adapters/aws/retry.js';
import { SqsChunkQueue } from '../adapters/aws/sqs-chunk-queue.js';
import { SqsSplitContinuations } from '../adapters/aws/sqs-split-continuations.js';
import type { ChunkQueue } from '../application/ports/chunk-queue.port.js';
import type { LogRepository } from '../application/ports/log-repository.port.js';
import type { QueueConsumer } from '../application/ports/queue-consumer.port.js';
import type { SplitContinuations } from '../application/ports/split-continuations.port.js';
import type { AwsConfig } from '../config/config.js';
import { AWS_TOKENS } from './aws.tokens.js';
import { TOKENS } from './tokens.js';

/*
 * The AWS adapters without S3: what the worker needs. Kept apart from aws.module.ts so that the worker's bundle
 * (src/handlers/worker.handler.ts) does not import, parse and evaluate @aws-sdk/client-s3 at every cold start.
 */

/** The SQS and DynamoDB clients of the AWS adapters. */
export interface QueueAndTableClients {
  readonly sqs: SQSClient;
  readonly dynamodb: DynamoDBClient;
}

/**
 * Default SQS and DynamoDB clients. Region, credentials and endpoints come from the SDK's standard sources,
 * including `AWS_ENDPOINT_URL` / `AWS_ENDPOINT_URL_<SERVICE>`; nothing here (or in the adapters) special-cases endpoints.
 */
export function createQueueAndTableClients(env: Readonly<Record<string, string | undefined>> = process.env): QueueAndTableClients {
  // With an explicit endpoint (emulators, VPC endpoints), send queue requests there rather than to the queue URL's host.
  const sqsEndpoint = env.AWS_ENDPOINT_URL_SQS ?? env.AWS_ENDPOINT_URL;
  return {
    sqs: new SQSClient(sqsEndpoint === undefined ? {} : { useQueueUrlAsEndpoint: false }),
    dynamodb: new DynamoDBClient({}),
  };
}

/**
 * Binds the configuration, the retry policy, the SQS adapters (chunk queue, its consuming side, split continuations)
 * and the DynamoDB repository.
 */
export function bindQueueAndTable(bind: Bind, config: AwsConfig, clients: QueueAndTableClients, retry: Partial<RetryPolicy>): void {
  bind<AwsConfig>(AWS_TOKENS.AwsConfig).toConstantValue(config);
  bind<Partial<RetryPolicy>>(AWS_TOKENS.RetryPolicy).toConstantValue(retry);
  bind<SQSClient>(AWS_TOKENS.SqsClient).toConstantValue(clients.sqs);
  bind<DynamoDBDocumentClient>(AWS_TOKENS.DynamoDbDocumentClient).toConstantValue(createDocumentClient(clients.dynamodb));
  bind(SqsChunkQueue).toSelf().inSingletonScope();
  bind<ChunkQueue>(TOKENS.ChunkQueue).toService(SqsChunkQueue);
  bind<QueueConsumer>(TOKENS.QueueConsumer).toService(SqsChunkQueue);
  bind<SplitContinuations>(TOKENS.SplitContinuations).to(SqsSplitContinuations).inSingletonScope();
  bind<LogRepository>(TOKENS.LogRepository).to(DynamoDbLogRepository).inSingletonScope();
}

/**
 * The worker's adapters: every port but `ObjectStore` (the worker never reads objects), so `ProcessChunk` and
 * `DeadLetters` resolve and `SplitLogObject` does not.
 */
export function awsQueueAndTableModule(
  config: AwsConfig,
  options: { readonly clients?: QueueAndTableClients; readonly retry?: Partial<RetryPolicy> } = {},
): ContainerModule {
  const clients = options.clients ?? createQueueAndTableClients();
  return new ContainerModule(({ bind }) => bindQueueAndTable(bind, config, clients, options.retry ?? {}));
}
