import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { ProcessChunk } from '../application/process-chunk.use-case.js';
import { type HandlerTelemetry, silentTelemetry } from './telemetry.js';

export interface WorkerDependencies {
  readonly processChunk: ProcessChunk;
  readonly telemetry?: HandlerTelemetry;
}

/**
 * The worker Lambda: processes each chunk of an SQS batch on its own and reports only the failed ones
 * (`ReportBatchItemFailures`), so one bad chunk never sends its neighbours back to the queue.
 */
export function createWorkerHandler(resolve: () => WorkerDependencies) {
  let dependencies: WorkerDependencies | undefined;
  return async (event: SQSEvent, context?: Context): Promise<SQSBatchResponse> => {
    dependencies ??= resolve();
    const { processChunk, telemetry = silentTelemetry } = dependencies;
    telemetry.invocationStarted?.(context);
    const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
    try {
      for (const record of event.Records) {
        const started = Date.now();
        const receiveCount = Number(record.attributes?.ApproximateReceiveCount ?? '1') || 1;
        const result = await processChunk.handleDelivery({ body: record.body, receiveCount });
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

