/**
 * The `logbatch/cdk` entry point: the pipeline as one construct for your own CDK app, with its props' types.
 * See docs/deploy.md ("In your own CDK app").
 */
export {
  LogBatchPipeline,
  type LogBatchPipelineProps,
  type LogBatchTableOptions,
  type SplitterSizing,
  type WorkerSizing,
} from './lib/log-batch-pipeline.js';
export type { ExistingLogBucket, ResolvedExistingBucket } from './lib/constructs/existing-buckets.js';
export { SPLITTER_TRIGGERS, type SplitterTriggerKind } from './lib/constructs/splitter-trigger.js';
export type { PipelineAlarmThresholds } from './lib/constructs/pipeline-monitoring.js';
export type { PipelineFilters, PipelineRedaction, PipelineTuning } from './lib/pipeline-environment.js';
export { InvalidPropsError, LOG_LEVELS, type LogLevel } from './lib/validation.js';
