import { expect } from 'chai';
import { InMemoryChunkQueue } from '../../../src/adapters/memory/in-memory-chunk-queue.js';
import { InMemoryLogRepository } from '../../../src/adapters/memory/in-memory-log-repository.js';
import { InMemoryObjectStore } from '../../../src/adapters/memory/in-memory-object-store.js';
import { InMemorySplitContinuations } from '../../../src/adapters/memory/in-memory-split-continuations.js';
import type { AwsConfig } from '../../../src/config/config.js';
import { adaptersModule } from '../../../src/di/adapters.module.js';
import { awsQueueAndTableModule } from '../../../src/di/aws-queue-table.module.js';
import { awsModule, createAwsClients } from '../../../src/di/aws.module.js';
import { createContainer } from '../../../src/di/container.js';
import { TOKENS } from '../../../src/di/tokens.js';

const awsConfig: AwsConfig = {
  tableName: 'logbatch',
  queueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/chunks',
  deadLetterQueueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/chunks-dlq',
  continuationQueueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/continuations',
  pipeline: {},
};

describe('createContainer', () => {
  const moduleSets = {
    memory: () => {
      const queue = new InMemoryChunkQueue();
      return adaptersModule({
        objectStore: new InMemoryObjectStore(),
        chunkQueue: queue,
        logRepository: new InMemoryLogRepository(),
        continuations: new InMemorySplitContinuations(),
        queueConsumer: queue,
      });
    },
    aws: () => awsModule(awsConfig, { clients: createAwsClients() }),
  };

  for (const [name, makeModule] of Object.entries(moduleSets)) {
    it(`binds and resolves every token with the ${name} adapters`, () => {
      const container = createContainer({ adapters: makeModule() });

      const unbound = Object.entries(TOKENS).filter(([, token]) => !container.isBound(token)).map(([key]) => key);
      const resolved = Object.values(TOKENS).map((token) => container.get(token));

      expect(unbound).to.deep.equal([]);
      expect(resolved.every((value) => value !== undefined && value !== null)).to.equal(true);
    });
  }

  it('resolves the worker\'s use cases with the SQS and DynamoDB adapters alone (no S3 client)', () => {
    const container = createContainer({ adapters: awsQueueAndTableModule(awsConfig) });

    const unbound = Object.entries(TOKENS).filter(([, token]) => !container.isBound(token)).map(([key]) => key);

    expect(unbound).to.deep.equal(['ObjectStore']);
    expect(container.get(TOKENS.ProcessChunk)).to.be.an('object');
    expect(container.get(TOKENS.DeadLetters)).to.be.an('object');
  });

  it('resolves each use case once (singletons per container)', () => {
    const container = createContainer({ adapters: moduleSets.memory() });

    expect(container.get(TOKENS.ProcessChunk)).to.equal(container.get(TOKENS.ProcessChunk));
  });
});
