import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { HandlerTelemetry } from './telemetry.js';

/** Metric names the dashboard plots (infrastructure/lib/constructs/monitoring.ts uses the same names). */
export const METRIC_NAMES = {
  linesProcessed: 'LinesProcessed',
  entriesStored: 'EntriesStored',
  unparsedLines: 'UnparsedLines',
  chunkLatency: 'ChunkLatency',
  chunksDeadLettered: 'ChunksDeadLettered',
  filesSplit: 'FilesSplit',
  filesFailed: 'FilesFailed',
} as const;

export const METRICS_NAMESPACE_DEFAULT = 'logbatch';

/** Powertools service names: the `service` dimension of every metric, and the dashboard's filter. */
export const SPLITTER_SERVICE_NAME = 'logbatch-splitter';
export const WORKER_SERVICE_NAME = 'logbatch-worker';

/**
 * Structured JSON logs (Powertools Logger; level from `POWERTOOLS_LOG_LEVEL`) and CloudWatch embedded-metric-format
 * metrics (Powertools Metrics; namespace from `POWERTOOLS_METRICS_NAMESPACE`). Each invocation's Lambda context is
 * added to the logger (request id, function name and version, cold start). Tests pass their own logger and metrics.
 */
export function createPowertoolsTelemetry(
  serviceName: string,
  tools: { readonly logger?: Logger; readonly metrics?: Metrics } = {},
): HandlerTelemetry {
  const logger = tools.logger ?? new Logger({ serviceName });
  const metrics =
    tools.metrics ?? new Metrics({ serviceName, namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? METRICS_NAMESPACE_DEFAULT });
  return {
    invocationStarted(context) {
      if (context !== undefined) logger.addContext(context);
    },
    splitFinished(outcome, context) {
      if (outcome.kind === 'failed') {
        logger.error('split failed', { ...context, reason: outcome.reason, batchId: outcome.batch?.batchId });
        metrics.addMetric(METRIC_NAMES.filesFailed, MetricUnit.Count, 1);
        return;
      }
      const batchId = outcome.kind === 'handed-over' ? outcome.batchId : outcome.batch.batchId;
      logger.info('split finished', { ...context, outcome: outcome.kind, batchId });
      if (outcome.kind === 'split') metrics.addMetric(METRIC_NAMES.filesSplit, MetricUnit.Count, 1);
    },
    chunkProcessed(outcome, context) {
      logger.debug('chunk processed', { batchId: outcome.batchId, chunk: outcome.chunk, counted: outcome.counted, ...context });
      metrics.addMetric(METRIC_NAMES.linesProcessed, MetricUnit.Count, outcome.stats.lines);
      metrics.addMetric(METRIC_NAMES.entriesStored, MetricUnit.Count, outcome.stats.entries);
      metrics.addMetric(METRIC_NAMES.unparsedLines, MetricUnit.Count, outcome.stats.unparsed);
      metrics.addMetric(METRIC_NAMES.chunkLatency, MetricUnit.Milliseconds, context.elapsedMs);
    },
    chunkFailed(context) {
      logger.warn(context.deadLettered ? 'chunk dead-lettered' : 'chunk failed, will be retried', context);
      if (context.deadLettered) metrics.addMetric(METRIC_NAMES.chunksDeadLettered, MetricUnit.Count, 1);
    },
    flush() {
      metrics.publishStoredMetrics();
    },
  };
}
