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
  const listener = listenOnEmulatorStack(stack, options);
  return {
    stack,
    done: listener.done,
    async stop() {
      await listener.stop();
      await stack.stop();
    },
  };
}

/**
 * The pipeline listening on a running emulated stack, as the deployed one listens once its notification is
 * configured: objects written from now on are split (the bucket's objects at this moment are not, as S3 notifies
 * nobody of them), and so is whatever arrives on the splitter's own queue (continuations, `logbatch backfill`).
 * `stop()` stops listening, not the stack.
 */
export function listenOnEmulatorStack(
  stack: EmulatorStack,
  options: { onError?: (message: string) => void; pollWaitMs?: number } = {},
): { readonly done: Promise<void>; stop(): Promise<void> } {
  const adapters = createAwsAdapters(stack.config, { clients: stack.clients });
  const container = createContainer({
    adapters: adaptersModule(adapters),
    settings: stack.config.pipeline,
  });
  const pollWaitMs = options.pollWaitMs ?? 1000;
  const runtime = new LocalRuntime({
    ...createLocalHandlers(container),
    queue: adapters.queueConsumer,
    continuations: adapters.continuations,
    workerConcurrency: 2,
    pollWaitMs,
  });
  const abort = new AbortController();
  const uploads = watchBucket(stack.clients.s3, stack.names.bucket, { signal: abort.signal, skipExisting: true, intervalMs: pollWaitMs });
  const done = runtime
    .run(uploads, { signal: abort.signal, serveSplitterQueue: true })
    .then((report) => {
      for (const error of [...report.splitterErrors, ...report.workerErrors]) options.onError?.(error);
    })
    .catch((error: unknown) => options.onError?.(describeError(error)));
  return {
    done,
    async stop() {
      abort.abort();
      await done;
    },
  };
}
