import { readFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { expect } from 'chai';
import { LogBatchPipeline } from '../../infrastructure/lib/log-batch-pipeline.js';
import { LogPipelineStack } from '../../infrastructure/lib/log-pipeline-stack.js';
import { cdkJsonContext, inlineHandlers } from './stack-fixture.js';

type Resource = { Type: string; Properties?: Record<string, unknown>; Metadata?: Record<string, unknown> };

/**
 * The parts the user's architecture document names (issue 15, item 4), where each is in the stack: the construct
 * path under the stack, the resource type, and the output that gives it to operators (docs/deploy.md has the table).
 */
const ARCHITECTURE = [
  { name: 'input-logs', path: 'InputLogs/Bucket', type: 'AWS::S3::Bucket', output: 'InputLogsBucketName', earlierOutput: 'IngestBucketName' },
  { name: 'LogSplitterLambda', path: 'LogSplitterLambda/Handler/Function', type: 'AWS::Lambda::Function' },
  { name: 'log-processing-queue', path: 'LogProcessingQueue/Queue', type: 'AWS::SQS::Queue', output: 'LogProcessingQueueUrl', earlierOutput: 'ChunkQueueUrl' },
  { name: 'LogProcessorWorker', path: 'LogProcessorWorker/Handler/Function', type: 'AWS::Lambda::Function' },
  { name: 'ProcessedLogsTable', path: 'ProcessedLogsTable/Table', type: 'AWS::DynamoDB::Table', output: 'ProcessedLogsTableName', earlierOutput: 'TableName' },
  {
    name: 'the DLQ',
    path: 'LogProcessingQueue/DeadLetterQueue',
    type: 'AWS::SQS::Queue',
    output: 'LogProcessingDeadLetterQueueUrl',
    earlierOutput: 'DeadLetterQueueUrl',
  },
] as const;

describe('LogPipelineStack', () => {
  describe("the architecture document's names (issue 15, item 4)", function () {
    // The before hook is often the first synthesis of a mocha run (loading aws-cdk-lib): over 20 s on a loaded machine.
    this.timeout(60_000);
    const stackName = 'LogBatchNames';
    let stack: LogPipelineStack;
    let resources: Record<string, Resource>;
    let outputs: Record<string, { Value: unknown }>;
    /**
     * The logical id of the one resource at `<stack>/Default/<path>` (metadata `aws:cdk:path`, as `cdk synth` writes
     * it). The parts are children of the stack's `LogBatchPipeline`, whose id `Default` CDK leaves out of logical ids.
     */
    const logicalIdAt = (path: string, type: string): string => {
      const ids = Object.entries(resources)
        .filter(([, resource]) => resource.Type === type && resource.Metadata?.['aws:cdk:path'] === `${stackName}/Default/${path}/Resource`)
        .map(([id]) => id);
      expect(ids, `${type} at ${stackName}/Default/${path}`).to.have.length(1);
      return ids[0]!;
    };

    before(() => {
      // Path metadata is on in `cdk synth` (the CLI sets this context); a bare App leaves it out.
      const app = new App({ context: { ...cdkJsonContext(), 'aws:cdk:enable-path-metadata': true } });
      stack = new LogPipelineStack(app, stackName, { handlerCodeForTests: inlineHandlers(), alarmEmail: 'ops@example.com' });
      const template = Template.fromStack(stack).toJSON() as { Resources: Record<string, Resource>; Outputs: Record<string, { Value: unknown }> };
      resources = template.Resources;
      outputs = template.Outputs;
    });

    it("are the construct ids under the stack's one LogBatchPipeline (id Default, which logical ids leave out)", () => {
      const pipeline = stack.node.findChild('Default');
      const ids = pipeline.node.children.map((child) => child.node.id);

      expect(pipeline).to.be.instanceOf(LogBatchPipeline);
      expect(ids).to.include.members(['InputLogs', 'LogSplitterLambda', 'LogProcessingQueue', 'LogProcessorWorker', 'ProcessedLogsTable']);
    });

    for (const part of ARCHITECTURE) {
      it(`finds ${part.name} at ${part.path}${'output' in part ? ` and in output ${part.output}` : ''}`, () => {
        const logicalId = logicalIdAt(part.path, part.type);

        expect(logicalId.startsWith(part.path.split('/')[0]!), logicalId).to.equal(true);
        if ('output' in part) {
          expect(outputs[part.output]?.Value, part.output).to.deep.equal({ Ref: logicalId });
          // Kept for the scripts that read the earlier output name.
          expect(outputs[part.earlierOutput]?.Value, part.earlierOutput).to.deep.equal({ Ref: logicalId });
        }
      });
    }

    it('names the parts by what they do: the bucket notifies LogSplitterLambda, LogProcessorWorker consumes the queue, which redrives to the DLQ', () => {
      const bucket = resources[logicalIdAt('InputLogs/Bucket', 'AWS::S3::Bucket')]!;
      const splitter = logicalIdAt('LogSplitterLambda/Handler/Function', 'AWS::Lambda::Function');
      const worker = logicalIdAt('LogProcessorWorker/Handler/Function', 'AWS::Lambda::Function');
      const queue = logicalIdAt('LogProcessingQueue/Queue', 'AWS::SQS::Queue');
      const deadLetterQueue = logicalIdAt('LogProcessingQueue/DeadLetterQueue', 'AWS::SQS::Queue');

      expect(JSON.stringify(bucket.Properties?.NotificationConfiguration)).to.include(`"${splitter}"`);
      const mappings = Object.values(resources).filter((resource) => resource.Type === 'AWS::Lambda::EventSourceMapping');
      expect(
        mappings.some((mapping) => JSON.stringify(mapping.Properties?.EventSourceArn) === JSON.stringify({ 'Fn::GetAtt': [queue, 'Arn'] }) && JSON.stringify(mapping.Properties?.FunctionName) === JSON.stringify({ Ref: worker })),
      ).to.equal(true);
      expect((resources[queue]!.Properties?.RedrivePolicy as { deadLetterTargetArn: unknown }).deadLetterTargetArn).to.deep.equal({ 'Fn::GetAtt': [deadLetterQueue, 'Arn'] });
    });

    it('are each mapped to a construct and code in docs/deploy.md', () => {
      const deployMd = readFileSync(new URL('../../docs/deploy.md', import.meta.url), 'utf8');
      const rows = deployMd.split('\n').filter((line) => line.startsWith('| '));

      for (const name of ['`input-logs`', '`LogSplitterLambda`', '`log-processing-queue`', '`LogProcessorWorker`', '`ProcessedLogsTable`']) {
        expect(rows.some((row) => row.startsWith(`| ${name}`)), name).to.equal(true);
      }
      for (const handler of ['src/handlers/splitter.handler.ts', 'src/handlers/worker.handler.ts']) {
        expect(deployMd, handler).to.include(handler);
        expect(() => readFileSync(new URL(`../../${handler}`, import.meta.url)), handler).to.not.throw();
      }
    });
  });
});
