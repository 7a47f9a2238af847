import { readFileSync } from 'node:fs';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { expect } from 'chai';
import { AwsSolutionsChecks } from 'cdk-nag';
// Through the package's own entry point (package.json → exports → ./cdk), as another CDK app imports it.
import { type ExistingLogBucket, LogBatchPipeline, type LogBatchPipelineProps } from 'logbatch/cdk';
import { cdkJsonContext, inlineHandlers } from './stack-fixture.js';

type Statement = { Action: string | string[]; Resource: unknown; Effect: string; Condition?: unknown };
type Resource = { Type: string; Properties?: Record<string, any> };

const ACCOUNT = '111122223333';
const OTHER_ACCOUNT = '444455556666';
const KEY_ARN = `arn:aws:kms:eu-west-1:${OTHER_ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;

/** A team's own stack in its own app (not the repository's stack), holding one pipeline. */
function foreignStack(props: LogBatchPipelineProps, build?: (stack: Stack) => LogBatchPipelineProps) {
  const app = new App({ context: cdkJsonContext() });
  const stack = new Stack(app, 'TeamStack', { env: { account: ACCOUNT, region: 'eu-west-1' } });
  const pipeline = new LogBatchPipeline(stack, 'Logs', { handlerCodeForTests: inlineHandlers(), alarmEmail: 'ops@example.com', ...props, ...build?.(stack) });
  return { app, stack, pipeline };
}

/** A CloudFormation value with the partition and account references written out, for comparison as text. */
function flatten(value: unknown): string {
  if (typeof value === 'string') return value;
  const object = value as Record<string, unknown>;
  if (object.Ref === 'AWS::Partition') return 'aws';
  if (object.Ref === 'AWS::AccountId') return ACCOUNT;
  if (Array.isArray(object['Fn::Join'])) {
    const [separator, parts] = object['Fn::Join'] as [string, unknown[]];
    return parts.map(flatten).join(separator);
  }
  return JSON.stringify(value);
}

/** Every IAM policy statement of the template. */
function statements(stack: Stack): Statement[] {
  return Object.values(Template.fromStack(stack).toJSON().Resources as Record<string, Resource>)
    .filter((resource) => resource.Type === 'AWS::IAM::Policy')
    .flatMap((resource) => resource.Properties!.PolicyDocument.Statement as Statement[]);
}

/** The resources (flattened) of the statements granting `action`, sorted. */
function resourcesOf(stack: Stack, action: string): string[] {
  return statements(stack)
    .filter((statement) => [statement.Action].flat().includes(action))
    .flatMap((statement) => [statement.Resource].flat().map(flatten))
    .sort();
}

/** Every statement resource that names S3 or KMS. */
function storageResources(stack: Stack): string[] {
  return statements(stack)
    .flatMap((statement) => [statement.Resource].flat().map(flatten))
    .filter((resource) => /:(s3|kms):/.test(resource));
}

function resourcesOfType(stack: Stack, type: string): Resource[] {
  return Object.values(Template.fromStack(stack).toJSON().Resources as Record<string, Resource>).filter((resource) => resource.Type === type);
}

function nagFindings(stack: Stack): string[] {
  const report = new AwsSolutionsChecks().validateScope(stack);
  return report.violations.map((violation) => `${violation.ruleName} at ${violation.violatingResources.map((r) => r.constructPath).join(', ')}`);
}

describe('LogBatchPipeline', function () {
  // Each test synthesizes a stack (a second or two; more on a loaded machine).
  this.timeout(60_000);

  describe('in a foreign stack, reading an imported existing bucket', () => {
    for (const [how, importBucket] of [
      ['Bucket.fromBucketName', (stack: Stack) => Bucket.fromBucketName(stack, 'TeamLogs', 'team-app-logs')],
      ['Bucket.fromBucketArn', (stack: Stack) => Bucket.fromBucketArn(stack, 'TeamLogs', 'arn:aws:s3:::team-app-logs')],
    ] as const) {
      it(`synthesizes, passes cdk-nag and grants exactly that bucket (${how})`, () => {
        const { app, stack, pipeline } = foreignStack({ createIngestBucket: false, trigger: 'eventbridge' }, (scope) => ({
          existingBuckets: [{ bucket: importBucket(scope), prefixes: ['app/'] }],
        }));

        const assembly = app.synth();

        expect(assembly.getStackByName('TeamStack').template).to.have.property('Resources');
        expect(nagFindings(stack)).to.deep.equal([]);
        expect(pipeline.ingest).to.equal(undefined);
        expect(resourcesOfType(stack, 'AWS::S3::Bucket')).to.deep.equal([]);
        expect(resourcesOf(stack, 's3:GetObject')).to.deep.equal(['arn:aws:s3:::team-app-logs/app/*']);
        expect(resourcesOf(stack, 's3:ListBucket')).to.deep.equal(['arn:aws:s3:::team-app-logs']);
        expect(storageResources(stack).sort()).to.deep.equal(['arn:aws:s3:::team-app-logs', 'arn:aws:s3:::team-app-logs/app/*']);
        expect(resourcesOf(stack, 'kms:Decrypt')).to.deep.equal([]);
      });
    }

    it('adds the same resources under its own id, so a stack can hold it beside its other constructs', () => {
      const { stack } = foreignStack({ existingBuckets: [{ bucket: 'team-app-logs' }], createIngestBucket: false });

      const paths = stack.node.findAll().map((construct) => construct.node.path);

      expect(paths).to.include.members(['TeamStack/Logs/LogSplitterLambda/Handler/Function', 'TeamStack/Logs/ProcessedLogsTable/Table']);
      expect(Object.keys(Template.fromStack(stack).toJSON().Outputs ?? {})).to.deep.equal([]);
    });
  });

  describe('existingBuckets', () => {
    const existingBuckets: ExistingLogBucket[] = [
      { bucket: 'arn:aws:s3:::trail-logs', prefixes: ['AWSLogs/111122223333/CloudTrail/', 'AWSLogs/999988887777/CloudTrail/'], kmsKeyArn: KEY_ARN, account: OTHER_ACCOUNT },
      { bucket: 'elb-logs' },
    ];

    it('grants s3:GetObject on exactly each prefix, s3:ListBucket on exactly each bucket and kms:Decrypt on exactly the key, beside the ingest bucket', () => {
      const { stack, pipeline } = foreignStack({ existingBuckets, ingestKeyPrefix: 'incoming/' });
      const ingestBucket = flatten(stack.resolve(pipeline.ingest!.bucketArn));

      expect(resourcesOf(stack, 's3:GetObject')).to.deep.equal(
        [
          'arn:aws:s3:::trail-logs/AWSLogs/111122223333/CloudTrail/*',
          'arn:aws:s3:::trail-logs/AWSLogs/999988887777/CloudTrail/*',
          'arn:aws:s3:::elb-logs/*',
          `${ingestBucket}/incoming/*`,
        ].sort(),
      );
      expect(resourcesOf(stack, 's3:ListBucket')).to.deep.equal(['arn:aws:s3:::elb-logs', 'arn:aws:s3:::trail-logs', ingestBucket].sort());
      expect(resourcesOf(stack, 'kms:Decrypt')).to.deep.equal([KEY_ARN]);
      for (const resource of storageResources(stack).filter((resource) => !resource.startsWith(ingestBucket))) {
        expect(resource, 'no wildcard bucket').to.match(/^arn:aws:(s3:::[a-z0-9][a-z0-9.-]+[a-z0-9](\/.*)?|kms:.*:key\/[0-9a-f-]+)$/);
      }
      expect(nagFindings(stack)).to.deep.equal([]);
    });

    it('notification: lets S3 invoke the splitter for exactly each bucket and its owner account (the owner adds the notification)', () => {
      const { stack } = foreignStack({ existingBuckets });

      const permissions = resourcesOfType(stack, 'AWS::Lambda::Permission')
        .map((permission) => permission.Properties!)
        .filter((properties) => properties.Principal === 's3.amazonaws.com')
        .map((properties) => `${flatten(properties.SourceArn)} from ${flatten(properties.SourceAccount)}`);

      expect(permissions.filter((permission) => !permission.includes('logbatch-ingest'))).to.deep.equal([
        `arn:aws:s3:::trail-logs from ${OTHER_ACCOUNT}`,
        `arn:aws:s3:::elb-logs from ${ACCOUNT}`,
      ]);
    });

    it('sqs: lets S3 send to the trigger queue for exactly each bucket and its owner account', () => {
      const { stack } = foreignStack({ existingBuckets, trigger: 'sqs' });

      const senders = resourcesOfType(stack, 'AWS::SQS::QueuePolicy')
        .flatMap((policy) => policy.Properties!.PolicyDocument.Statement as Array<Statement & { Principal?: { Service?: string }; Condition: any }>)
        .filter((statement) => statement.Principal?.Service === 's3.amazonaws.com')
        .map((statement) => `${flatten(statement.Condition.ArnLike['aws:SourceArn'])} from ${flatten(statement.Condition.StringEquals['aws:SourceAccount'])}`);

      expect(senders.filter((sender) => !sender.includes('logbatch-ingest'))).to.deep.equal([
        `arn:aws:s3:::trail-logs from ${OTHER_ACCOUNT}`,
        `arn:aws:s3:::elb-logs from ${ACCOUNT}`,
      ]);
      expect(nagFindings(stack)).to.deep.equal([]);
    });

    it('eventbridge: a rule per bucket matches Object Created with its name and prefixes (and its account, when another)', () => {
      const { stack } = foreignStack({ existingBuckets, trigger: 'eventbridge', createIngestBucket: false });

      const patterns = resourcesOfType(stack, 'AWS::Events::Rule').map((rule) => rule.Properties!.EventPattern);

      expect(patterns).to.deep.equal([
        {
          source: ['aws.s3'],
          'detail-type': ['Object Created'],
          account: [OTHER_ACCOUNT],
          detail: {
            bucket: { name: ['trail-logs'] },
            object: { key: [{ prefix: 'AWSLogs/111122223333/CloudTrail/' }, { prefix: 'AWSLogs/999988887777/CloudTrail/' }] },
          },
        },
        { source: ['aws.s3'], 'detail-type': ['Object Created'], detail: { bucket: { name: ['elb-logs'] } } },
      ]);
    });
  });

  describe('validation', () => {
    const invalid: Array<[string, LogBatchPipelineProps, string]> = [
      ['a bucket that is neither a name nor an ARN', { existingBuckets: [{ bucket: 'Team_Logs' }] }, 'LogBatchPipeline: invalid existingBuckets[0].bucket: expected a bucket name or arn:aws:s3:::<name>, got "Team_Logs"'],
      ['an object ARN for a bucket', { existingBuckets: [{ bucket: 'arn:aws:s3:::logs/*' }] }, 'LogBatchPipeline: invalid existingBuckets[0].bucket: expected a bucket name or arn:aws:s3:::<name>, got "arn:aws:s3:::logs/*"'],
      ['a KMS alias', { existingBuckets: [{ bucket: 'logs', kmsKeyArn: 'arn:aws:kms:eu-west-1:111122223333:alias/logs' }] }, 'LogBatchPipeline: invalid existingBuckets[0].kmsKeyArn: expected a key ARN'],
      ['an empty prefix list', { existingBuckets: [{ bucket: 'logs', prefixes: [] }] }, 'LogBatchPipeline: invalid existingBuckets[0].prefixes: expected a non-empty array'],
      ['a wildcard prefix', { existingBuckets: [{ bucket: 'logs', prefixes: ['a/*/b'] }] }, 'LogBatchPipeline: invalid existingBuckets[0].prefixes: expected 1 to 1024 characters without "*", got "a/*/b"'],
      ['a bucket listed twice', { existingBuckets: [{ bucket: 'logs' }, { bucket: 'arn:aws:s3:::logs' }] }, 'LogBatchPipeline: invalid existingBuckets[1].bucket: "logs" is listed twice'],
      ['a short account id', { existingBuckets: [{ bucket: 'logs', account: '1234' }] }, 'LogBatchPipeline: invalid existingBuckets[0].account: expected a 12-digit account id, got "1234"'],
      ['no bucket at all', { createIngestBucket: false }, 'LogBatchPipeline: invalid existingBuckets: createIngestBucket: false needs at least one existing bucket'],
      ['an ingest prop without the ingest bucket', { createIngestBucket: false, existingBuckets: [{ bucket: 'logs' }], ingestKeyPrefix: 'in/' }, 'LogBatchPipeline: invalid ingestKeyPrefix: is about the ingest bucket'],
      ['a table name DynamoDB refuses', { table: { tableName: 'logs table' } }, 'LogTable: invalid tableName: expected 3 to 255'],
    ];
    for (const [what, props, message] of invalid) {
      it(`refuses ${what} with one line naming the prop`, () => {
        const build = () => foreignStack(props);

        expect(build).to.throw(message);
        try {
          build();
        } catch (error) {
          expect((error as Error).message).to.not.include('\n');
        }
      });
    }
  });

  describe('table options', () => {
    it('names the table and turns point-in-time recovery off when asked', () => {
      const { stack } = foreignStack({ table: { tableName: 'team-logs', pointInTimeRecovery: false } });

      Template.fromStack(stack).hasResourceProperties('AWS::DynamoDB::Table', {
        TableName: 'team-logs',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: false },
      });
    });
  });

  describe('the logbatch/cdk entry point', () => {
    it('is the ./cdk export of package.json, beside the bin the CLI is installed from', () => {
      const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { exports: Record<string, string>; bin: Record<string, string> };

      expect(pkg.exports['./cdk']).to.equal('./infrastructure/cdk.ts');
      expect(pkg.bin.logbatch).to.equal('bin/logbatch.js');
      expect(LogBatchPipeline.name).to.equal('LogBatchPipeline');
    });
  });
});
