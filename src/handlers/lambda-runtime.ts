import type { Context } from 'aws-lambda';
import type { RetryPolicy } from '../adapters/aws/retry.js';
import { TOKENS } from '../di/tokens.js';
import { createContainer } from '../di/container.js';
import { awsQueueAndTableModule } from '../di/aws-queue-table.module.js';
import { loadConfig } from '../config/config.js';
import { type SecretReader, withRedactionKeyFromSecret } from '../adapters/aws/secrets-manager-key.js';
import type { ProcessChunk } from '../application/process-chunk.use-case.js';
import type { QueueConsumer } from '../application/ports/queue-consumer.port.js';
import { createPowertoolsTelemetry, WORKER_SERVICE_NAME } from './powertools-telemetry.js';
import type { WorkerDependencies } from './worker.js';
import { InvocationDeadline, workerTimeBudget } from './worker-deadline.js';

/*
 * Cold-start wiring of the deployed worker: configuration from the environment (validated, with a clear error naming
 * a bad variable), the SQS and DynamoDB adapters, and Powertools telemetry. The splitter's is splitter-runtime.ts:
 * each handler's bundle holds only the SDK clients it uses (the worker no S3, the splitter no Secrets Manager).
 */

/** The worker's fallback when Lambda passes no context (never in AWS): the stack's default timeout. */
const DEFAULT_WORKER_TIMEOUT_MS = 120_000;

/**
 * The worker's time budget and the adapters' retry policy, from the time the first invocation has (the function's
 * timeout): retries fit in the reserve, and no retry wait runs into the end of an invocation.
 */
export function workerRuntimeOptions(timeoutMs: number) {
  const budget = workerTimeBudget(timeoutMs);
  const deadline = new InvocationDeadline(budget.finalGuardMs);
  const retry: Partial<RetryPolicy> = { ...budget.retry, sleep: (ms) => deadline.sleep(ms) };
  return { budget, deadline, retry };
}

/**
 * The worker's dependencies, once per cold start. With `LOGBATCH_REDACT_KEY_SECRET_ARN`, the HMAC redaction key is
 * read from Secrets Manager here (`secrets` stands in for the client in tests).
 */
export async function resolveWorker(
  context?: Pick<Context, 'getRemainingTimeInMillis'>,
  options: { readonly secrets?: SecretReader } = {},
): Promise<WorkerDependencies> {
  const { budget, deadline, retry } = workerRuntimeOptions(context?.getRemainingTimeInMillis() ?? DEFAULT_WORKER_TIMEOUT_MS);
  const config = await withRedactionKeyFromSecret(loadConfig(process.env), options.secrets);
  const container = createContainer({ adapters: awsQueueAndTableModule(config, { retry }), settings: config.pipeline });
  const queue = container.get<QueueConsumer>(TOKENS.QueueConsumer);
  return {
    processChunk: container.get<ProcessChunk>(TOKENS.ProcessChunk),
    telemetry: createPowertoolsTelemetry(WORKER_SERVICE_NAME),
    timeBudget: { reserveMs: budget.reserveMs, deadline },
    returnUnstarted: async (receiptHandles) => {
      await Promise.allSettled(receiptHandles.map((receiptHandle) => queue.changeVisibility(receiptHandle, 0)));
    },
  };
}
