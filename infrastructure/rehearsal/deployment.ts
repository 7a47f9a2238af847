import { randomUUID } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { CreateTableCommand, type CreateTableCommandInput, UpdateTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { S3Event, SQSEvent, SQSRecord } from 'aws-lambda';
import type { AwsClients } from '../../src/di/aws.module.js';
import { objectCreatedEvent } from '../../src/local/aws-events.js';
import { matchesEventPattern, UnsupportedPatternError } from './event-pattern.js';
import { authorize, type ResourcePolicy, resourcePolicies, type RolePolicies, rolePolicies, serviceMay, wildcardMatch } from './iam.js';
import { type FunctionSpec, type InvocationResult, RehearsedFunction } from './lambda-service.js';
import { type ProxyPrincipal, RecordingProxy } from './recording-proxy.js';
import { REHEARSAL_ACCOUNT, REHEARSAL_REGION, type TemplateResolver } from './template.js';

/** Variables Lambda sets itself; a template that declares one fails to deploy. */
const LAMBDA_RESERVED_VARIABLES = [
  '_HANDLER', '_X_AMZN_TRACE_ID', 'AWS_DEFAULT_REGION', 'AWS_REGION', 'AWS_EXECUTION_ENV', 'AWS_LAMBDA_FUNCTION_NAME',
  'AWS_LAMBDA_FUNCTION_MEMORY_SIZE', 'AWS_LAMBDA_FUNCTION_VERSION', 'AWS_LAMBDA_INITIALIZATION_TYPE', 'AWS_LAMBDA_LOG_GROUP_NAME',
  'AWS_LAMBDA_LOG_STREAM_NAME', 'AWS_ACCESS_KEY', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN',
  'AWS_LAMBDA_RUNTIME_API', 'LAMBDA_TASK_ROOT', 'LAMBDA_RUNTIME_DIR',
];
/** Lambda's limit on a function's environment variables, in bytes. */
const ENVIRONMENT_LIMIT_BYTES = 4096;

/** A problem the rehearsal found that a real deploy (or the first real upload) would hit. */
export interface Finding {
  readonly where: string;
  readonly problem: string;
}

export interface EventSourceSpec {
  readonly logicalId: string;
  readonly function: RehearsedFunction;
  readonly queueLogicalId: string;
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly batchSize: number;
  readonly batchingWindowSeconds: number;
  readonly reportBatchItemFailures: boolean;
  readonly maxConcurrency: number;
  readonly enabled: boolean;
}

export interface NotificationTarget {
  readonly bucket: string;
  readonly bucketArn: string;
  readonly events: readonly string[];
  readonly filterRules: ReadonlyArray<{ readonly name: string; readonly value: string }>;
  readonly function: RehearsedFunction;
}

/** A queue of the template that a bucket notifies (`QueueConfigurations`) or a rule targets. */
export interface QueueTarget {
  readonly queueLogicalId: string;
  readonly queueUrl: string;
  readonly queueArn: string;
}

/** A bucket notification to a queue (the `sqs` trigger). */
export interface QueueNotificationTarget extends QueueTarget {
  readonly bucket: string;
  readonly bucketArn: string;
  readonly events: readonly string[];
  readonly filterRules: ReadonlyArray<{ readonly name: string; readonly value: string }>;
}

/** An EventBridge rule on the default bus and the queues it delivers to (the `eventbridge` trigger). */
export interface RuleTarget {
  readonly logicalId: string;
  readonly ruleArn: string;
  readonly pattern: unknown;
  readonly queues: readonly QueueTarget[];
}

export interface Upload {
  readonly bucket: string;
  readonly key: string;
  readonly etag: string;
  readonly size: number;
  readonly lastModified: string;
}

export interface DeploymentOptions {
  readonly resolver: TemplateResolver;
  /** Where the staged assets are (`asset.<hash>/`). */
  readonly assemblyDirectory: string;
  /** Clients straight to the emulators (provisioning and reading results; never recorded). */
  readonly admin: AwsClients;
  readonly endpoints: { readonly s3: string; readonly sqs: string; readonly dynamodb: string };
  /** Execution environments per function at most (the template's concurrency is far above what a test needs). @default 2 */
  readonly maxSandboxesPerFunction?: number;
}

/**
 * The template "deployed" on the emulators: its buckets, queues and tables created from their own properties,
 * each function ready to run its staged bundle with its resolved environment and its role's credentials, the
 * event source mappings and S3 notifications as declared, and a recording proxy deciding every call against IAM.
 */
export class Deployment {
  readonly findings: Finding[] = [];
  /** Declared settings the emulators do not reproduce (encryption at rest, PITR, ...), listed in the report. */
  readonly notEmulated: string[] = [];
  readonly functions = new Map<string, RehearsedFunction>();
  readonly roles = new Map<string, RolePolicies>();
  readonly eventSources: EventSourceSpec[] = [];
  readonly notifications: NotificationTarget[] = [];
  readonly queueNotifications: QueueNotificationTarget[] = [];
  /** Buckets that send their events to EventBridge (`EventBridgeConfiguration`). */
  readonly eventBridgeBuckets: string[] = [];
  readonly rules: RuleTarget[] = [];
  readonly proxy: RecordingProxy;
  private readonly principals = new Map<string, ProxyPrincipal>();
  private readonly lambdaClients = new Map<string, SQSClient>();
  private readonly pending = new Set<Promise<unknown>>();
  private readonly inFlight = new Map<EventSourceSpec, number>();
  private resourcePolicyList: ResourcePolicy[] = [];
  private pollers: Array<Promise<void>> = [];
  private polling = false;
  /** Seconds of visibility timeouts and retry delays the rehearsal skipped instead of waiting. */
  skippedSeconds = 0;
  private proxyEndpoint = '';

  private constructor(
    readonly resolver: TemplateResolver,
    private readonly options: DeploymentOptions,
  ) {
    this.proxy = new RecordingProxy({
      upstreams: options.endpoints,
      principals: this.principals,
      resourcePolicies: () => this.resourcePolicyList,
      templateTermsOf: (arn) => this.templateTermsOf(arn),
    });
  }

  static async create(options: DeploymentOptions): Promise<Deployment> {
    const deployment = new Deployment(options.resolver, options);
    await deployment.provision();
    return deployment;
  }

  get admin(): AwsClients {
    return this.options.admin;
  }

  /** An ARN in the template's terms: `{"Fn::GetAtt":["ProcessedLogsTable9A2FFD2F","Arn"]}` (arn:...), or the ARN itself. */
  templateTermsOf(arn: string): string {
    const base = arn.replace(/\/index\/.*$/, '');
    for (const [logicalId, resource] of Object.entries(this.resolver.template.Resources)) {
      if (!['AWS::SQS::Queue', 'AWS::DynamoDB::Table', 'AWS::S3::Bucket', 'AWS::Logs::LogGroup'].includes(resource.Type)) continue;
      const physical = this.resolver.physicalResource(logicalId);
      if (physical.attributes.Arn === base) return `{"Fn::GetAtt":["${logicalId}","Arn"]} (${arn})`;
      if (resource.Type === 'AWS::S3::Bucket' && arn.startsWith(`${physical.attributes.Arn}/`)) {
        return `{"Fn::Join":["",[{"Fn::GetAtt":["${logicalId}","Arn"]},"/*"]]} (${arn})`;
      }
    }
    return JSON.stringify(arn);
  }

  private async provision(): Promise<void> {
    const { resolver } = this;
    const created = (type: string) => resolver.resourcesOfType(type).filter(([logicalId]) => resolver.isCreated(logicalId));
    for (const [logicalId] of created('AWS::S3::Bucket')) {
      await this.admin.s3.send(new CreateBucketCommand({ Bucket: resolver.resolveString({ Ref: logicalId }) }));
      this.notEmulated.push(`${logicalId}: encryption, lifecycle, access logging, public access block (S3 settings fauxqs does not enforce)`);
    }
    // Dead-letter targets first: a queue's RedrivePolicy names its DLQ's ARN.
    const queues = created('AWS::SQS::Queue');
    const order = [...queues].sort(([, a], [, b]) => Number(a.Properties?.RedrivePolicy !== undefined) - Number(b.Properties?.RedrivePolicy !== undefined));
    for (const [logicalId, resource] of order) {
      const properties = resolver.resolve(resource.Properties ?? {}) as Record<string, unknown>;
      const attributes: Record<string, string> = {};
      for (const name of ['VisibilityTimeout', 'MaximumMessageSize', 'MessageRetentionPeriod', 'DelaySeconds', 'ReceiveMessageWaitTimeSeconds', 'FifoQueue', 'ContentBasedDeduplication']) {
        if (properties[name] !== undefined) attributes[name] = String(properties[name]);
      }
      for (const name of ['RedrivePolicy', 'RedriveAllowPolicy']) {
        if (properties[name] !== undefined) attributes[name] = typeof properties[name] === 'string' ? String(properties[name]) : JSON.stringify(properties[name]);
      }
      if (properties.SqsManagedSseEnabled === true || properties.KmsMasterKeyId !== undefined) this.notEmulated.push(`${logicalId}: encryption at rest`);
      const queueName = resolver.physicalResource(logicalId).attributes.QueueName;
      const { QueueUrl } = await this.admin.sqs.send(new CreateQueueCommand({ QueueName: queueName, Attributes: attributes }));
      const { Attributes } = await this.admin.sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
      const expectedArn = resolver.physicalResource(logicalId).attributes.Arn;
      if (Attributes?.QueueArn !== expectedArn) throw new Error(`fauxqs named ${logicalId} ${Attributes?.QueueArn}, not ${expectedArn}`);
      resolver.setPhysicalResource(logicalId, { ref: QueueUrl ?? '', attributes: { Arn: expectedArn, QueueName: queueName, QueueUrl: QueueUrl ?? '' } });
    }
    for (const [logicalId, resource] of created('AWS::DynamoDB::Table')) {
      await this.createTable(logicalId, resolver.resolve(resource.Properties ?? {}) as Record<string, unknown>);
    }
    this.resourcePolicyList = resourcePolicies(resolver, (logicalId, reason) =>
      this.findings.push({ where: logicalId, problem: `not evaluated: resource policy (${reason})` }),
    );
    this.proxyEndpoint = await this.proxy.start();
    const skipped = new Set(['AWS::CloudWatch::Alarm', 'AWS::CloudWatch::Dashboard', 'AWS::SNS::Topic', 'AWS::SNS::TopicPolicy', 'AWS::SNS::Subscription', 'AWS::Logs::LogGroup']);
    const skippedCount = Object.values(resolver.template.Resources).filter((resource) => skipped.has(resource.Type)).length;
    if (skippedCount > 0) this.notEmulated.push(`${skippedCount} alarm/dashboard/topic/log group resources (no emulator; log writes are checked against IAM only)`);
    for (const [logicalId] of created('AWS::Lambda::Function')) this.prepareFunction(logicalId);
    for (const [logicalId] of created('AWS::Lambda::EventSourceMapping')) this.prepareEventSource(logicalId);
    for (const [logicalId] of created('AWS::S3::Bucket')) this.prepareNotifications(logicalId);
    for (const [logicalId] of created('AWS::Events::Rule')) this.prepareRule(logicalId);
    for (const eventSource of this.eventSources) {
      // Lambda reads the queue's attributes when the mapping is created, with the function's role.
      await this.lambdaSqs(eventSource.function, 'event source mapping').send(
        new GetQueueAttributesCommand({ QueueUrl: eventSource.queueUrl, AttributeNames: ['VisibilityTimeout', 'RedrivePolicy'] }),
      );
    }
  }

  private async createTable(logicalId: string, properties: Record<string, unknown>): Promise<void> {
    const onDemand = properties.BillingMode === 'PAY_PER_REQUEST';
    const input: CreateTableCommandInput = {
      TableName: this.resolver.resolveString({ Ref: logicalId }),
      AttributeDefinitions: properties.AttributeDefinitions as CreateTableCommandInput['AttributeDefinitions'],
      KeySchema: properties.KeySchema as CreateTableCommandInput['KeySchema'],
      BillingMode: onDemand ? 'PAY_PER_REQUEST' : 'PROVISIONED',
      ...(onDemand ? {} : { ProvisionedThroughput: properties.ProvisionedThroughput as CreateTableCommandInput['ProvisionedThroughput'] }),
      ...(properties.GlobalSecondaryIndexes === undefined ? {} : { GlobalSecondaryIndexes: properties.GlobalSecondaryIndexes as CreateTableCommandInput['GlobalSecondaryIndexes'] }),
      ...(properties.LocalSecondaryIndexes === undefined ? {} : { LocalSecondaryIndexes: properties.LocalSecondaryIndexes as CreateTableCommandInput['LocalSecondaryIndexes'] }),
      ...(properties.StreamSpecification === undefined ? {} : { StreamSpecification: { StreamEnabled: true, ...(properties.StreamSpecification as object) } }),
    };
    await this.admin.dynamodb.send(new CreateTableCommand(input));
    const ttl = properties.TimeToLiveSpecification as { AttributeName: string; Enabled: boolean } | undefined;
    if (ttl?.Enabled === true) {
      await this.admin.dynamodb.send(new UpdateTimeToLiveCommand({ TableName: input.TableName, TimeToLiveSpecification: { AttributeName: ttl.AttributeName, Enabled: true } }));
    }
    const unmatched = ['PointInTimeRecoverySpecification', 'SSESpecification', 'DeletionProtectionEnabled', 'ContributorInsightsSpecification'].filter((name) => properties[name] !== undefined);
    if (unmatched.length > 0) this.notEmulated.push(`${logicalId}: ${unmatched.join(', ')}`);
  }

  private principal(fn: RehearsedFunction | string, origin: string): string {
    const logicalId = typeof fn === 'string' ? fn : fn.spec.logicalId;
    const accessKeyId = `RH${logicalId.replace(/[^A-Za-z0-9]/g, '').toUpperCase()}${origin === 'function code' ? '' : `X${origin.replace(/[^a-z]/g, '').toUpperCase()}`}`;
    if (!this.principals.has(accessKeyId)) {
      const roleLogicalId = typeof fn === 'string' ? this.functionRole(logicalId) : fn.spec.roleLogicalId;
      let role = this.roles.get(roleLogicalId);
      if (role === undefined) {
        role = rolePolicies(this.resolver, roleLogicalId);
        this.roles.set(roleLogicalId, role);
        for (const part of role.unevaluated) this.findings.push({ where: roleLogicalId, problem: `not evaluated: ${part}` });
      }
      this.principals.set(accessKeyId, { name: logicalId, origin, role });
    }
    return accessKeyId;
  }

  private functionRole(functionLogicalId: string): string {
    const roleArn = this.resolver.resolveString(this.resolver.resource(functionLogicalId).Properties?.Role);
    const roleLogicalId = this.resolver.resourcesOfType('AWS::IAM::Role').find(([logicalId]) => this.resolver.physicalResource(logicalId).attributes.Arn === roleArn)?.[0];
    if (roleLogicalId === undefined) throw new Error(`${functionLogicalId}: its role ${roleArn} is not a role of this template`);
    return roleLogicalId;
  }

  /** An SQS client that acts as Lambda acting for the function (event source mapping, async destinations): same role. */
  lambdaSqs(fn: RehearsedFunction, origin: string): SQSClient {
    const accessKeyId = this.principal(fn, origin);
    let client = this.lambdaClients.get(accessKeyId);
    if (client === undefined) {
      client = new SQSClient({ region: REHEARSAL_REGION, endpoint: this.proxyEndpoint, useQueueUrlAsEndpoint: false, credentials: { accessKeyId, secretAccessKey: 'rehearsal' } });
      this.lambdaClients.set(accessKeyId, client);
    }
    return client;
  }

  private prepareFunction(logicalId: string): void {
    const { resolver } = this;
    const properties = resolver.resource(logicalId).Properties ?? {};
    const where = `${logicalId}`;
    const runtime = String(properties.Runtime ?? '');
    if (!runtime.startsWith('nodejs')) throw new Error(`${logicalId}: runtime ${runtime} cannot be rehearsed (Node.js only)`);
    const handler = String(properties.Handler ?? '');
    const [file, exportName] = [handler.slice(0, handler.lastIndexOf('.')), handler.slice(handler.lastIndexOf('.') + 1)];
    const taskRoot = this.stageAsset(logicalId);
    const handlerFile = ['.mjs', '.js', '.cjs'].map((extension) => join(taskRoot, `${file}${extension}`)).find((candidate) => existsSync(candidate));
    if (handlerFile === undefined) {
      this.findings.push({ where, problem: `Handler "${handler}": no ${file}.mjs/.js/.cjs in the staged asset (Runtime.ImportModuleError at the first invocation)` });
    }
    const declared = (resolver.resolve((properties.Environment as { Variables?: unknown } | undefined)?.Variables ?? {}) ?? {}) as Record<string, unknown>;
    const variables = Object.fromEntries(Object.entries(declared).map(([name, value]) => [name, String(value)]));
    for (const name of Object.keys(variables).filter((candidate) => LAMBDA_RESERVED_VARIABLES.includes(candidate))) {
      this.findings.push({ where, problem: `environment variable ${name} is reserved by Lambda (the deploy fails)` });
    }
    const environmentBytes = Object.entries(variables).reduce((total, [name, value]) => total + Buffer.byteLength(name) + Buffer.byteLength(value), 0);
    if (environmentBytes > ENVIRONMENT_LIMIT_BYTES) this.findings.push({ where, problem: `environment is ${environmentBytes} bytes, over Lambda's 4 KB` });
    const name = resolver.resolveString({ Ref: logicalId });
    const arn = resolver.physicalResource(logicalId).attributes.Arn;
    const memorySize = Number(properties.MemorySize ?? 128);
    const logging = properties.LoggingConfig as { LogGroup?: unknown; LogFormat?: string; ApplicationLogLevel?: string } | undefined;
    const logGroupName = logging?.LogGroup === undefined ? `/aws/lambda/${name}` : resolver.resolveString(logging.LogGroup);
    const roleLogicalId = this.functionRole(logicalId);
    const spec: FunctionSpec = {
      logicalId,
      name,
      arn,
      roleLogicalId,
      handlerFile: handlerFile ?? join(taskRoot, `${file}.mjs`),
      exportName,
      timeoutSeconds: Number(properties.Timeout ?? 3),
      memorySize,
      ...(properties.ReservedConcurrentExecutions === undefined ? {} : { reservedConcurrency: Number(properties.ReservedConcurrentExecutions) }),
      logGroupName,
      environment: {
        ...variables,
        // What Lambda adds: region, the role's credentials (an access key naming the function), its own names.
        AWS_REGION: REHEARSAL_REGION,
        AWS_DEFAULT_REGION: REHEARSAL_REGION,
        AWS_ACCESS_KEY_ID: this.principal(logicalId, 'function code'),
        AWS_SECRET_ACCESS_KEY: 'rehearsal',
        AWS_SESSION_TOKEN: 'rehearsal',
        AWS_LAMBDA_FUNCTION_NAME: name,
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(memorySize),
        AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
        AWS_LAMBDA_LOG_GROUP_NAME: logGroupName,
        AWS_LAMBDA_LOG_STREAM_NAME: 'rehearsal',
        AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
        AWS_EXECUTION_ENV: `AWS_Lambda_${runtime}`,
        LAMBDA_TASK_ROOT: taskRoot,
        _HANDLER: handler,
        ...(logging?.LogFormat === 'JSON' ? { AWS_LAMBDA_LOG_FORMAT: 'JSON', AWS_LAMBDA_LOG_LEVEL: logging.ApplicationLogLevel ?? 'INFO' } : {}),
        // The only difference from AWS: the SDK's standard endpoint variables point at the recording proxy.
        AWS_ENDPOINT_URL_S3: this.proxyEndpoint,
        AWS_ENDPOINT_URL_SQS: this.proxyEndpoint,
        AWS_ENDPOINT_URL_DYNAMODB: this.proxyEndpoint,
      },
    };
    const concurrency = Math.max(1, Math.min(this.options.maxSandboxesPerFunction ?? 2, spec.reservedConcurrency ?? Number.POSITIVE_INFINITY));
    this.functions.set(logicalId, new RehearsedFunction(spec, concurrency));
  }

  /** Copies the staged asset out of the repository, so the bundle cannot resolve anything from its node_modules. */
  private stageAsset(logicalId: string): string {
    const properties = this.resolver.resource(logicalId).Properties ?? {};
    const metadataPath = this.resolver.resource(logicalId).Metadata?.['aws:asset:path'];
    const s3Key = (properties.Code as { S3Key?: unknown } | undefined)?.S3Key;
    const assetDirectory =
      typeof metadataPath === 'string' ? metadataPath : typeof s3Key === 'string' ? `asset.${s3Key.replace(/\.zip$/, '')}` : undefined;
    if (assetDirectory === undefined) throw new Error(`${logicalId}: code is not a staged asset (inline code cannot be rehearsed)`);
    const taskRoot = mkdtempSync(join(tmpdir(), 'logbatch-rehearsal-task-'));
    cpSync(join(this.options.assemblyDirectory, assetDirectory), taskRoot, { recursive: true });
    return taskRoot;
  }

  private functionByReference(reference: string): RehearsedFunction | undefined {
    return [...this.functions.values()].find((fn) => fn.spec.arn === reference || fn.spec.name === reference || reference.startsWith(`${fn.spec.arn}:`));
  }

  private prepareEventSource(logicalId: string): void {
    const properties = this.resolver.resolve(this.resolver.resource(logicalId).Properties ?? {}) as Record<string, unknown>;
    const fn = this.functionByReference(String(properties.FunctionName));
    const queueArn = String(properties.EventSourceArn);
    const queueLogicalId = this.resolver.resourcesOfType('AWS::SQS::Queue').find(([id]) => this.resolver.physicalResource(id).attributes.Arn === queueArn)?.[0];
    if (fn === undefined || queueLogicalId === undefined) {
      this.findings.push({ where: logicalId, problem: `event source ${queueArn} → ${String(properties.FunctionName)} is not an SQS queue and function of this template (not rehearsed)` });
      return;
    }
    const batchSize = Number(properties.BatchSize ?? 10);
    const batchingWindowSeconds = Number(properties.MaximumBatchingWindowInSeconds ?? 0);
    if (batchSize > 10 && batchingWindowSeconds < 1) this.findings.push({ where: logicalId, problem: `BatchSize ${batchSize} above 10 needs MaximumBatchingWindowInSeconds ≥ 1 (the deploy fails)` });
    const visibility = Number((this.resolver.resolve(this.resolver.resource(queueLogicalId).Properties ?? {}) as Record<string, unknown>).VisibilityTimeout ?? 30);
    if (visibility < fn.spec.timeoutSeconds) {
      this.findings.push({ where: logicalId, problem: `queue ${queueLogicalId} visibility ${visibility} s is below ${fn.spec.logicalId}'s timeout ${fn.spec.timeoutSeconds} s (the deploy fails)` });
    }
    const scaling = properties.ScalingConfig as { MaximumConcurrency?: number } | undefined;
    this.eventSources.push({
      logicalId,
      function: fn,
      queueLogicalId,
      queueUrl: this.resolver.physicalResource(queueLogicalId).ref,
      queueArn,
      batchSize,
      batchingWindowSeconds,
      reportBatchItemFailures: ((properties.FunctionResponseTypes ?? []) as string[]).includes('ReportBatchItemFailures'),
      maxConcurrency: scaling?.MaximumConcurrency ?? 1000,
      enabled: properties.Enabled !== false,
    });
  }

  private prepareNotifications(bucketLogicalId: string): void {
    const properties = this.resolver.resource(bucketLogicalId).Properties ?? {};
    const configuration = properties.NotificationConfiguration as Record<string, unknown[]> | undefined;
    if (configuration === undefined) return;
    const bucket = this.resolver.resolveString({ Ref: bucketLogicalId });
    const bucketArn = `arn:aws:s3:::${bucket}`;
    for (const kind of Object.keys(configuration).filter((name) => !['LambdaConfigurations', 'QueueConfigurations', 'EventBridgeConfiguration'].includes(name))) {
      this.findings.push({ where: bucketLogicalId, problem: `${kind} notifications are not rehearsed` });
    }
    const eventBridge = this.resolver.resolve(configuration.EventBridgeConfiguration ?? {}) as { EventBridgeEnabled?: boolean };
    if (eventBridge.EventBridgeEnabled === true) this.eventBridgeBuckets.push(bucket);
    for (const raw of configuration.QueueConfigurations ?? []) {
      const entry = this.resolver.resolve(raw) as { Event: string; Queue: string; Filter?: NotificationFilter };
      const queue = this.queueTarget(entry.Queue);
      if (queue === undefined) {
        this.findings.push({ where: bucketLogicalId, problem: `notification to ${entry.Queue}, which is not a queue of this template` });
        continue;
      }
      // S3 checks that it may send when the configuration is saved: the deploy fails otherwise.
      const permitted = serviceMay('s3.amazonaws.com', { action: 'sqs:SendMessage', resource: queue.queueArn }, this.resourcePolicyList, bucketArn);
      if (permitted !== true) this.findings.push({ where: bucketLogicalId, problem: `${permitted} (the notification's deploy fails validation)` });
      this.queueNotifications.push({ bucket, bucketArn, events: [entry.Event], filterRules: keyFilterRules(entry.Filter), ...queue });
    }
    for (const raw of configuration.LambdaConfigurations ?? []) {
      const entry = this.resolver.resolve(raw) as { Event: string; Function: string; Filter?: NotificationFilter };
      const fn = this.functionByReference(entry.Function);
      if (fn === undefined) {
        this.findings.push({ where: bucketLogicalId, problem: `notification to ${entry.Function}, which is not a function of this template` });
        continue;
      }
      const permitted = this.s3MayInvoke(fn, bucketArn);
      if (permitted !== true) this.findings.push({ where: bucketLogicalId, problem: permitted });
      this.notifications.push({ bucket, bucketArn, events: [entry.Event], filterRules: keyFilterRules(entry.Filter), function: fn });
    }
  }

  private queueTarget(arn: string): QueueTarget | undefined {
    const queueLogicalId = this.resolver.resourcesOfType('AWS::SQS::Queue').find(([id]) => this.resolver.physicalResource(id).attributes.Arn === arn)?.[0];
    if (queueLogicalId === undefined) return undefined;
    return { queueLogicalId, queueUrl: this.resolver.physicalResource(queueLogicalId).ref, queueArn: arn };
  }

  /** A rule on the default bus with SQS targets; EventBridge may deliver only where the queue's policy allows it. */
  private prepareRule(logicalId: string): void {
    const properties = this.resolver.resolve(this.resolver.resource(logicalId).Properties ?? {}) as Record<string, unknown>;
    if (properties.EventBusName !== undefined && properties.EventBusName !== 'default') {
      this.findings.push({ where: logicalId, problem: `rule on bus ${String(properties.EventBusName)} is not rehearsed (only the default bus)` });
      return;
    }
    if (properties.State === 'DISABLED') return;
    const ruleArn = this.resolver.physicalResource(logicalId).attributes.Arn;
    const queues: QueueTarget[] = [];
    for (const target of (properties.Targets ?? []) as Array<{ Arn: string; Id: string; InputTransformer?: unknown; Input?: unknown; InputPath?: unknown }>) {
      const queue = this.queueTarget(target.Arn);
      if (queue === undefined) {
        this.findings.push({ where: logicalId, problem: `target ${target.Id} (${target.Arn}) is not a queue of this template (not rehearsed)` });
        continue;
      }
      if (target.Input !== undefined || target.InputPath !== undefined || target.InputTransformer !== undefined) {
        this.findings.push({ where: logicalId, problem: `target ${target.Id} changes the event (Input/InputPath/InputTransformer): not rehearsed` });
        continue;
      }
      const permitted = serviceMay('events.amazonaws.com', { action: 'sqs:SendMessage', resource: queue.queueArn }, this.resourcePolicyList, ruleArn);
      // EventBridge does not check at deploy time: the events would go to the target's DLQ (or be dropped).
      if (permitted !== true) this.findings.push({ where: logicalId, problem: `${permitted} (deliveries would fail)` });
      else queues.push(queue);
    }
    this.rules.push({ logicalId, ruleArn, pattern: properties.EventPattern, queues });
  }

  /** S3 can invoke the function only through a resource policy statement (`AWS::Lambda::Permission`) for this bucket. */
  private s3MayInvoke(fn: RehearsedFunction, bucketArn: string): true | string {
    for (const [logicalId] of this.resolver.resourcesOfType('AWS::Lambda::Permission')) {
      const permission = this.resolver.resolve(this.resolver.resource(logicalId).Properties ?? {}) as Record<string, string>;
      if (this.functionByReference(permission.FunctionName) !== fn) continue;
      if (permission.Principal !== 's3.amazonaws.com' && permission.Principal !== '*') continue;
      if (!wildcardMatch(permission.Action, 'lambda:InvokeFunction', true)) continue;
      if (permission.SourceArn !== undefined && !wildcardMatch(permission.SourceArn, bucketArn)) continue;
      if (permission.SourceAccount !== undefined && permission.SourceAccount !== REHEARSAL_ACCOUNT) continue;
      return true;
    }
    return `S3 may not invoke ${fn.spec.logicalId}: no AWS::Lambda::Permission for s3.amazonaws.com with SourceArn ${bucketArn} (the notification's deploy fails validation)`;
  }

  /** Uploads an object with the rehearsal's own client (as a user would) and returns what the S3 event will carry. */
  async upload(bucket: string, key: string, body: Buffer): Promise<Upload> {
    const put = await this.admin.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    return { bucket, key, etag: (put.ETag ?? '').replace(/"/g, ''), size: body.length, lastModified: new Date().toISOString() };
  }

  /**
   * S3's side of an upload: every notification whose events and key filters match invokes its function
   * asynchronously or sends the event to its queue, and a bucket with EventBridge delivery puts an `Object Created`
   * event on the default bus, where every rule whose pattern matches sends it to its queues. Returns the deliveries.
   */
  notifyObjectCreated(upload: Upload): number {
    let delivered = 0;
    const matching = <T extends { bucket: string; events: readonly string[]; filterRules: NotificationTarget['filterRules'] }>(targets: readonly T[]) =>
      targets.filter(
        (target) =>
          target.bucket === upload.bucket &&
          target.events.some((pattern) => wildcardMatch(pattern, 's3:ObjectCreated:Put')) &&
          target.filterRules.every((rule) => (rule.name === 'prefix' ? upload.key.startsWith(rule.value) : upload.key.endsWith(rule.value))),
      );
    const s3Event = (): S3Event => {
      const event = objectCreatedEvent({ ...upload });
      (event.Records[0] as { awsRegion: string }).awsRegion = REHEARSAL_REGION;
      return event;
    };
    for (const target of matching(this.notifications)) {
      this.track(this.invokeAsync(target.function, s3Event(), `s3:ObjectCreated:Put ${upload.key}`));
      delivered += 1;
    }
    for (const target of matching(this.queueNotifications)) {
      this.track(this.sendAsService(target, JSON.stringify(s3Event())));
      delivered += 1;
    }
    if (this.eventBridgeBuckets.includes(upload.bucket)) {
      const event = eventBridgeObjectCreated(upload);
      for (const rule of this.rules) {
        let matches: boolean;
        try {
          matches = matchesEventPattern(rule.pattern, event);
        } catch (error) {
          if (!(error instanceof UnsupportedPatternError)) throw error;
          this.findings.push({ where: rule.logicalId, problem: `event pattern not rehearsed: ${error.message}` });
          continue;
        }
        if (!matches) continue;
        for (const queue of rule.queues) {
          this.track(this.sendAsService(queue, JSON.stringify(event)));
          delivered += 1;
        }
      }
    }
    return delivered;
  }

  /** A message S3 or EventBridge sends (their permission was decided from the queue's policy when provisioning). */
  private async sendAsService(queue: QueueTarget, body: string): Promise<void> {
    await this.admin.sqs.send(new SendMessageCommand({ QueueUrl: queue.queueUrl, MessageBody: body }));
  }

  /** The test event S3 sends to each function when a notification configuration is saved. */
  notifyTestEvent(bucket: string): number {
    const event = { Service: 'Amazon S3', Event: 's3:TestEvent', Time: new Date().toISOString(), Bucket: bucket, RequestId: 'REHEARSAL', HostId: 'REHEARSAL' };
    const targets = this.notifications.filter((target) => target.bucket === bucket);
    for (const target of targets) this.track(this.invokeAsync(target.function, event, 's3:TestEvent'));
    const queues = this.queueNotifications.filter((target) => target.bucket === bucket);
    for (const queue of queues) this.track(this.sendAsService(queue, JSON.stringify(event)));
    return targets.length + queues.length;
  }

  /** Lambda's asynchronous invocation: retries as the function's `EventInvokeConfig` says, then its on-failure destination. */
  async invokeAsync(fn: RehearsedFunction, event: unknown, label: string): Promise<InvocationResult> {
    const config = this.resolver
      .resourcesOfType('AWS::Lambda::EventInvokeConfig')
      .map(([, resource]) => this.resolver.resolve(resource.Properties ?? {}) as Record<string, unknown>)
      .find((properties) => this.functionByReference(String(properties.FunctionName)) === fn);
    const retries = Number(config?.MaximumRetryAttempts ?? 2);
    let result: InvocationResult | undefined;
    for (let attempt = 0; attempt <= retries; attempt++) {
      result = await fn.invoke(event, label);
      if (result.ok) return result;
      // Lambda waits about a minute, then two, between attempts; the rehearsal does not.
      this.skippedSeconds += attempt === 0 ? 60 : 120;
    }
    const destination = (config?.DestinationConfig as { OnFailure?: { Destination?: string } } | undefined)?.OnFailure?.Destination;
    const deadLetter = (this.resolver.resolve(this.resolver.resource(fn.spec.logicalId).Properties?.DeadLetterConfig ?? {}) as { TargetArn?: string }).TargetArn;
    const queueUrlOf = (arn: string) =>
      this.resolver.physicalResource(this.resolver.resourcesOfType('AWS::SQS::Queue').find(([id]) => this.resolver.physicalResource(id).attributes.Arn === arn)?.[0] ?? '').ref;
    if (destination?.startsWith('arn:aws:sqs:') === true) {
      const record = {
        version: '1.0',
        timestamp: new Date().toISOString(),
        requestContext: { requestId: 'rehearsal', functionArn: `${fn.spec.arn}:$LATEST`, condition: 'RetriesExhausted', approximateInvokeCount: retries + 1 },
        requestPayload: event,
        responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
        responsePayload: result?.error,
      };
      await this.lambdaSqs(fn, 'async destination').send(new SendMessageCommand({ QueueUrl: queueUrlOf(destination), MessageBody: JSON.stringify(record) }));
    } else if (deadLetter?.startsWith('arn:aws:sqs:') === true) {
      await this.lambdaSqs(fn, 'async destination').send(new SendMessageCommand({ QueueUrl: queueUrlOf(deadLetter), MessageBody: JSON.stringify(event) }));
    } else {
      this.findings.push({ where: fn.spec.logicalId, problem: `${label}: failed ${retries + 1} times and has no on-failure destination or DLQ: the event is dropped` });
    }
    return result as InvocationResult;
  }

  private track(promise: Promise<unknown>): void {
    const tracked = promise.catch((error: unknown) => {
      this.findings.push({ where: 'rehearsal', problem: `async invocation failed to run: ${(error as Error).message}` });
    });
    this.pending.add(tracked);
    void tracked.finally(() => this.pending.delete(tracked));
  }

  /** Starts Lambda's pollers for every enabled event source mapping. */
  startEventSources(): void {
    if (this.polling) return;
    this.polling = true;
    for (const eventSource of this.eventSources.filter((candidate) => candidate.enabled)) {
      const pollers = Math.max(1, Math.min(eventSource.maxConcurrency, eventSource.function.spec.reservedConcurrency ?? 2, 2));
      for (let index = 0; index < pollers; index++) this.pollers.push(this.poll(eventSource));
    }
  }

  async stopEventSources(): Promise<void> {
    this.polling = false;
    await Promise.all(this.pollers.splice(0));
  }

  private async poll(eventSource: EventSourceSpec): Promise<void> {
    const sqs = this.lambdaSqs(eventSource.function, 'event source mapping');
    while (this.polling) {
      const messages: Message[] = [];
      const started = Date.now();
      let bytes = 0;
      // Gather up to BatchSize (10 per receive) within the batching window and Lambda's 6 MB payload limit.
      do {
        const received = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: eventSource.queueUrl,
            MaxNumberOfMessages: Math.min(10, eventSource.batchSize - messages.length),
            WaitTimeSeconds: messages.length === 0 ? 1 : 0,
            MessageSystemAttributeNames: ['All'],
            MessageAttributeNames: ['All'],
          }),
        );
        for (const message of received.Messages ?? []) {
          bytes += Buffer.byteLength(message.Body ?? '');
          messages.push(message);
        }
        if ((received.Messages ?? []).length === 0 && messages.length > 0) break;
      } while (this.polling && messages.length < eventSource.batchSize && bytes < 6 * 1024 * 1024 && Date.now() - started < eventSource.batchingWindowSeconds * 1000);
      if (messages.length === 0) continue;
      this.inFlight.set(eventSource, (this.inFlight.get(eventSource) ?? 0) + 1);
      try {
        await this.deliver(eventSource, sqs, messages);
      } finally {
        this.inFlight.set(eventSource, (this.inFlight.get(eventSource) ?? 1) - 1);
      }
    }
  }

  private async deliver(eventSource: EventSourceSpec, sqs: SQSClient, messages: Message[]): Promise<void> {
    const now = Date.now();
    const records: SQSRecord[] = messages.map((message) => ({
      messageId: message.MessageId ?? '',
      receiptHandle: message.ReceiptHandle ?? '',
      body: message.Body ?? '',
      attributes: {
        ApproximateReceiveCount: message.Attributes?.ApproximateReceiveCount ?? '1',
        SentTimestamp: message.Attributes?.SentTimestamp ?? String(now),
        SenderId: message.Attributes?.SenderId ?? REHEARSAL_ACCOUNT,
        ApproximateFirstReceiveTimestamp: message.Attributes?.ApproximateFirstReceiveTimestamp ?? String(now),
      },
      messageAttributes: {},
      md5OfBody: message.MD5OfBody ?? '',
      eventSource: 'aws:sqs',
      eventSourceARN: eventSource.queueArn,
      awsRegion: REHEARSAL_REGION,
    }));
    const event: SQSEvent = { Records: records };
    const result = await eventSource.function.invoke(event, `${eventSource.logicalId}: ${records.length} message(s)`);
    let failedIds = new Set<string>();
    if (!result.ok) {
      failedIds = new Set(records.map((record) => record.messageId));
    } else {
      const reported = (result.result as { batchItemFailures?: Array<{ itemIdentifier?: string }> } | null)?.batchItemFailures;
      if (reported !== undefined && reported.length > 0) {
        if (!eventSource.reportBatchItemFailures) {
          this.findings.push({
            where: eventSource.logicalId,
            problem: `${eventSource.function.spec.logicalId} returned ${reported.length} batchItemFailures, but the mapping lacks ReportBatchItemFailures: Lambda deletes those messages`,
          });
        } else if (reported.some((failure) => !records.some((record) => record.messageId === failure.itemIdentifier))) {
          // Lambda treats an unknown or empty itemIdentifier as a failure of the whole batch.
          failedIds = new Set(records.map((record) => record.messageId));
        } else {
          failedIds = new Set(reported.map((failure) => String(failure.itemIdentifier)));
        }
      }
    }
    const succeeded = messages.filter((message) => !failedIds.has(message.MessageId ?? ''));
    for (let offset = 0; offset < succeeded.length; offset += 10) {
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: eventSource.queueUrl,
          Entries: succeeded.slice(offset, offset + 10).map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle ?? '' })),
        }),
      );
    }
    // A failed message comes back after the queue's visibility timeout; the rehearsal skips the wait.
    const failed = messages.filter((message) => failedIds.has(message.MessageId ?? ''));
    if (failed.length > 0) {
      const visibility = Number((this.resolver.resolve(this.resolver.resource(eventSource.queueLogicalId).Properties ?? {}) as Record<string, unknown>).VisibilityTimeout ?? 30);
      this.skippedSeconds += visibility;
      for (const message of failed) {
        await this.admin.sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: eventSource.queueUrl, ReceiptHandle: message.ReceiptHandle ?? '', VisibilityTimeout: 0 }));
      }
    }
  }

  /** Waits until no invocation is running and every consumed queue is empty (twice in a row), or fails after `timeoutMs`. */
  async settle(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let quietRounds = 0;
    while (quietRounds < 2) {
      if (Date.now() > deadline) throw new Error(`the pipeline did not settle within ${timeoutMs} ms`);
      await delay(250);
      const busy = this.pending.size > 0 || [...this.inFlight.values()].some((count) => count > 0);
      let queued = 0;
      if (!busy) {
        for (const eventSource of this.eventSources) {
          const { Attributes } = await this.admin.sqs.send(
            new GetQueueAttributesCommand({ QueueUrl: eventSource.queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
          );
          queued += Number(Attributes?.ApproximateNumberOfMessages ?? 0) + Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
        }
      }
      quietRounds = busy || queued > 0 ? 0 : quietRounds + 1;
    }
  }

  /**
   * Lambda's own writes to each invoked function's log group (`logs:CreateLogStream`, `logs:PutLogEvents`), made
   * with the function's role: recorded and decided like the code's calls.
   */
  recordRuntimeLogWrites(): void {
    for (const fn of this.functions.values()) {
      if (fn.invocations === 0) continue;
      const role = this.roles.get(fn.spec.roleLogicalId);
      if (role === undefined) continue;
      const resource = `arn:aws:logs:${REHEARSAL_REGION}:${REHEARSAL_ACCOUNT}:log-group:${fn.spec.logGroupName}:log-stream:rehearsal`;
      for (const operation of ['CreateLogStream', 'PutLogEvents']) {
        const authorization = authorize({ action: `logs:${operation}`, resource }, role, this.resourcePolicyList, (arn) => this.templateTermsOf(arn));
        this.proxy.calls.push({ principal: fn.spec.logicalId, origin: 'Lambda runtime (logs)', service: 'logs', operation, authorizations: [authorization], status: authorization.decision === 'denied' ? 403 : 200 });
      }
    }
  }

  async close(): Promise<void> {
    await this.stopEventSources();
    await Promise.all([...this.functions.values()].map((fn) => fn.close()));
    await this.proxy.stop();
    for (const client of this.lambdaClients.values()) client.destroy();
  }
}

/** The event S3 puts on EventBridge's default bus for an upload (the key is not URL-encoded, unlike notifications). */
function eventBridgeObjectCreated(upload: Upload): Record<string, unknown> {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Object Created',
    source: 'aws.s3',
    account: REHEARSAL_ACCOUNT,
    time: upload.lastModified,
    region: REHEARSAL_REGION,
    resources: [`arn:aws:s3:::${upload.bucket}`],
    detail: {
      version: '0',
      bucket: { name: upload.bucket },
      object: { key: upload.key, size: upload.size, etag: upload.etag, sequencer: Date.now().toString(16).toUpperCase() },
      'request-id': 'REHEARSAL',
      requester: REHEARSAL_ACCOUNT,
      'source-ip-address': '127.0.0.1',
      reason: 'PutObject',
    },
  };
}

/** A notification's `Filter`, as the template declares it. */
type NotificationFilter = { S3Key?: { Rules?: Array<{ Name: string; Value: string }> } };

function keyFilterRules(filter: NotificationFilter | undefined): NotificationTarget['filterRules'] {
  return (filter?.S3Key?.Rules ?? []).map((rule) => ({ name: rule.Name.toLowerCase(), value: rule.Value }));
}
