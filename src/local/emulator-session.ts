import { watchBucket } from '../adapters/aws/s3-bucket-watcher.js';
import { describeError } from '../domain/errors.js';
import { adaptersModule } from '../di/adapters.module.js';
import { createAwsAdapters } from '../di/aws.module.js';
import { createContainer } from '../di/container.js';
import { type EmulatorStack, startEmulatorStack } from './emulator-stack.js';
import { createLocalHandlers } from './local-handlers.js';
import { LocalRuntime } from './local-runtime.js';

export interface EmulatorSession {
  readonly stack: EmulatorStack;
  /** Resolves when the session has stopped (after {@link stop}). */
  readonly done: Promise<void>;
  stop(): Promise<void>;
}

/**
 * An emulated stack that behaves like the deployed one for interactive use: objects put into the emulated bucket
 * are split (the bucket is watched, standing in for S3 notifications) and their chunks processed by the real
 * handlers, until stopped. Operator commands and the AWS CLI work against it through the printed environment.
 */
export async function startEmulatorSession(options: { onError?: (message: string) => void } = {}): Promise<EmulatorSession> {
  const stack = await startEmulatorStack({ fastStartup: true });
  const adapters = createAwsAdapters(stack.config, { clients: stack.clients });
  const container = createContainer({
    adapters: adaptersModule(adapters),
    settings: stack.config.pipeline,
  });
  const runtime = new LocalRuntime({
    ...createLocalHandlers(container),
    queue: adapters.queueConsumer,
    continuations: adapters.continuations,
    workerConcurrency: 2,
    pollWaitMs: 1000,
  });
  const abort = new AbortController();
  const done = runtime
    .run(watchBucket(stack.clients.s3, stack.names.bucket, { signal: abort.signal }), { signal: abort.signal })
    .then((report) => {
      for (const error of [...report.splitterErrors, ...report.workerErrors]) options.onError?.(error);
    })
    .catch((error: unknown) => options.onError?.(describeError(error)));
  return {
    stack,
    done,
    async stop() {
      abort.abort();
      await done;
      await stack.stop();
    },
  };
}
