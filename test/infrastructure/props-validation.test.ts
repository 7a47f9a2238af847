import { App, Duration, Stack } from 'aws-cdk-lib';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { expect } from 'chai';
import { ChunkQueue } from '../../infrastructure/lib/constructs/chunk-queue.js';
import { LogTable } from '../../infrastructure/lib/constructs/log-table.js';
import { WorkerFunction } from '../../infrastructure/lib/constructs/worker-function.js';
import { resolvePipelineTuning } from '../../infrastructure/lib/pipeline-environment.js';
import { LogPipelineStack, type LogPipelineStackProps } from '../../infrastructure/lib/log-pipeline-stack.js';
import { CONTEXT_KEYS, contextErrorMessage, readStackContext } from '../../infrastructure/lib/stack-context.js';
import { InvalidPropsError } from '../../infrastructure/lib/validation.js';
import { createStack, inlineHandlers } from './stack-fixture.js';

describe('LogPipelineStack', () => {
  describe('props validation', () => {
    const invalidProps: Array<[string, LogPipelineStackProps, RegExp]> = [
      ['a worker timeout over 15 minutes', { worker: { timeout: Duration.minutes(16) } }, /ChunkQueue: invalid workerTimeout/],
      ['a maxReceiveCount under 5', { maxReceiveCount: 3 }, /ChunkQueue: invalid maxReceiveCount: expected an integer from 5 to 1000, got 3/],
      ['a batch size over 10 without a batching window', { worker: { batchSize: 50 } }, /WorkerFunction: invalid batchSize: .*maxBatchingWindow/],
      ['a worker reservation under its maximum concurrency', { worker: { maxConcurrency: 20, reservedConcurrency: 10 } }, /WorkerFunction: invalid reservedConcurrency: expected an integer from 20 to 10000, got 10/],
      ['a splitter reservation of 1', { splitter: { reservedConcurrency: 1 } }, /SplitterFunction: invalid reservedConcurrency/],
      ['a maximum concurrency of 1', { worker: { maxConcurrency: 1 } }, /WorkerFunction: invalid maxConcurrency/],
      ['a splitter reservation under 4 with a queue-fed trigger', { trigger: 'sqs', splitter: { reservedConcurrency: 3 } }, /SplitterTrigger: invalid splitterReservedConcurrency: expected an integer from 4 to 10000, got 3/],
      ['a batching window over 5 minutes', { worker: { maxBatchingWindow: Duration.minutes(6) } }, /WorkerFunction: invalid maxBatchingWindow/],
      ['a chunk byte budget over 1 MiB', { tuning: { maxChunkBytes: 2 * 1024 * 1024 } }, /invalid maxChunkBytes: expected an integer from 1024 to 1048576/],
      ['an unknown format', { tuning: { format: 'xml' } }, /invalid format: expected one of auto, /],
      ['a format rule naming an unknown format', { tuning: { formatRules: ['nginx/**=apache'] } }, /invalid formatRules: format rule "nginx\/\*\*=apache" names an unknown format/],
      ['a negative entry TTL', { tuning: { entryTtlDays: -1 } }, /invalid entryTtlDays/],
      ['an unknown log level', { logLevel: 'LOUD' as 'INFO' }, /LogBatchPipeline: invalid logLevel/],
      ['a chunk sender that is not an IAM principal ARN', { chunkSenderArns: ['ops'] }, /ChunkQueue: invalid additionalSenderArns/],
      ['a malformed alarm e-mail', { alarmEmail: 'ops-at-example' }, /PipelineMonitoring: invalid alarmEmail/],
      ['a worker-duration alarm under half the timeout', { alarmThresholds: { workerDurationPercentOfTimeout: 30 } }, /PipelineMonitoring: invalid thresholds.workerDurationPercentOfTimeout/],
      ['a dead-letter age alarm after the messages expire', { alarmThresholds: { deadLetterAge: Duration.days(14) } }, /PipelineMonitoring: invalid thresholds.deadLetterAge/],
      ['a key prefix with a wildcard', { ingestKeyPrefix: 'logs/*' }, /IngestBucket: invalid keyPrefix/],
      ['an invalid bucket name', { ingestBucketName: 'Logs_Bucket' }, /IngestBucket: invalid bucketName/],
      ['a splitter memory under 128 MB', { splitter: { memorySize: 64 } }, /invalid memorySize: expected an integer from 128 to 10240, got 64/],
      ['an include filter that is not a regular expression', { filters: { include: ['(unclosed'] } }, /LogBatchPipeline: invalid filters.include: include pattern "\(unclosed" is not a regular expression/],
      ['an empty exclude filter', { filters: { exclude: [''] } }, /LogBatchPipeline: invalid filters.exclude: exclude pattern is empty/],
      ['an unknown minimum severity', { filters: { minSeverity: 'loud' } }, /LogBatchPipeline: invalid filters.minSeverity: minimum severity "loud"/],
      ['an unknown redaction detector', { redaction: { detectors: 'defaults,passport' } }, /LogBatchPipeline: invalid redaction.detectors: unknown redaction detector "passport"/],
      ['a custom redaction rule that is not a regular expression', { redaction: { detectors: 'ticket=TCK-[' } }, /LogBatchPipeline: invalid redaction.detectors: /],
      ['hmac redaction without the key\'s secret', { redaction: { replacement: 'hmac' } }, /LogBatchPipeline: invalid redaction.hmacKeySecret: replacement 'hmac' needs the secret/],
      ['an unknown redaction replacement', { redaction: { replacement: 'label' as 'mask' } }, /LogBatchPipeline: invalid redaction.replacement: expected mask or hmac/],
    ];
    for (const [what, props, message] of invalidProps) {
      it(`rejects ${what}`, () => {
        expect(() => createStack(props)).to.throw(InvalidPropsError, message);
      });
    }

    it('rejects alarmTopic and alarmEmail together', () => {
      const app = new App();
      const topic = new Topic(new Stack(app, 'Topics'), 'Alarms');

      expect(() => createStack({ alarmTopic: topic, alarmEmail: 'ops@example.com' })).to.throw(InvalidPropsError, /either alarmTopic or alarmEmail/);
    });

    it('rejects a chunk queue visibility timeout under 6 × the worker timeout', () => {
      const stack = new Stack(new App(), 'Queues');

      expect(
        () => new ChunkQueue(stack, 'Chunks', { workerTimeout: Duration.minutes(2), visibilityTimeout: Duration.minutes(11) }),
      ).to.throw(InvalidPropsError, /invalid visibilityTimeout: expected from 12 minutes/);
    });

    it('rejects a worker whose timeout is longer than its queue\'s visibility timeout allows', () => {
      const stack = new Stack(new App(), 'Worker');
      const chunkQueue = new ChunkQueue(stack, 'Chunks', { workerTimeout: Duration.minutes(1) });
      const table = new LogTable(stack, 'Table');

      expect(
        () =>
          new WorkerFunction(stack, 'Worker', {
            chunkQueue,
            table,
            tuning: resolvePipelineTuning('test'),
            timeout: Duration.minutes(2),
            code: inlineHandlers().worker,
          }),
      ).to.throw(InvalidPropsError, /visibility timeout \(6 minutes\) must be at least 6 × the worker timeout \(2 minutes\)/);
    });
  });

  describe('context', () => {
    const appWith = (context: Record<string, unknown>) => new App({ context });

    it('reads typed props from -c strings', () => {
      const { stackName, props } = readStackContext(
        appWith({
          [CONTEXT_KEYS.stackName]: 'LogBatchDev',
          [CONTEXT_KEYS.destroyOnRemoval]: 'true',
          [CONTEXT_KEYS.logLevel]: 'DEBUG',
          [CONTEXT_KEYS.workerBatchSize]: '20',
          [CONTEXT_KEYS.workerBatchingWindowSeconds]: '5',
          [CONTEXT_KEYS.maxChunkLines]: '1',
          [CONTEXT_KEYS.logRetentionDays]: '14',
        }).node,
      );

      expect(stackName).to.equal('LogBatchDev');
      expect(props.destroyOnRemoval).to.equal(true);
      expect(props.logLevel).to.equal('DEBUG');
      expect(props.worker?.batchSize).to.equal(20);
      expect(props.worker?.maxBatchingWindow?.toSeconds()).to.equal(5);
      expect(props.tuning?.maxChunkLines).to.equal(1);
      expect(props.logRetention).to.equal(14);
    });

    it('reads the concurrency, tracing and expiry keys', () => {
      const { props } = readStackContext(
        appWith({
          [CONTEXT_KEYS.workerReservedConcurrency]: '30',
          [CONTEXT_KEYS.splitterReservedConcurrency]: '4',
          [CONTEXT_KEYS.reserveConcurrency]: 'false',
          [CONTEXT_KEYS.tracing]: 'true',
          [CONTEXT_KEYS.ingestObjectExpirationDays]: '0',
        }).node,
      );

      expect(props.worker?.reservedConcurrency).to.equal(30);
      expect(props.splitter?.reservedConcurrency).to.equal(4);
      expect(props.reserveConcurrency).to.equal(false);
      expect(props.tracing).to.equal(true);
      expect(props.ingestObjectExpirationDays).to.equal(0);
    });

    it('reads existingBuckets as a JSON array from a -c string or from cdk.json, and createIngestBucket', () => {
      const buckets = [{ bucket: 'team-logs', prefixes: ['app/'] }];

      const fromString = readStackContext(appWith({ [CONTEXT_KEYS.existingBuckets]: JSON.stringify(buckets), [CONTEXT_KEYS.createIngestBucket]: 'false' }).node);
      const fromJson = readStackContext(appWith({ [CONTEXT_KEYS.existingBuckets]: buckets }).node);

      expect(fromString.props.existingBuckets).to.deep.equal(buckets);
      expect(fromString.props.createIngestBucket).to.equal(false);
      expect(fromJson.props.existingBuckets).to.deep.equal(buckets);
    });

    it('defaults the stack name and leaves unset values to the stack\'s defaults', () => {
      const { stackName, props } = readStackContext(appWith({}).node);

      expect(stackName).to.equal('LogBatch');
      expect(props.destroyOnRemoval).to.equal(undefined);
      expect(props.worker?.timeout).to.equal(undefined);
    });

    for (const [key, value] of [
      [CONTEXT_KEYS.destroyOnRemoval, 'yes'],
      [CONTEXT_KEYS.workerBatchSize, '10.5'],
      [CONTEXT_KEYS.logRetentionDays, '42'],
      [CONTEXT_KEYS.alarmEmail, ' '],
      [CONTEXT_KEYS.existingBuckets, 'team-logs'],
      [CONTEXT_KEYS.existingBuckets, '{"bucket":"team-logs"}'],
    ] as const) {
      it(`rejects ${key}=${JSON.stringify(value)}, naming the key`, () => {
        expect(() => readStackContext(appWith({ [key]: value }).node)).to.throw(InvalidPropsError, new RegExp(`context: invalid ${key}`));
      });
    }

    // A value of the right type but out of a construct's range fails in the construct: reported under the context key.
    for (const [key, value, detail] of [
      [CONTEXT_KEYS.workerMemoryMb, '99999', 'expected an integer from 128 to 10240, got 99999'],
      [CONTEXT_KEYS.splitterMemoryMb, '64', 'expected an integer from 128 to 10240, got 64'],
      [CONTEXT_KEYS.workerTimeoutSeconds, '2000', 'expected from 1 second to 15 minutes, got 33 minutes 20 seconds'],
      [CONTEXT_KEYS.maxChunkBytes, '10', 'expected an integer from 1024 to 1048576, got 10'],
      [CONTEXT_KEYS.workerMaxConcurrency, '1', 'expected an integer from 2 to 1000, got 1'],
    ] as const) {
      it(`reports ${key}=${value}, out of its construct's range, under the context key`, () => {
        const app = appWith({ [key]: value });
        const { props } = readStackContext(app.node);

        const error = catchError(() => new LogPipelineStack(app, 'ContextRange', { ...props, handlerCodeForTests: inlineHandlers() }));

        expect(error).to.be.instanceOf(InvalidPropsError);
        expect(contextErrorMessage(error as InvalidPropsError, app.node)).to.equal(`context: invalid ${key}: ${detail}`);
      });
    }

    it("keeps the construct's prop in the message when no context key set it", () => {
      const app = appWith({});

      const error = catchError(() => new LogPipelineStack(app, 'PropRange', { worker: { memorySize: 64 }, handlerCodeForTests: inlineHandlers() }));

      expect(contextErrorMessage(error as InvalidPropsError, app.node)).to.equal('WorkerFunction: invalid memorySize: expected an integer from 128 to 10240, got 64');
    });
  });
});

/** The error `build` throws (undefined when it throws none). */
function catchError(build: () => unknown): unknown {
  try {
    build();
  } catch (error) {
    return error;
  }
  return undefined;
}
