import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { expect } from 'chai';
import sinon from 'sinon';
import type { ProcessChunk } from '../../../src/application/process-chunk.use-case.js';
import type { SplitLogObject } from '../../../src/application/split-log-object.use-case.js';
import { createPowertoolsTelemetry } from '../../../src/handlers/powertools-telemetry.js';
import { createSplitterHandler } from '../../../src/handlers/splitter.js';
import type { HandlerTelemetry } from '../../../src/handlers/telemetry.js';
import { createWorkerHandler } from '../../../src/handlers/worker.js';
import { s3EventFactory, sqsEventFactory } from '../../helpers/events.js';

/** A Lambda context as the runtime passes it. */
function lambdaContext(remainingMs = 60_000): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'logbatch-worker',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:logbatch-worker',
    memoryLimitInMB: '1024',
    awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
    logGroupName: '/aws/lambda/logbatch-worker',
    logStreamName: '2026/12/03/[$LATEST]abc',
    getRemainingTimeInMillis: () => remainingMs,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** Telemetry that records what the handler told it. */
function recordingTelemetry() {
  const calls: string[] = [];
  let context: Context | undefined;
  const telemetry: HandlerTelemetry = {
    invocationStarted: (given) => {
      context = given;
      calls.push('invocationStarted');
    },
    splitFinished: () => calls.push('splitFinished'),
    chunkProcessed: () => calls.push('chunkProcessed'),
    chunkFailed: () => calls.push('chunkFailed'),
    flush: () => calls.push('flush'),
  };
  return { telemetry, calls, context: () => context };
}

describe('handler telemetry', () => {
  describe('createWorkerHandler', () => {
    it('hands the Lambda context to the telemetry before anything else', async () => {
      const recorded = recordingTelemetry();
      const processChunk = { handleDelivery: async () => ({ kind: 'retry', reason: 'x' }) } as unknown as ProcessChunk;
      const handler = createWorkerHandler(() => ({ processChunk, telemetry: recorded.telemetry }));
      const context = lambdaContext();

      await handler(sqsEventFactory(['{}']), context);

      expect(recorded.context()).to.equal(context);
      expect(recorded.calls).to.deep.equal(['invocationStarted', 'chunkFailed', 'flush']);
    });

    it('flushes metrics when the invocation throws', async () => {
      const recorded = recordingTelemetry();
      const processChunk = {
        handleDelivery: sinon
          .stub()
          .onFirstCall()
          .resolves({ kind: 'retry', reason: 'throttled' })
          .onSecondCall()
          .resolves({ kind: 'processed', outcome: {} }),
      } as unknown as ProcessChunk;
      const telemetry: HandlerTelemetry = {
        ...recorded.telemetry,
        chunkProcessed: () => {
          throw new Error('boom');
        },
      };
      const handler = createWorkerHandler(() => ({ processChunk, telemetry }));

      const error = await handler(sqsEventFactory(['{}', '{}']), lambdaContext()).then(
        () => undefined,
        (thrown: unknown) => thrown,
      );

      expect((error as Error).message).to.equal('boom');
      expect(recorded.calls).to.deep.equal(['invocationStarted', 'chunkFailed', 'flush']);
    });
  });

  describe('createSplitterHandler', () => {
    it('hands the Lambda context over, and flushes metrics when a split throws', async () => {
      const recorded = recordingTelemetry();
      const splitLogObject = { execute: sinon.stub().rejects(new Error('S3 unavailable')) } as unknown as SplitLogObject;
      const handler = createSplitterHandler(() => ({ splitLogObject, telemetry: recorded.telemetry }));
      const context = lambdaContext(900_000);

      const error = await handler(s3EventFactory({ key: 'a.log' }), context).then(
        () => undefined,
        (thrown: unknown) => thrown,
      );

      expect((error as Error).message).to.equal('S3 unavailable');
      expect(recorded.context()).to.equal(context);
      expect(recorded.calls).to.deep.equal(['invocationStarted', 'flush']);
    });

    it('gives the telemetry no context when a local runtime passes only the remaining time', async () => {
      const recorded = recordingTelemetry();
      const splitLogObject = { execute: sinon.stub() } as unknown as SplitLogObject;
      const handler = createSplitterHandler(() => ({ splitLogObject, telemetry: recorded.telemetry }));

      await handler({ Records: [] }, { getRemainingTimeInMillis: () => 1000 });

      expect(recorded.calls).to.deep.equal(['invocationStarted', 'flush']);
      expect(recorded.context()).to.equal(undefined);
    });
  });

  describe('createPowertoolsTelemetry', () => {
    it('adds the Lambda context to the logger (request id, function, cold start) and publishes metrics on flush', () => {
      const logger = new Logger({ serviceName: 'logbatch-worker' });
      const metrics = new Metrics({ serviceName: 'logbatch-worker', namespace: 'logbatch' });
      const addContext = sinon.spy(logger, 'addContext');
      const publish = sinon.stub(metrics, 'publishStoredMetrics');
      const telemetry = createPowertoolsTelemetry('logbatch-worker', { logger, metrics });
      const context = lambdaContext();

      telemetry.invocationStarted?.(context);
      telemetry.flush();

      expect(addContext.calledOnceWithExactly(context)).to.equal(true);
      expect(publish.calledOnce).to.equal(true);
    });
  });
});
