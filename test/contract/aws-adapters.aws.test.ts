import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { createDocumentClient, DynamoDbLogRepository } from '../../src/adapters/aws/dynamodb-log-repository.js';
import { S3ObjectStore } from '../../src/adapters/aws/s3-object-store.js';
import { SqsChunkQueue } from '../../src/adapters/aws/sqs-chunk-queue.js';
import { isolatedResources, putObject, sharedEmulatorStack } from '../helpers/emulators.js';
import { describeChunkQueueContract } from './chunk-queue.contract.js';
import { describeLogRepositoryContract } from './log-repository.contract.js';
import { describeObjectStoreContract } from './object-store.contract.js';

// The first fixture starts the shared emulators (DynamoDB Local's JVM takes a few seconds).
before(async function startEmulators() {
  this.timeout(60_000);
  await sharedEmulatorStack();
});

describeObjectStoreContract('S3ObjectStore on fauxqs', async () => {
  const stack = await sharedEmulatorStack();
  const prefix = `contract/${randomUUID()}`;
  return {
    store: new S3ObjectStore(stack.clients.s3),
    bucket: stack.names.bucket,
    put: async (name, content) => {
      const key = `${prefix}/${name}`;
      await putObject(stack, stack.names.bucket, key, content);
      return key;
    },
    missingKey: () => `${prefix}/missing.log`,
  };
});

describeChunkQueueContract('SqsChunkQueue on fauxqs', async (options) => {
  // Time passes for real here: a test that waits the visibility timeout out gets a 1 s one, the others SQS's 30 s.
  const visibilityTimeoutSeconds = options?.waitsOutVisibility === true ? 1 : 30;
  const { stack, names, cleanup } = await isolatedResources('queue', { visibilityTimeoutSeconds, maxReceiveCount: 5 });
  const queue = new SqsChunkQueue(stack.clients.sqs, { queueUrl: names.queueUrl, deadLetterQueueUrl: names.dlqUrl, pipeline: { maxReceiveCount: 5 } });
  return {
    queue,
    maxReceiveCount: 5,
    cleanup,
    visibilityTimeoutMs: visibilityTimeoutSeconds * 1000,
    visibilityToleranceMs: 400,
    elapse: (ms) => delay(ms),
  };
});

describeLogRepositoryContract('DynamoDbLogRepository on DynamoDB Local', async () => {
  const { stack, names, cleanup } = await isolatedResources('repo');
  const repository = new DynamoDbLogRepository(createDocumentClient(stack.clients.dynamodb), { tableName: names.tableName });
  return { repository, cleanup };
});
