import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { expect } from 'chai';
import type { LogPipelineStack } from '../../infrastructure/lib/log-pipeline-stack.js';
import { CONTEXT_KEYS, readStackContext } from '../../infrastructure/lib/stack-context.js';
import { createStack, onlyLogicalId, resourcesOfType } from './stack-fixture.js';

type Resource = { Type: string; Properties?: Record<string, any>; DependsOn?: string[] };


/** The ingest bucket's resource and the stack's logical ids the trigger wiring refers to. */
function wiring(stack: LogPipelineStack) {
  const template = Template.fromStack(stack);
  const bucketId = onlyLogicalId(template, 'AWS::S3::Bucket', 'InputLogsBucket');
  return {
    template,
    bucket: template.toJSON().Resources[bucketId] as Resource,
    splitter: onlyLogicalId(template, 'AWS::Lambda::Function', 'LogSplitterLambdaHandler'),
    failedSplits: onlyLogicalId(template, 'AWS::SQS::Queue', 'LogSplitterLambdaDeadLetterQueue'),
    bucketName: stack.resolve(stack.pipeline.ingest!.bucketName) as unknown,
  };
}

/** The splitter's SQS event sources, by the queue they read. */
function splitterEventSources(template: Template, splitter: string): Resource[] {
  return resourcesOfType(template, 'AWS::Lambda::EventSourceMapping')
    .map(([, mapping]) => mapping)
    .filter((mapping) => JSON.stringify(mapping.Properties?.FunctionName) === JSON.stringify({ Ref: splitter }));
}

function nagFindings(stack: LogPipelineStack): string[] {
  const report = new AwsSolutionsChecks().validateScope(stack);
  return report.violations.map((violation) => `${violation.ruleName} at ${violation.violatingResources.map((r) => r.constructPath).join(', ')}`);
}

