import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { LogBatchPipeline, type LogBatchPipelineProps } from './log-batch-pipeline.js';

export type { SplitterSizing, WorkerSizing } from './log-batch-pipeline.js';

/** Props of {@link LogPipelineStack}: the stack's own and every prop of {@link LogBatchPipeline}. */
export interface LogPipelineStackProps extends StackProps, LogBatchPipelineProps {}

/**
 * The repository's app's stack: one {@link LogBatchPipeline} and the outputs operators and `logbatch` read.
 *
 * The pipeline's construct id is `Default`, which CDK leaves out of logical ids and construct addresses: the
 * resources keep the logical ids (and the default bucket name) they had when they were the stack's own children,
 * so a deployed stack updates in place. Their construct paths gain `/Default` (`LogBatch/Default/InputLogs/...`).
 */
export class LogPipelineStack extends Stack {
  /** The pipeline: its buckets, queues, table, functions, trigger and monitoring. */
  readonly pipeline: LogBatchPipeline;

  constructor(scope: Construct, id: string, props: LogPipelineStackProps = {}) {
    super(scope, id, props);
    this.pipeline = new LogBatchPipeline(this, 'Default', props);
    const { ingest, chunkQueue, table, splitter, trigger, worker, monitoring } = this.pipeline;

    // The architecture document's names (docs/deploy.md maps each to its construct and code)...
    if (ingest !== undefined) {
      new CfnOutput(this, 'InputLogsBucketName', { value: ingest.bucket.bucketName, description: 'input-logs: upload log files here' });
      new CfnOutput(this, 'IngestBucketName', { value: ingest.bucket.bucketName, description: 'Same as InputLogsBucketName' });
    }
    new CfnOutput(this, 'LogProcessingQueueUrl', { value: chunkQueue.queue.queueUrl, description: 'log-processing-queue: chunks for LogProcessorWorker' });
    new CfnOutput(this, 'LogProcessingDeadLetterQueueUrl', {
      value: chunkQueue.deadLetterQueue.queueUrl,
      description: 'The DLQ of log-processing-queue: chunks dead-lettered with a reason',
    });
    new CfnOutput(this, 'ProcessedLogsTableName', { value: table.table.tableName, description: 'ProcessedLogsTable: batches and entries' });
    // ...and the earlier names of the same values, which operators' scripts and docs/operations.md read.
    new CfnOutput(this, 'TableName', { value: table.table.tableName, description: 'Same as ProcessedLogsTableName' });
    new CfnOutput(this, 'ChunkQueueUrl', { value: chunkQueue.queue.queueUrl, description: 'Same as LogProcessingQueueUrl' });
    new CfnOutput(this, 'DeadLetterQueueUrl', { value: chunkQueue.deadLetterQueue.queueUrl, description: 'Same as LogProcessingDeadLetterQueueUrl' });
    new CfnOutput(this, 'FailedSplitsQueueUrl', { value: splitter.deadLetterQueue.queueUrl });
    if (trigger.queue !== undefined) {
      new CfnOutput(this, 'TriggerQueueUrl', { value: trigger.queue.queueUrl, description: `Feeds the splitter (${trigger.trigger} trigger)` });
      new CfnOutput(this, 'TriggerQueueArn', { value: trigger.queue.queueArn, description: "An existing bucket's owner notifies this queue (sqs trigger)" });
    }
    new CfnOutput(this, 'ContinuationQueueUrl', {
      value: splitter.continuationQueue.queueUrl,
      description: 'The splitter\'s own queue: hand-overs, and objects queued by logbatch backfill',
    });
    new CfnOutput(this, 'SplitterFunctionName', { value: splitter.handler.function.functionName });
    new CfnOutput(this, 'SplitterRoleArn', {
      value: splitter.handler.role.roleArn,
      description: "The splitter's role: the principal an existing bucket's policy and its KMS key's policy allow (another account)",
    });
    new CfnOutput(this, 'SplitterFunctionArn', {
      value: splitter.handler.function.functionArn,
      description: "An existing bucket's owner notifies this function (notification trigger)",
    });
    new CfnOutput(this, 'WorkerFunctionName', { value: worker.handler.function.functionName });
    new CfnOutput(this, 'DashboardName', { value: monitoring.dashboard.dashboardName });
    new CfnOutput(this, 'RedriveRoleArn', {
      value: chunkQueue.redriveRole.roleArn,
      description: 'Assume to redrive the chunk DLQ (only the splitter and this role may send chunks)',
    });
    new CfnOutput(this, 'AlarmTopicArn', { value: monitoring.alarmTopic.topicArn, description: 'Every alarm notifies this topic' });
  }
}
