import { Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import { expect } from 'chai';
import { loadConfig } from '../../src/config/config.js';
import { METRIC_NAMES } from '../../src/handlers/powertools-telemetry.js';
import { createStack, onlyLogicalId, resourcesOfType } from './stack-fixture.js';
import { App } from 'aws-cdk-lib';

type Resource = { Type: string; Properties?: Record<string, unknown>; DependsOn?: string[]; DeletionPolicy?: string };
type Statement = { Effect: string; Action?: string | string[]; NotAction?: unknown; Resource?: unknown; Principal?: unknown };


/** Every policy document in the template: identity policies, inline role policies and resource policies. */
function allStatements(template: Template): Array<{ where: string; statement: Statement }> {
  const found: Array<{ where: string; statement: Statement }> = [];
  const add = (where: string, document: unknown) => {
    const statements = (document as { Statement?: Statement[] } | undefined)?.Statement ?? [];
    for (const statement of statements) found.push({ where, statement });
  };
  for (const [id, resource] of Object.entries(template.toJSON().Resources as Record<string, Resource>)) {
    const properties = resource.Properties ?? {};
    if ('PolicyDocument' in properties) add(id, properties.PolicyDocument);
    if (resource.Type === 'AWS::IAM::Role') {
      add(`${id} (trust)`, properties.AssumeRolePolicyDocument);
      for (const inline of (properties.Policies as Array<{ PolicyDocument: unknown }> | undefined) ?? []) add(id, inline.PolicyDocument);
    }
  }
  return found;
}

type AlarmMetric = { Namespace: string; MetricName: string; Dimensions?: Array<{ Name: string; Value: unknown }> };

/** Each alarm with the metrics it watches: its own metric, or every metric of its math expression. */
function alarmsWithMetrics(template: Template): Array<{ id: string; alarm: Resource; metrics: AlarmMetric[] }> {
  return resourcesOfType(template, 'AWS::CloudWatch::Alarm').map(([id, alarm]) => {
    const properties = alarm.Properties ?? {};
    const metrics =
      properties.MetricName !== undefined
        ? [properties as unknown as AlarmMetric]
        : ((properties.Metrics as Array<{ MetricStat?: { Metric: AlarmMetric } }> | undefined) ?? []).flatMap((query) =>
            query.MetricStat === undefined ? [] : [query.MetricStat.Metric],
          );
    return { id, alarm, metrics };
  });
}

/** The one alarm that watches `metricName` (with these dimensions, compared as JSON), failing the test otherwise. */
function alarmOn(template: Template, namespace: string, metricName: string, dimensions: Record<string, unknown>): Resource {
  const wanted = JSON.stringify(Object.entries(dimensions).map(([Name, Value]) => ({ Name, Value })).sort((a, b) => a.Name.localeCompare(b.Name)));
  const found = alarmsWithMetrics(template).filter(({ metrics }) =>
    metrics.some(
      (metric) =>
        metric.Namespace === namespace &&
        metric.MetricName === metricName &&
        JSON.stringify([...(metric.Dimensions ?? [])].sort((a, b) => a.Name.localeCompare(b.Name))) === wanted,
    ),
  );
  expect(found.map(({ id }) => id), `alarm on ${namespace} ${metricName} ${wanted}`).to.have.length(1);
  return found[0]!.alarm;
}

const asArray = <T>(value: T | T[] | undefined): T[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

/** The Allow statements of one role's policies, as `action -> resources` (JSON-stringified) pairs. */
function grantsOf(template: Template, roleLogicalId: string): Map<string, string[]> {
  const grants = new Map<string, string[]>();
  for (const [, policy] of resourcesOfType(template, 'AWS::IAM::Policy')) {
    const roles = (policy.Properties?.Roles as Array<{ Ref: string }>).map((role) => role.Ref);
    if (!roles.includes(roleLogicalId)) continue;
    for (const statement of (policy.Properties?.PolicyDocument as { Statement: Statement[] }).Statement) {
      expect(statement.Effect).to.equal('Allow');
      for (const action of asArray(statement.Action)) {
        grants.set(action, [...(grants.get(action) ?? []), ...asArray(statement.Resource).map((resource) => JSON.stringify(resource))]);
      }
    }
  }
  return grants;
}

describe('LogPipelineStack', () => {
  let template: Template;
  /** The stack with every prop at its default (no alarm e-mail): what `cdk deploy` gives without context. */
  let defaults: { stack: Stack; template: Template };
  let ids: {
    splitter: string;
    worker: string;
    splitterRole: string;
    workerRole: string;
    table: string;
    chunkQueue: string;
    deadLetterQueue: string;
    failedSplits: string;
    continuationQueue: string;
    ingestBucket: string;
    alarmTopic: string;
  };

  before(function () {
    // Two syntheses; slow on a loaded machine.
    this.timeout(120_000);
    template = Template.fromStack(createStack({ alarmEmail: 'ops@example.com' }));
    const defaultStack = createStack({}, { warnings: true });
    defaults = { stack: defaultStack, template: Template.fromStack(defaultStack) };
    ids = {
      splitter: onlyLogicalId(template, 'AWS::Lambda::Function', 'LogSplitterLambdaHandlerFunction'),
      worker: onlyLogicalId(template, 'AWS::Lambda::Function', 'LogProcessorWorkerHandlerFunction'),
      splitterRole: onlyLogicalId(template, 'AWS::IAM::Role', 'LogSplitterLambdaHandlerRole'),
      workerRole: onlyLogicalId(template, 'AWS::IAM::Role', 'LogProcessorWorkerHandlerRole'),
      table: onlyLogicalId(template, 'AWS::DynamoDB::Table', 'ProcessedLogsTable'),
      chunkQueue: onlyLogicalId(template, 'AWS::SQS::Queue', 'LogProcessingQueueED0'),
      deadLetterQueue: onlyLogicalId(template, 'AWS::SQS::Queue', 'LogProcessingQueueDeadLetterQueue'),
      failedSplits: onlyLogicalId(template, 'AWS::SQS::Queue', 'LogSplitterLambdaDeadLetterQueue'),
      continuationQueue: onlyLogicalId(template, 'AWS::SQS::Queue', 'LogSplitterLambdaContinuationQueue'),
      ingestBucket: onlyLogicalId(template, 'AWS::S3::Bucket', 'InputLogsBucket'),
      alarmTopic: onlyLogicalId(template, 'AWS::SNS::Topic', 'MonitoringAlarmTopic'),
    };
  });

  describe('ingest bucket', () => {
    it('blocks all public access, encrypts, and logs server access to the access-log bucket', () => {
      const accessLogs = onlyLogicalId(template, 'AWS::S3::Bucket', 'InputLogsAccessLogs');
      template.hasResourceProperties('AWS::S3::Bucket', {
        BucketName: Match.anyValue(),
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
        LoggingConfiguration: { DestinationBucketName: { Ref: accessLogs }, LogFilePrefix: 'ingest/' },
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      });
    });

    it('expires uploaded objects after 30 days by default, and keeps them with 0', () => {
      const rules = (defaults.template.toJSON().Resources[ids.ingestBucket] as Resource).Properties?.LifecycleConfiguration;
      expect(rules).to.deep.equal({
        Rules: [{ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 }, ExpirationInDays: 30, Status: 'Enabled' }],
      });

      const kept = Template.fromStack(createStack({ ingestObjectExpirationDays: 0 }));
      kept.hasResourceProperties('AWS::S3::Bucket', {
        BucketName: Match.anyValue(),
        LifecycleConfiguration: { Rules: [{ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 }, Status: 'Enabled' }] },
      });
    });

    it('names the bucket after this creation of the stack (part of AWS::StackId), so a redeploy after destroy does not collide', () => {
      const bucket = template.toJSON().Resources[ids.ingestBucket] as Resource;
      const stackCreationId = {
        'Fn::Select': [4, { 'Fn::Split': ['-', { 'Fn::Select': [2, { 'Fn::Split': ['/', { Ref: 'AWS::StackId' }] }] }] }],
      };

      const [, parts] = (bucket.Properties?.BucketName as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
      expect(parts[0]).to.match(/^logbatch-ingest-[0-9a-f]{8}$/);
      expect(parts.slice(1)).to.deep.equal([stackCreationId, { Ref: 'AWS::Region' }]);
      // The splitter's grant and S3's invoke permission name the same bucket.
      expect(JSON.stringify(grantsOf(template, ids.splitterRole).get('s3:ListBucket'))).to.include('AWS::StackId');
      // Longest name: 16 + 8 + 1 + 12 + 1 + a 14-character region stays within S3's 63.
      expect('logbatch-ingest-'.length + 8 + 1 + 12 + 1 + 'ap-southeast-5'.length).to.be.at.most(63);
    });

    it('takes a given bucket name as it is, to adopt an existing bucket', () => {
      const named = Template.fromStack(createStack({ ingestBucketName: 'my-existing-ingest' }));
      named.hasResourceProperties('AWS::S3::Bucket', { BucketName: 'my-existing-ingest' });
    });

    it('denies every request that does not use TLS', () => {
      template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: ids.ingestBucket },
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Action: 's3:*',
              Principal: { AWS: '*' },
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
          ]),
        },
      });
    });

    it('notifies the splitter of every created object, after S3 has been allowed to invoke it for this bucket only', () => {
      const bucket = template.toJSON().Resources[ids.ingestBucket] as Resource;
      const permission = onlyLogicalId(template, 'AWS::Lambda::Permission', 'InputLogsAllowS3InvokeSplitter');

      expect(bucket.Properties?.NotificationConfiguration).to.deep.equal({
        LambdaConfigurations: [{ Event: 's3:ObjectCreated:*', Function: { 'Fn::GetAtt': [ids.splitter, 'Arn'] } }],
      });
      expect(bucket.DependsOn).to.include(permission);
      template.hasResourceProperties('AWS::Lambda::Permission', {
        Action: 'lambda:InvokeFunction',
        FunctionName: { 'Fn::GetAtt': [ids.splitter, 'Arn'] },
        Principal: 's3.amazonaws.com',
        SourceAccount: { Ref: 'AWS::AccountId' },
        SourceArn: Match.anyValue(),
      });
      template.resourceCountIs('Custom::S3BucketNotifications', 0);
    });

    it('filters the notification and the read grant by key prefix and suffix when they are set', () => {
      const filtered = Template.fromStack(createStack({ ingestKeyPrefix: 'incoming/', ingestKeySuffix: '.log' }));
      const splitterRole = onlyLogicalId(filtered, 'AWS::IAM::Role', 'LogSplitterLambdaHandlerRole');

      filtered.hasResourceProperties('AWS::S3::Bucket', {
        NotificationConfiguration: {
          LambdaConfigurations: [
            Match.objectLike({
              Filter: {
                S3Key: {
                  Rules: [
                    { Name: 'prefix', Value: 'incoming/' },
                    { Name: 'suffix', Value: '.log' },
                  ],
                },
              },
            }),
          ],
        },
      });
      const objectResources = grantsOf(filtered, splitterRole).get('s3:GetObject') ?? [];
      expect(objectResources).to.have.length(1);
      expect(objectResources[0]).to.match(/\/incoming\/\*\.log"/);
    });
  });

  describe('functions', () => {
    it('runs both handlers on arm64 Node.js 22 with explicit memory, timeout and JSON logs at the configured level', () => {
      for (const [id, memory, timeout] of [
        [ids.splitter, 1024, 900],
        [ids.worker, 1024, 120],
      ] as const) {
        const fn = template.toJSON().Resources[id] as Resource;
        expect(fn.Properties).to.deep.include({
          Runtime: 'nodejs22.x',
          Architectures: ['arm64'],
          MemorySize: memory,
          Timeout: timeout,
          Handler: 'index.handler',
        });
        expect(fn.Properties?.LoggingConfig).to.deep.include({ LogFormat: 'JSON', ApplicationLogLevel: 'INFO', SystemLogLevel: 'WARN' });
      }
    });

    it('gives each function its own log group with a retention', () => {
      template.resourceCountIs('AWS::Logs::LogGroup', 2);
      template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
      for (const id of [ids.splitter, ids.worker]) {
        const loggingConfig = (template.toJSON().Resources[id] as Resource).Properties?.LoggingConfig as { LogGroup: { Ref: string } };
        expect(loggingConfig.LogGroup.Ref).to.match(/LogGroup/);
      }
    });

    it('sets the Powertools configuration and every variable the handlers\' configuration requires, accepted by loadConfig', () => {
      const queueUrls: Record<string, string> = {
        [ids.chunkQueue]: 'https://sqs.eu-west-1.amazonaws.com/123456789012/chunks',
        [ids.deadLetterQueue]: 'https://sqs.eu-west-1.amazonaws.com/123456789012/chunks-dlq',
        [ids.continuationQueue]: 'https://sqs.eu-west-1.amazonaws.com/123456789012/continuations',
      };
      for (const [id, service] of [
        [ids.splitter, 'logbatch-splitter'],
        [ids.worker, 'logbatch-worker'],
      ] as const) {
        const variables = ((template.toJSON().Resources[id] as Resource).Properties?.Environment as { Variables: Record<string, unknown> }).Variables;
        expect(variables).to.deep.include({
          POWERTOOLS_SERVICE_NAME: service,
          POWERTOOLS_LOG_LEVEL: 'INFO',
          POWERTOOLS_METRICS_NAMESPACE: 'logbatch',
          LOGBATCH_TABLE_NAME: { Ref: ids.table },
          LOGBATCH_QUEUE_URL: { Ref: ids.chunkQueue },
          LOGBATCH_DLQ_URL: { Ref: ids.deadLetterQueue },
          LOGBATCH_MAX_RECEIVE_COUNT: '5',
        });
        // Resolve the references as CloudFormation would, then parse them with the handlers' own configuration.
        const resolved = Object.fromEntries(
          Object.entries(variables).map(([name, value]) => {
            if (typeof value === 'string') return [name, value];
            const ref = (value as { Ref: string }).Ref;
            return [name, queueUrls[ref] ?? `LogBatch-${ref}`];
          }),
        );
        const config = loadConfig(resolved);
        expect(config.tableName).to.equal(`LogBatch-${ids.table}`);
        expect(config.pipeline).to.include({ maxReceiveCount: 5, maxChunkBytes: 262_144, format: 'auto', entryTtlDays: 30 });
      }
    });

    it('sends S3 events whose split failed after explicit async retries to an on-failure destination, not a DLQ', () => {
      template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: ids.splitter },
        Qualifier: '$LATEST',
        MaximumRetryAttempts: 2,
        MaximumEventAgeInSeconds: 6 * 3600,
        DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [ids.failedSplits, 'Arn'] } } },
      });
      template.resourceCountIs('AWS::Lambda::EventInvokeConfig', 1);
      // The destination's record keeps the event and the error; the older DLQ setting is not used beside it.
      template.allResourcesProperties('AWS::Lambda::Function', { DeadLetterConfig: Match.absent() });
      const deadLetterQueue = (template.toJSON().Resources as Record<string, Resource>)[ids.failedSplits]!;
      expect(deadLetterQueue.Properties).to.deep.include({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 1_209_600 });
    });

    it('lets the splitter hand long splits over to its continuation queue and consume them one at a time', () => {
      const resources = template.toJSON().Resources as Record<string, Resource>;
      const splitter = resources[ids.splitter]!;
      const variables = (splitter.Properties?.Environment as { Variables: Record<string, unknown> }).Variables;

      expect(variables.LOGBATCH_CONTINUATION_QUEUE_URL).to.deep.equal({ Ref: ids.continuationQueue });
      expect(resources[ids.continuationQueue]!.Properties).to.deep.include({
        SqsManagedSseEnabled: true,
        VisibilityTimeout: 6 * (splitter.Properties?.Timeout as number),
        RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [ids.failedSplits, 'Arn'] }, maxReceiveCount: 5 },
      });
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        FunctionName: { Ref: ids.splitter },
        EventSourceArn: { 'Fn::GetAtt': [ids.continuationQueue, 'Arn'] },
        BatchSize: 1,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      });
    });
  });

  describe('chunk queue', () => {
    it('is encrypted, takes 1 MiB messages and redrives to the DLQ after 5 receives', () => {
      template.hasResourceProperties('AWS::SQS::Queue', {
        SqsManagedSseEnabled: true,
        MaximumMessageSize: 1_048_576,
        RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [ids.deadLetterQueue, 'Arn'] }, maxReceiveCount: 5 },
      });
    });

    it('has a visibility timeout of at least 6 × the worker timeout', () => {
      const resources = template.toJSON().Resources as Record<string, Resource>;
      const visibility = resources[ids.chunkQueue]!.Properties?.VisibilityTimeout as number;
      const workerTimeout = resources[ids.worker]!.Properties?.Timeout as number;

      expect(visibility).to.be.at.least(6 * workerTimeout);
    });

    it('keeps chunks and continuations 14 days, so a backlog is not deleted before it is dead-lettered', () => {
      const resources = template.toJSON().Resources as Record<string, Resource>;
      for (const queue of [ids.chunkQueue, ids.continuationQueue]) {
        expect(resources[queue]!.Properties?.MessageRetentionPeriod, queue).to.equal(14 * 24 * 3600);
      }
    });

    it('keeps dead-lettered chunks encrypted for 14 days', () => {
      const deadLetterQueue = (template.toJSON().Resources as Record<string, Resource>)[ids.deadLetterQueue]!;
      expect(deadLetterQueue.Properties).to.deep.include({
        SqsManagedSseEnabled: true,
        MessageRetentionPeriod: 14 * 24 * 3600,
        MaximumMessageSize: 1_048_576,
      });
    });

    it('denies SendMessage on the chunk queue to every principal but the splitter and the redrive role', () => {
      const redriveRole = onlyLogicalId(template, 'AWS::IAM::Role', 'LogProcessingQueueRedriveRole');
      const denies = resourcesOfType(template, 'AWS::SQS::QueuePolicy')
        .filter(([, policy]) => JSON.stringify(policy.Properties?.Queues) === JSON.stringify([{ Ref: ids.chunkQueue }]))
        .flatMap(([, policy]) => (policy.Properties?.PolicyDocument as { Statement: Array<Statement & { Condition?: unknown }> }).Statement)
        .filter((statement) => statement.Effect === 'Deny' && statement.Action === 'sqs:SendMessage');

      expect(denies).to.have.length(1);
      expect(denies[0]).to.deep.include({ Principal: { AWS: '*' }, Resource: { 'Fn::GetAtt': [ids.chunkQueue, 'Arn'] } });
      expect(denies[0]!.Condition).to.deep.equal({
        ArnNotEquals: {
          'aws:PrincipalArn': [{ 'Fn::GetAtt': [redriveRole, 'Arn'] }, { 'Fn::GetAtt': [ids.splitterRole, 'Arn'] }],
        },
      });
    });

    it('lets the redrive role, assumable in the account, move DLQ messages back to the chunk queue — nothing else', () => {
      const redriveRole = onlyLogicalId(template, 'AWS::IAM::Role', 'LogProcessingQueueRedriveRole');
      const grants = grantsOf(template, redriveRole);
      const dlq = JSON.stringify({ 'Fn::GetAtt': [ids.deadLetterQueue, 'Arn'] });

      expect(grants.get('sqs:SendMessage')).to.deep.equal([JSON.stringify({ 'Fn::GetAtt': [ids.chunkQueue, 'Arn'] })]);
      for (const action of ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:StartMessageMoveTask']) expect(grants.get(action), action).to.deep.equal([dlq]);
      template.hasResourceProperties('AWS::IAM::Role', {
        AssumeRolePolicyDocument: {
          Statement: [Match.objectLike({ Action: 'sts:AssumeRole', Principal: { AWS: Match.objectLike({ 'Fn::Join': Match.anyValue() }) } })],
        },
      });
      const extra = Template.fromStack(createStack({ chunkSenderArns: ['arn:aws:iam::123456789012:role/ops'] }));
      extra.hasResourceProperties('AWS::SQS::QueuePolicy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { ArnNotEquals: { 'aws:PrincipalArn': Match.arrayWith(['arn:aws:iam::123456789012:role/ops']) } } }),
          ]),
        },
      });
    });

    it('denies non-TLS requests on every queue', () => {
      const policies = resourcesOfType(template, 'AWS::SQS::QueuePolicy');
      const protectedQueues = policies.flatMap(([, policy]) => {
        const denies = (policy.Properties?.PolicyDocument as { Statement: Array<Statement & { Condition?: unknown }> }).Statement.filter(
          (statement) => statement.Effect === 'Deny' && JSON.stringify(statement.Condition) === '{"Bool":{"aws:SecureTransport":"false"}}',
        );
        return denies.length > 0 ? (policy.Properties?.Queues as Array<{ Ref: string }>).map((queue) => queue.Ref) : [];
      });

      expect(protectedQueues).to.have.members([ids.chunkQueue, ids.deadLetterQueue, ids.failedSplits, ids.continuationQueue]);
    });
  });

  describe('worker event source', () => {
    it('reports partial batch failures with the default batch size and maximum concurrency', () => {
      template.resourceCountIs('AWS::Lambda::EventSourceMapping', 2);
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        FunctionName: { Ref: ids.worker },
        EventSourceArn: { 'Fn::GetAtt': [ids.chunkQueue, 'Arn'] },
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        BatchSize: 10,
        ScalingConfig: { MaximumConcurrency: 10 },
      });
    });

    it('reserves the worker\'s maximum concurrency and bounds the splitter, whose hand-overs take at most half of it', () => {
      const resources = template.toJSON().Resources as Record<string, Resource>;
      expect(resources[ids.worker]!.Properties?.ReservedConcurrentExecutions).to.equal(10);
      expect(resources[ids.splitter]!.Properties?.ReservedConcurrentExecutions).to.equal(10);
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        FunctionName: { Ref: ids.splitter },
        EventSourceArn: { 'Fn::GetAtt': [ids.continuationQueue, 'Arn'] },
        ScalingConfig: { MaximumConcurrency: 5 },
      });
    });

    it('takes reserved concurrency from props, or reserves none in a small account', () => {
      const sized = Template.fromStack(createStack({ worker: { maxConcurrency: 20, reservedConcurrency: 25 }, splitter: { reservedConcurrency: 4 } }));
      const unreserved = Template.fromStack(createStack({ reserveConcurrency: false }));

      sized.hasResourceProperties('AWS::Lambda::Function', { Description: Match.stringLikeRegexp('worker'), ReservedConcurrentExecutions: 25 });
      sized.hasResourceProperties('AWS::Lambda::Function', { Description: Match.stringLikeRegexp('splitter'), ReservedConcurrentExecutions: 4 });
      sized.hasResourceProperties('AWS::Lambda::EventSourceMapping', { BatchSize: 1, ScalingConfig: { MaximumConcurrency: 2 } });
      unreserved.allResourcesProperties('AWS::Lambda::Function', { ReservedConcurrentExecutions: Match.absent() });
    });

    it('takes batch size, batching window and maximum concurrency from props', () => {
      const tuned = Template.fromStack(
        createStack({ worker: { batchSize: 100, maxBatchingWindow: Duration.seconds(5), maxConcurrency: 25 } }),
      );
      tuned.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        BatchSize: 100,
        MaximumBatchingWindowInSeconds: 5,
        ScalingConfig: { MaximumConcurrency: 25 },
      });
    });
  });

  describe('table', () => {
    it('is on demand with point-in-time recovery, the TTL attribute and the repository\'s key schema and index', () => {
      template.hasResourceProperties('AWS::DynamoDB::Table', {
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        AttributeDefinitions: Match.arrayWith([
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
          { AttributeName: 'severePk', AttributeType: 'S' },
          { AttributeName: 'severeSk', AttributeType: 'S' },
        ]),
        GlobalSecondaryIndexes: [
          {
            IndexName: 'severe-by-time',
            KeySchema: [
              { AttributeName: 'severePk', KeyType: 'HASH' },
              { AttributeName: 'severeSk', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
      });
    });

    it('expires entries after 30 days by default: both functions get LOGBATCH_ENTRY_TTL_DAYS=30', () => {
      defaults.template.allResourcesProperties('AWS::Lambda::Function', {
        Environment: { Variables: Match.objectLike({ LOGBATCH_ENTRY_TTL_DAYS: '30' }) },
      });
      defaults.template.hasResourceProperties('AWS::DynamoDB::Table', {
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      });
    });

    it('is retained and deletion-protected by default', () => {
      template.hasResource('AWS::DynamoDB::Table', {
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
        Properties: Match.objectLike({ DeletionProtectionEnabled: true }),
      });
    });

    it('is deleted with a development stack (destroyOnRemoval)', () => {
      const development = Template.fromStack(createStack({ destroyOnRemoval: true }));
      development.hasResource('AWS::DynamoDB::Table', {
        DeletionPolicy: 'Delete',
        Properties: Match.objectLike({ DeletionProtectionEnabled: false }),
      });
    });
  });

  describe('IAM', () => {
    it('allows no wildcard action and no action on Resource "*" in any policy', () => {
      const offending = allStatements(template).filter(({ statement }) => {
        if (statement.Effect !== 'Allow') return false;
        if (statement.NotAction !== undefined) return true;
        const actions = asArray(statement.Action);
        // `*`, `s3:*` and partial wildcards such as `s3:GetObject*` alike.
        const wildcardAction = actions.some((action) => action.includes('*'));
        // Stricter than "no data-service action on *": no allowed action at all applies to every resource.
        const onEverything = asArray(statement.Resource).includes('*');
        return wildcardAction || onEverything;
      });

      expect(allStatements(template).length).to.be.greaterThan(10);
      expect(offending.map(({ where, statement }) => `${where}: ${JSON.stringify(statement)}`)).to.deep.equal([]);
    });

    it('attaches no managed policies (AWSLambdaBasicExecutionRole would allow every log group)', () => {
      for (const [, role] of resourcesOfType(template, 'AWS::IAM::Role')) {
        expect(role.Properties?.ManagedPolicyArns).to.equal(undefined);
      }
    });

    it('lets the splitter read ingest objects, send chunks and write batch records — nothing else', () => {
      const grants = grantsOf(template, ids.splitterRole);

      expect([...grants.keys()].sort()).to.deep.equal([
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        's3:GetObject',
        's3:ListBucket',
        'sqs:ChangeMessageVisibility',
        'sqs:DeleteMessage',
        'sqs:GetQueueAttributes',
        'sqs:GetQueueUrl',
        'sqs:ReceiveMessage',
        'sqs:SendMessage',
      ]);
      expect(grants.get('sqs:ReceiveMessage')).to.deep.equal([JSON.stringify({ 'Fn::GetAtt': [ids.continuationQueue, 'Arn'] })]);
      expect(grants.get('dynamodb:PutItem')).to.deep.equal([JSON.stringify({ 'Fn::GetAtt': [ids.table, 'Arn'] })]);
      expect(grants.get('sqs:SendMessage')).to.have.members([
        JSON.stringify({ 'Fn::GetAtt': [ids.chunkQueue, 'Arn'] }),
        JSON.stringify({ 'Fn::GetAtt': [ids.failedSplits, 'Arn'] }),
        JSON.stringify({ 'Fn::GetAtt': [ids.continuationQueue, 'Arn'] }),
      ]);
      expect(grants.get('s3:GetObject')).to.have.length(1);
      expect(grants.get('s3:GetObject')![0]).to.match(/logbatch-ingest-.*\/\*"\]\]\}$/);
    });

    it('lets the worker consume the chunk queue, dead-letter to the DLQ and write entries and batches — nothing else', () => {
      const grants = grantsOf(template, ids.workerRole);
      const table = JSON.stringify({ 'Fn::GetAtt': [ids.table, 'Arn'] });

      expect([...grants.keys()].sort()).to.deep.equal([
        'dynamodb:BatchWriteItem',
        'dynamodb:ConditionCheckItem',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'sqs:ChangeMessageVisibility',
        'sqs:DeleteMessage',
        'sqs:GetQueueAttributes',
        'sqs:GetQueueUrl',
        'sqs:ReceiveMessage',
        'sqs:SendMessage',
      ]);
      for (const action of ['dynamodb:BatchWriteItem', 'dynamodb:ConditionCheckItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']) {
        expect(grants.get(action), action).to.deep.equal([table]);
      }
      expect(grants.get('sqs:ReceiveMessage')).to.deep.equal([JSON.stringify({ 'Fn::GetAtt': [ids.chunkQueue, 'Arn'] })]);
      expect(grants.get('sqs:SendMessage')).to.deep.equal([JSON.stringify({ 'Fn::GetAtt': [ids.deadLetterQueue, 'Arn'] })]);
    });
  });

  describe('monitoring', () => {
    it('alarms when the DLQ or the failed-split queue holds any message', () => {
      for (const queue of [ids.deadLetterQueue, ids.failedSplits]) {
        template.hasResourceProperties('AWS::CloudWatch::Alarm', {
          Namespace: 'AWS/SQS',
          MetricName: 'ApproximateNumberOfMessagesVisible',
          Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queue, 'QueueName'] } }],
          Statistic: 'Maximum',
          ComparisonOperator: 'GreaterThanThreshold',
          Threshold: 0,
          TreatMissingData: 'notBreaching',
        });
      }
    });

    it('alarms on the age of the oldest chunk', () => {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateAgeOfOldestMessage',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [ids.chunkQueue, 'QueueName'] } }],
        Threshold: 900,
      });
    });

    it('alarms on errors and throttles of both functions, notifying the alarm topic', () => {
      for (const fn of [ids.splitter, ids.worker]) {
        for (const metricName of ['Errors', 'Throttles']) {
          template.hasResourceProperties('AWS::CloudWatch::Alarm', {
            Namespace: 'AWS/Lambda',
            MetricName: metricName,
            Dimensions: [{ Name: 'FunctionName', Value: { Ref: fn } }],
            ComparisonOperator: 'GreaterThanOrEqualToThreshold',
            Threshold: 1,
            AlarmActions: [{ Ref: ids.alarmTopic }],
          });
        }
      }
      template.resourceCountIs('AWS::CloudWatch::Alarm', 18);
      template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com' });
    });

    it('alarms on files that end FAILED, from the splitter\'s FilesFailed metric', () => {
      const alarm = alarmOn(template, 'logbatch', METRIC_NAMES.filesFailed, { service: 'logbatch-splitter' });
      expect(alarm.Properties).to.deep.include({ Statistic: 'Sum', Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
    });

    it('alarms on DynamoDB throttling of the table and of its index, and on the table\'s system errors', () => {
      const table = { Ref: ids.table };
      for (const metricName of ['ReadThrottleEvents', 'WriteThrottleEvents']) {
        alarmOn(template, 'AWS/DynamoDB', metricName, { TableName: table });
        alarmOn(template, 'AWS/DynamoDB', metricName, { TableName: table, GlobalSecondaryIndexName: 'severe-by-time' });
      }
      for (const operation of ['BatchWriteItem', 'TransactWriteItems', 'UpdateItem', 'Query']) {
        const alarm = alarmOn(template, 'AWS/DynamoDB', 'SystemErrors', { TableName: table, Operation: operation });
        expect(alarm.Properties).to.deep.include({ Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
      }
    });

    it('alarms on the splitter\'s dropped, old and undeliverable asynchronous events', () => {
      const splitter = { FunctionName: { Ref: ids.splitter } };
      expect(alarmOn(template, 'AWS/Lambda', 'AsyncEventsDropped', splitter).Properties).to.deep.include({ Statistic: 'Sum', Threshold: 1 });
      expect(alarmOn(template, 'AWS/Lambda', 'AsyncEventAge', splitter).Properties).to.deep.include({ Statistic: 'Maximum', Threshold: 30 * 60_000 });
      expect(alarmOn(template, 'AWS/Lambda', 'DeadLetterErrors', splitter)).to.equal(
        alarmOn(template, 'AWS/Lambda', 'DestinationDeliveryFailures', splitter),
      );
    });

    it('alarms on the age of the oldest continuation and of the oldest message on each dead-letter queue', () => {
      const age = (queue: string) => alarmOn(template, 'AWS/SQS', 'ApproximateAgeOfOldestMessage', { QueueName: { 'Fn::GetAtt': [queue, 'QueueName'] } });
      expect(age(ids.continuationQueue).Properties).to.deep.include({ Statistic: 'Maximum', Threshold: 30 * 60 });
      expect(age(ids.deadLetterQueue).Properties).to.deep.include({ Statistic: 'Maximum', Threshold: 3 * 24 * 3600 });
      expect(age(ids.failedSplits).Properties).to.deep.include({ Statistic: 'Maximum', Threshold: 3 * 24 * 3600 });
    });

    it('alarms when a worker invocation runs longer than 80% of its timeout', () => {
      const alarm = alarmOn(template, 'AWS/Lambda', 'Duration', { FunctionName: { Ref: ids.worker } });
      expect(alarm.Properties).to.deep.include({ Statistic: 'Maximum', Threshold: 0.8 * 120_000, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
    });

    it('plots what the new alarms watch on the dashboard', () => {
      const [[, dashboard]] = resourcesOfType(template, 'AWS::CloudWatch::Dashboard') as [[string, Resource]];
      const body = JSON.stringify(dashboard.Properties?.DashboardBody);

      for (const name of ['ReadThrottleEvents', 'WriteThrottleEvents', 'SystemErrors', 'TransactionConflict', 'AsyncEventsDropped', 'AsyncEventAge', 'DeadLetterErrors', 'DestinationDeliveryFailures']) {
        expect(body, name).to.include(`\\"${name}\\"`);
      }
      expect(body).to.include('severe-by-time');
      expect(body).to.include(ids.continuationQueue);
      expect(body).to.include(ids.failedSplits);
      expect(body).to.include('\\"value\\":120000');
    });

    it('plots the handlers\' EMF metrics on the dashboard, by service', () => {
      const [[, dashboard]] = resourcesOfType(template, 'AWS::CloudWatch::Dashboard') as [[string, Resource]];
      const body = JSON.stringify(dashboard.Properties?.DashboardBody);

      for (const name of [METRIC_NAMES.linesProcessed, METRIC_NAMES.entriesStored, METRIC_NAMES.unparsedLines, METRIC_NAMES.chunkLatency]) {
        expect(body).to.include(`\\"logbatch\\",\\"${name}\\",\\"service\\",\\"logbatch-worker\\"`);
      }
      expect(body).to.include(`\\"logbatch\\",\\"${METRIC_NAMES.filesSplit}\\",\\"service\\",\\"logbatch-splitter\\"`);
    });

    it('gives every alarm an action: the stack\'s own topic, even without a subscriber, and warns at synthesis', () => {
      const topic = onlyLogicalId(defaults.template, 'AWS::SNS::Topic', 'MonitoringAlarmTopic');
      const alarms = resourcesOfType(defaults.template, 'AWS::CloudWatch::Alarm');

      expect(alarms.length).to.be.greaterThan(0);
      for (const [id, alarm] of alarms) {
        expect(alarm.Properties?.AlarmActions, id).to.deep.equal([{ Ref: topic }]);
        expect(alarm.Properties?.OKActions, id).to.deep.equal([{ Ref: topic }]);
      }
      defaults.template.resourceCountIs('AWS::SNS::Subscription', 0);
      Annotations.fromStack(defaults.stack).hasWarning('/LogBatchTest/Default/Monitoring', Match.stringLikeRegexp('alarms reach nobody'));
      Annotations.fromStack(createStack({ alarmEmail: 'ops@example.com' }, { warnings: true })).hasNoWarning('*', Match.stringLikeRegexp('alarms reach nobody'));
    });

    it('lets CloudWatch publish to the topic, only for this stack\'s alarms, beside the TLS deny', () => {
      const alarmArns = resourcesOfType(template, 'AWS::CloudWatch::Alarm').map(([id]) => ({ 'Fn::GetAtt': [id, 'Arn'] }));
      const [[, policy]] = resourcesOfType(template, 'AWS::SNS::TopicPolicy') as [[string, Resource]];
      const statements = (policy.Properties?.PolicyDocument as { Statement: Array<Statement & { Condition?: Record<string, Record<string, unknown>> }> }).Statement;
      const publish = statements.filter((statement) => statement.Effect === 'Allow');

      expect(policy.Properties?.Topics).to.deep.equal([{ Ref: ids.alarmTopic }]);
      expect(publish).to.have.length(1);
      expect(publish[0]).to.deep.include({ Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: 'sns:Publish', Resource: { Ref: ids.alarmTopic } });
      expect(publish[0]!.Condition?.ArnLike?.['aws:SourceArn']).to.have.deep.members(alarmArns);
      expect(publish[0]!.Condition?.StringEquals).to.deep.equal({ 'aws:SourceAccount': { Ref: 'AWS::AccountId' } });
      expect(statements.some((statement) => statement.Effect === 'Deny' && JSON.stringify(statement.Condition) === '{"Bool":{"aws:SecureTransport":"false"}}')).to.equal(true);
    });

    it('notifies a given topic instead, creating none', () => {
      const stack = createStack(
        { alarmTopic: Topic.fromTopicArn(new Stack(), 'Ops', 'arn:aws:sns:eu-west-1:123456789012:ops') },
        { warnings: true },
      );
      const given = Template.fromStack(stack);

      given.resourceCountIs('AWS::SNS::Topic', 0);
      given.allResourcesProperties('AWS::CloudWatch::Alarm', { AlarmActions: ['arn:aws:sns:eu-west-1:123456789012:ops'] });
      Annotations.fromStack(stack).hasNoWarning('*', Match.stringLikeRegexp('alarms reach nobody'));
    });
  });

  it('hands formatRules to both functions as LOGBATCH_FORMAT_RULES, which loadConfig reads back', () => {
    const ruled = Template.fromStack(createStack({ tuning: { formatRules: ['nginx/**=combined', 'apps/**.json=json'] } }));
    ruled.allResourcesProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ LOGBATCH_FORMAT_RULES: 'nginx/**=combined,apps/**.json=json' }) },
    });
  });

  it('traces both functions with X-Ray when tracing is set (off by default), still cdk-nag clean', () => {
    const stack = createStack({ tracing: true });
    const traced = Template.fromStack(stack);

    traced.allResourcesProperties('AWS::Lambda::Function', { TracingConfig: { Mode: 'Active' } });
    defaults.template.allResourcesProperties('AWS::Lambda::Function', { TracingConfig: Match.absent() });
    expect(new AwsSolutionsChecks().validateScope(stack).violations.map((violation) => violation.ruleName)).to.deep.equal([]);
  });

  it('passes the log level to Powertools and Lambda\'s log filter', () => {
    const debug = Template.fromStack(createStack({ logLevel: 'DEBUG' }));
    debug.allResourcesProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ POWERTOOLS_LOG_LEVEL: 'DEBUG' }) },
      LoggingConfig: Match.objectLike({ ApplicationLogLevel: 'DEBUG' }),
    });
  });

  it('keeps Lambda\'s log filter at INFO when the log level is WARN or ERROR, so the metrics (logged without a level) still arrive', () => {
    for (const logLevel of ['WARN', 'ERROR'] as const) {
      const quiet = Template.fromStack(createStack({ logLevel }));
      quiet.allResourcesProperties('AWS::Lambda::Function', {
        Environment: { Variables: Match.objectLike({ POWERTOOLS_LOG_LEVEL: logLevel }) },
        LoggingConfig: Match.objectLike({ ApplicationLogLevel: 'INFO' }),
      });
    }
  });
  describe('filters and redaction (issue 14)', () => {
    /** The function whose POWERTOOLS_SERVICE_NAME is `service` (independent of construct ids). */
    function functionOf(stackTemplate: Template, service: string): [string, Resource] {
      const found = resourcesOfType(stackTemplate, 'AWS::Lambda::Function').filter(
        ([, resource]) => (resource.Properties?.Environment as { Variables: Record<string, unknown> }).Variables.POWERTOOLS_SERVICE_NAME === service,
      );
      expect(found, service).to.have.length(1);
      return found[0]!;
    }
    const variablesOf = (stackTemplate: Template, service: string) =>
      (functionOf(stackTemplate, service)[1].Properties?.Environment as { Variables: Record<string, unknown> }).Variables;
    const roleOf = (stackTemplate: Template, service: string) => (functionOf(stackTemplate, service)[1].Properties?.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const hmacKeyArn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:logbatch/hmac-AbCdEf';
    const importedSecret = () => Secret.fromSecretCompleteArn(new Stack(new App(), 'Secrets'), 'HmacKey', hmacKeyArn);

    it('sets no filter or redaction variable by default (the application\'s defaults: default detectors, masked)', () => {
      for (const service of ['logbatch-worker', 'logbatch-splitter']) {
        const names = Object.keys(variablesOf(defaults.template, service));
        for (const name of ['LOGBATCH_INCLUDE', 'LOGBATCH_EXCLUDE', 'LOGBATCH_MIN_SEVERITY', 'LOGBATCH_REDACT', 'LOGBATCH_REDACT_REPLACEMENT', 'LOGBATCH_REDACT_KEY', 'LOGBATCH_REDACT_KEY_SECRET_ARN']) {
          expect(names, `${service} ${name}`).not.to.include(name);
        }
      }
    });

    it('passes include, exclude and minSeverity to the worker only, as JSON arrays loadConfig reads back', () => {
      const filtered = Template.fromStack(createStack({ filters: { include: ['[ERROR]', 'GET /api'], exclude: ['healthcheck'], minSeverity: 'warn' } }));
      const variables = variablesOf(filtered, 'logbatch-worker');
      expect(variables).to.deep.include({ LOGBATCH_INCLUDE: '["[ERROR]","GET /api"]', LOGBATCH_EXCLUDE: '["healthcheck"]', LOGBATCH_MIN_SEVERITY: 'warn' });
      const config = loadConfig({
        LOGBATCH_TABLE_NAME: 'logs',
        LOGBATCH_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/chunks',
        LOGBATCH_DLQ_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/chunks-dlq',
        LOGBATCH_INCLUDE: variables.LOGBATCH_INCLUDE as string,
        LOGBATCH_EXCLUDE: variables.LOGBATCH_EXCLUDE as string,
        LOGBATCH_MIN_SEVERITY: variables.LOGBATCH_MIN_SEVERITY as string,
      });
      expect(config.pipeline.filters).to.deep.equal({ include: ['[ERROR]', 'GET /api'], exclude: ['healthcheck'], minSeverity: 'warn' });
      // The splitter does not filter (the worker does, per event): it gets none of these.
      expect(Object.keys(variablesOf(filtered, 'logbatch-splitter'))).not.to.include.members(['LOGBATCH_INCLUDE', 'LOGBATCH_EXCLUDE', 'LOGBATCH_MIN_SEVERITY']);
    });

    it('passes the detector list to the worker', () => {
      const redacted = Template.fromStack(createStack({ redaction: { detectors: 'defaults,-jwt,email,ticket=TCK-[0-9]+' } }));
      expect(variablesOf(redacted, 'logbatch-worker')).to.deep.include({ LOGBATCH_REDACT: 'defaults,-jwt,email,ticket=TCK-[0-9]+' });
      expect(Object.keys(variablesOf(redacted, 'logbatch-worker'))).not.to.include('LOGBATCH_REDACT_KEY_SECRET_ARN');
      expect(Object.keys(variablesOf(redacted, 'logbatch-splitter'))).not.to.include('LOGBATCH_REDACT');
    });

    it('with hmac, names the key\'s secret (never the key) and lets the worker, only, GetSecretValue on exactly that secret', () => {
      const stack = createStack({ redaction: { replacement: 'hmac', hmacKeySecret: importedSecret() } });
      const hashed = Template.fromStack(stack);
      const variables = variablesOf(hashed, 'logbatch-worker');
      expect(variables).to.deep.include({ LOGBATCH_REDACT_REPLACEMENT: 'hmac', LOGBATCH_REDACT_KEY_SECRET_ARN: hmacKeyArn });
      expect(Object.keys(variables)).not.to.include('LOGBATCH_REDACT_KEY');
      expect(grantsOf(hashed, roleOf(hashed, 'logbatch-worker')).get('secretsmanager:GetSecretValue')).to.deep.equal([JSON.stringify(hmacKeyArn)]);
      // Nothing else in the template touches Secrets Manager.
      const secretStatements = allStatements(hashed).filter(({ statement }) => asArray(statement.Action as string | string[]).some((action) => action.startsWith('secretsmanager:')));
      expect(secretStatements.map(({ statement }) => [statement.Action, statement.Resource])).to.deep.equal([['secretsmanager:GetSecretValue', hmacKeyArn]]);
      expect(grantsOf(hashed, roleOf(hashed, 'logbatch-splitter')).has('secretsmanager:GetSecretValue')).to.equal(false);
      expect(new AwsSolutionsChecks().validateScope(stack).violations.map((violation) => violation.ruleName)).to.deep.equal([]);
    });

    it('with a secret in the stack, grants on its ARN; imported by name, on the name and Secrets Manager\'s 6-character suffix', () => {
      const app = new App();
      const stack = new Stack(app, 'Probe');
      const byName = Secret.fromSecretNameV2(stack, 'ByName', 'logbatch/hmac');
      const hashed = Template.fromStack(createStack({ redaction: { replacement: 'hmac', hmacKeySecret: byName } }));
      const resources = grantsOf(hashed, roleOf(hashed, 'logbatch-worker')).get('secretsmanager:GetSecretValue');
      expect(resources).to.have.length(1);
      expect(resources![0]).to.match(/secret:logbatch\/hmac-\?\?\?\?\?\?/);
    });
  });
});