describe('SplitterTrigger', () => {
  describe('notification (default)', () => {
    it('invokes the splitter from the bucket, with no trigger queue, rule or queue event source besides continuations', () => {
      const stack = createStack();
      const { template, bucket, splitter } = wiring(stack);

      expect(Object.keys(bucket.Properties?.NotificationConfiguration ?? {})).to.deep.equal(['LambdaConfigurations']);
      expect(resourcesOfType(template, 'AWS::SQS::Queue').filter(([id]) => id.startsWith('Trigger'))).to.deep.equal([]);
      template.resourceCountIs('AWS::Events::Rule', 0);
      expect(splitterEventSources(template, splitter)).to.have.length(1);
      expect(Object.keys(template.findOutputs('TriggerQueueUrl'))).to.deep.equal([]);
    });
  });

  describe('eventbridge', () => {
    let stack: LogPipelineStack;
    before(() => {
      stack = createStack({ trigger: 'eventbridge', ingestKeyPrefix: 'incoming/', alarmEmail: 'ops@example.com' });
    });

    it('sends the bucket\'s events to EventBridge instead of invoking anything', () => {
      const { template, bucket } = wiring(stack);

      expect(bucket.Properties?.NotificationConfiguration).to.deep.equal({ EventBridgeConfiguration: { EventBridgeEnabled: true } });
      template.resourceCountIs('AWS::Lambda::Permission', 0);
    });

    it('routes Object Created of this bucket under the prefix to the trigger queue', () => {
      const { template, bucketName } = wiring(stack);
      const queue = onlyLogicalId(template, 'AWS::SQS::Queue', 'TriggerQueue');

      template.hasResourceProperties('AWS::Events::Rule', {
        EventPattern: {
          source: ['aws.s3'],
          'detail-type': ['Object Created'],
          detail: { bucket: { name: [bucketName] }, object: { key: [{ prefix: 'incoming/' }] } },
        },
        Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [queue, 'Arn'] } })],
      });
      const rule = onlyLogicalId(template, 'AWS::Events::Rule', 'TriggerObjectCreatedRule');
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: queue }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Action: Match.arrayWith(['sqs:SendMessage']),
              Principal: { Service: 'events.amazonaws.com' },
              Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [rule, 'Arn'] } } },
            }),
          ]),
        },
      });
    });

    it('feeds the splitter one message at a time with partial failures, dead-lettering to the failed-splits queue after 5 receives', () => {
      const { template, splitter, failedSplits } = wiring(stack);
      const queue = onlyLogicalId(template, 'AWS::SQS::Queue', 'TriggerQueue');

      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        EventSourceArn: { 'Fn::GetAtt': [queue, 'Arn'] },
        FunctionName: { Ref: splitter },
        BatchSize: 1,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        ScalingConfig: { MaximumConcurrency: 5 },
      });
      template.hasResourceProperties('AWS::SQS::Queue', {
        RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [failedSplits, 'Arn'] }, maxReceiveCount: 5 },
        VisibilityTimeout: 6 * 15 * 60,
        SqsManagedSseEnabled: true,
      });
      expect(Object.keys(template.findOutputs('TriggerQueueUrl'))).to.have.length(1);
    });

    it('passes cdk-nag', () => {
      expect(nagFindings(stack)).to.deep.equal([]);
    });

    it('matches prefix and suffix together with a wildcard (the values of one field are alternatives)', () => {
      const { template } = wiring(createStack({ trigger: 'eventbridge', ingestKeyPrefix: 'in\\coming/', ingestKeySuffix: '.log' }));

      template.hasResourceProperties('AWS::Events::Rule', {
        EventPattern: Match.objectLike({ detail: Match.objectLike({ object: { key: [{ wildcard: 'in\\\\coming/*.log' }] } }) }),
      });
    });
  });

  describe('sqs', () => {
    let stack: LogPipelineStack;
    before(() => {
      stack = createStack({ trigger: 'sqs', ingestKeySuffix: '.gz', alarmEmail: 'ops@example.com' });
    });

    it('notifies the trigger queue of created objects with the key filter, once S3 may send to it for this bucket only', () => {
      const { template, bucket } = wiring(stack);
      const queue = onlyLogicalId(template, 'AWS::SQS::Queue', 'TriggerQueue');
      const queuePolicy = onlyLogicalId(template, 'AWS::SQS::QueuePolicy', 'TriggerQueuePolicy');

      expect(bucket.Properties?.NotificationConfiguration).to.deep.equal({
        QueueConfigurations: [
          { Event: 's3:ObjectCreated:*', Queue: { 'Fn::GetAtt': [queue, 'Arn'] }, Filter: { S3Key: { Rules: [{ Name: 'suffix', Value: '.gz' }] } } },
        ],
      });
      expect(bucket.DependsOn).to.include(queuePolicy);
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: queue }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Action: 'sqs:SendMessage',
              Principal: { Service: 's3.amazonaws.com' },
              Condition: { ArnLike: { 'aws:SourceArn': Match.anyValue() }, StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
            }),
          ]),
        },
      });
      template.resourceCountIs('AWS::Lambda::Permission', 0);
      template.resourceCountIs('AWS::Events::Rule', 0);
    });

    it('keeps new objects and hand-overs within the splitter\'s reserved concurrency together', () => {
      const { template, splitter } = wiring(createStack({ trigger: 'sqs', splitter: { reservedConcurrency: 7 } }));

      const concurrency = splitterEventSources(template, splitter).map((mapping) => mapping.Properties?.ScalingConfig?.MaximumConcurrency as number);

      expect(concurrency.sort()).to.deep.equal([3, 4]);
    });

    it('lets the splitter read the filtered objects, as the notification trigger does', () => {
      const { template, splitter } = wiring(stack);
      const role = (template.toJSON().Resources[splitter] as Resource).Properties?.Role['Fn::GetAtt'][0] as string;
      const reads = resourcesOfType(template, 'AWS::IAM::Policy')
        .filter(([, policy]) => JSON.stringify(policy.Properties?.Roles).includes(role))
        .flatMap(([, policy]) => policy.Properties?.PolicyDocument.Statement as Array<{ Action: unknown; Resource: unknown }>)
        .filter((statement) => statement.Action === 's3:GetObject');

      expect(reads).to.have.length(1);
      expect(JSON.stringify(reads[0].Resource)).to.match(/\/\*\.gz"/);
    });

    it('passes cdk-nag', () => {
      expect(nagFindings(stack)).to.deep.equal([]);
    });
  });

  it('is chosen with -c logbatch:trigger=...', () => {
    const { props } = readStackContext(new App({ context: { [CONTEXT_KEYS.trigger]: 'eventbridge' } }).node);

    expect(props.trigger).to.equal('eventbridge');
  });

  it('refuses an unknown trigger before creating anything', () => {
    expect(() => createStack({ trigger: 'lambda' as never })).to.throw(/invalid trigger: expected one of notification, eventbridge, sqs/);
  });
});
