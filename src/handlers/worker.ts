import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { ProcessChunk } from '../application/process-chunk.use-case.js';
import { describeError } from '../domain/errors.js';
import { type HandlerTelemetry, silentTelemetry } from './telemetry.js';
import type { InvocationDeadline } from './worker-deadline.js';

export interface WorkerDependencies {
  readonly processChunk: ProcessChunk;
  readonly telemetry?: HandlerTelemetry;
  /**
   * Keeps the worker inside its timeout: no chunk is started with less than `reserveMs` plus the longest chunk of
   * the invocation left; the rest of the batch is returned as failures at once. `deadline`, if given, is the one
   * the adapters' retry waits check.
   * @default no deadline (locally, and when Lambda passes no context)
   */
  readonly timeBudget?: { readonly reserveMs: number; readonly deadline?: InvocationDeadline };
  /**
   * Makes the messages the worker gives back without starting them visible again at once (SQS
   * `ChangeMessageVisibility` to 0); without it they wait out the queue's visibility timeout (720 s as deployed). Best
   * effort: a failure leaves them to that timeout.
   */
  readonly returnUnstarted?: (receiptHandles: readonly string[]) => Promise<void>;
}

function receiveCountOf(record: SQSRecord): number {
  return Number(record.attributes?.ApproximateReceiveCount ?? '1') || 1;
}

/**
 * The worker Lambda: processes each chunk of an SQS batch on its own and reports only the failed ones
 * (`ReportBatchItemFailures`), so one bad chunk never sends its neighbours back to the queue. Chunks on their latest
 * receives go first. Near its deadline it stops starting chunks and gives the rest back as failures made visible at
 * once (`returnUnstarted`), rather than left to the visibility timeout of an invocation that timed out; a chunk on
 * its last allowed receive is dead-lettered with the reason instead (see `ProcessChunk.handleUnstarted`).
 * Dependencies are resolved on the first invocation, with its context (the runtime sizes its retry budget from the
 * time it has, and may read a secret first). A resolve that fails is tried again on the next invocation.
 */
export function createWorkerHandler(resolve: (context?: Context) => WorkerDependencies | Promise<WorkerDependencies>) {
  let dependencies: WorkerDependencies | undefined;
  return async (event: SQSEvent, context?: Context): Promise<SQSBatchResponse> => {
    dependencies ??= await resolve(context);
    const { processChunk, telemetry = silentTelemetry, timeBudget, returnUnstarted } = dependencies;
    telemetry.invocationStarted?.(context);
    timeBudget?.deadline?.begin(context);
    const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
    let longestChunkMs = 0;
    // A stable sort: the order SQS gave among chunks received as often.
    const records = [...event.Records].sort((a, b) => receiveCountOf(b) - receiveCountOf(a));
    try {
      for (const [index, record] of records.entries()) {
        if (timeBudget !== undefined && context !== undefined && context.getRemainingTimeInMillis() < timeBudget.reserveMs + longestChunkMs) {
          const reason = `returned unprocessed: ${context.getRemainingTimeInMillis()} ms left, ${timeBudget.reserveMs + longestChunkMs} ms needed to start a chunk`;
          const returned: string[] = [];
          for (const unstarted of records.slice(index)) {
            let result: Awaited<ReturnType<ProcessChunk['handleUnstarted']>>;
            try {
              result = await processChunk.handleUnstarted({ body: unstarted.body, receiveCount: receiveCountOf(unstarted) }, reason);
            } catch (error) {
              result = { kind: 'retry', reason: `${reason}; dead-lettering it failed: ${describeError(error)}`, error };
            }
            telemetry.chunkFailed({ messageId: unstarted.messageId, reason: result.reason, deadLettered: result.kind === 'dead-lettered' });
            if (result.kind === 'retry') {
              batchItemFailures.push({ itemIdentifier: unstarted.messageId });
              returned.push(unstarted.receiptHandle);
            }
          }
          if (returned.length > 0 && returnUnstarted !== undefined) await returnUnstarted(returned).catch(() => undefined);
          break;
        }
        const started = Date.now();
        const receiveCount = receiveCountOf(record);
        let result: Awaited<ReturnType<ProcessChunk['handleDelivery']>>;
        try {
          result = await processChunk.handleDelivery({ body: record.body, receiveCount });
        } catch (error) {
          // Dead-lettering itself failed (or ran out of time): the message stays on the queue, and the rest goes on.
          result = { kind: 'retry', reason: describeError(error), error };
        } finally {
          longestChunkMs = Math.max(longestChunkMs, Date.now() - started);
        }
        if (result.kind === 'processed') {
          telemetry.chunkProcessed(result.outcome, { elapsedMs: Date.now() - started, receiveCount });
        } else {
          telemetry.chunkFailed({ messageId: record.messageId, reason: result.reason, deadLettered: result.kind === 'dead-lettered' });
          if (result.kind === 'retry') batchItemFailures.push({ itemIdentifier: record.messageId });
        }
      }
    } finally {
      // Metrics of the chunks done before an error are published too.
      telemetry.flush();
    }
    return { batchItemFailures };
  };
}

