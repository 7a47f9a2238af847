import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import {
  ApplicationLogLevel,
  Architecture,
  type Code,
  LoggingFormat,
  Runtime,
  SystemLogLevel,
  Tracing,
} from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE_DEFAULT } from '../../../src/handlers/powertools-telemetry.js';
import { acknowledgeNagRule } from '../nag.js';
import { assertDurationInRange, assertIntegerInRange, assertLogLevel, assertNonBlank, type LogLevel } from '../validation.js';

/** The repository root: handler entries, `package-lock.json` and `tsconfig.json` are resolved from it. */
export const PROJECT_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** The Lambda runtime of both handlers (the bundles target the same Node.js version). */
export const HANDLER_RUNTIME = Runtime.NODEJS_22_X;
const BUNDLE_TARGET = 'node22';

/**
 * The bundles are ES modules (the project is ESM and inversify 8 ships ESM only). Some bundled CommonJS
 * dependencies still call `require` for Node built-ins, which an ES module does not define.
 */
const ESM_REQUIRE_BANNER =
  "import { createRequire as __logbatchCreateRequire } from 'node:module'; const require = __logbatchCreateRequire(import.meta.url);";

/** Props of {@link PipelineFunction}. */
export interface PipelineFunctionProps {
  /** The handler module exporting `handler`, relative to the repository root (e.g. `src/handlers/worker.handler.ts`). */
  readonly entry: string;
  /** What the function does (shown in the Lambda console). */
  readonly description: string;
  /** Powertools service name (`POWERTOOLS_SERVICE_NAME`); also the `service` dimension of the function's metrics. */
  readonly serviceName: string;
  /** Maximum run time of one invocation (1 second to 15 minutes). */
  readonly timeout: Duration;
  /**
   * Memory in MB (CPU scales with it).
   * @default 512
   */
  readonly memorySize?: number;
  /**
   * Level of the handler's structured logs (`POWERTOOLS_LOG_LEVEL`, and Lambda's application log level filter).
   * @default 'INFO'
   */
  readonly logLevel?: LogLevel;
  /**
   * How long the function's log group keeps logs.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * What happens to the log group when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly logRemovalPolicy?: RemovalPolicy;
  /**
   * Concurrent executions reserved for (and the most allowed to) this function, out of the account's quota.
   * @default - none reserved: the function shares the account's unreserved pool
   */
  readonly reservedConcurrency?: number;
  /**
   * X-Ray active tracing: a trace per invocation with its initialisation and duration, sampled by X-Ray.
   * @default false
   */
  readonly tracing?: boolean;
  /** Extra environment variables (pipeline tuning); resource names and URLs are added by the resources' `connect*`. */
  readonly environment?: Record<string, string>;
  /**
   * Where an asynchronous invocation goes after its retries are exhausted (the splitter, invoked by S3).
   * @default - no dead-letter queue (for functions that are not invoked asynchronously)
   */
  readonly deadLetterQueue?: IQueue;
  /**
   * The function's code. Only tests set it, to skip bundling; deployed stacks always bundle `entry`.
   * @default - `entry` bundled locally with esbuild (minified ESM, AWS SDK v3 included and pinned by the lock file)
   */
  readonly code?: Code;
}

/**
 * One handler of `src/handlers/` as a Lambda function: bundled locally with esbuild (no Docker), arm64, Node.js 22,
 * JSON logs into its own log group with a retention, Powertools configuration in the environment, and a role that
 * may only write its own logs until resources are connected to it.
 */
export class PipelineFunction extends Construct {
  /** The function. */
  readonly function: NodejsFunction;
  /** The function's execution role (grants from the connected resources land here). */
  readonly role: Role;
  /** The function's log group. */
  readonly logGroup: LogGroup;
  /** The Powertools service name, which is the `service` dimension of the function's metrics. */
  readonly serviceName: string;

  constructor(scope: Construct, id: string, props: PipelineFunctionProps) {
    super(scope, id);
    const memorySize = props.memorySize ?? 512;
    const logLevel = props.logLevel ?? 'INFO';
    assertNonBlank(id, 'entry', props.entry);
    assertNonBlank(id, 'serviceName', props.serviceName);
    assertDurationInRange(id, 'timeout', props.timeout, Duration.seconds(1), Duration.minutes(15));
    assertIntegerInRange(id, 'memorySize', memorySize, 128, 10_240);
    assertLogLevel(id, 'logLevel', logLevel);

    this.serviceName = props.serviceName;
    this.logGroup = new LogGroup(this, 'LogGroup', {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.RETAIN,
    });
    // An explicit role instead of AWSLambdaBasicExecutionRole: that managed policy allows writing to every log
    // group of the account, this one only to the function's own.
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${props.serviceName}`,
    });
    this.logGroup.grantWrite(this.role);

    this.function = new NodejsFunction(this, 'Function', {
      entry: join(PROJECT_ROOT, props.entry),
      // Bundles export `handler` from index.mjs; injected test code names its file too.
      handler: props.code === undefined ? 'handler' : 'index.handler',
      description: props.description,
      runtime: HANDLER_RUNTIME,
      architecture: Architecture.ARM_64,
      memorySize,
      timeout: props.timeout,
      reservedConcurrentExecutions: props.reservedConcurrency,
      tracing: props.tracing === true ? Tracing.ACTIVE : undefined,
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: LoggingFormat.JSON,
      // Never above INFO: Powertools writes its metrics (EMF) to stdout without a `level`, which Lambda takes for INFO,
      // so at WARN or ERROR every custom metric would be dropped and the alarms on them never fire. Powertools filters
      // the functions' own logs at `logLevel` (POWERTOOLS_LOG_LEVEL) before Lambda sees them.
      applicationLogLevelV2: ApplicationLogLevel[logLevel === 'WARN' || logLevel === 'ERROR' ? 'INFO' : logLevel],
      systemLogLevelV2: SystemLogLevel.WARN,
      deadLetterQueue: props.deadLetterQueue,
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: join(PROJECT_ROOT, 'package-lock.json'),
      code: props.code,
      environment: {
        POWERTOOLS_SERVICE_NAME: props.serviceName,
        POWERTOOLS_LOG_LEVEL: logLevel,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE_DEFAULT,
        ...props.environment,
      },
      bundling: {
        forceDockerBundling: false,
        format: OutputFormat.ESM,
        target: BUNDLE_TARGET,
        mainFields: ['module', 'main'],
        banner: ESM_REQUIRE_BANNER,
        minify: true,
        // Error classes and injectables keep their names in logs and stack traces; costs a few KB.
        keepNames: true,
        sourceMap: false,
        // Pinned by package-lock.json rather than whatever SDK version the runtime ships.
        bundleAwsSDK: true,
        tsconfig: join(PROJECT_ROOT, 'tsconfig.json'),
        // Node's built-ins by require() rather than as ES modules: on Node.js 22, the ESM facade of node:http loads
        // undici at every cold start (~15-30 ms of CPU; docs/performance.md, "Cold start").
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          afterBundling: (_inputDir, outputDir) => [`node "${join(PROJECT_ROOT, 'scripts/require-builtins.mjs')}" "${join(outputDir, 'index.mjs')}"`],
        },
      },
    });
    if (props.tracing === true) {
      acknowledgeNagRule(
        this.role,
        'AwsSolutions-IAM5[Resource::*]',
        'X-Ray active tracing needs xray:PutTraceSegments and xray:PutTelemetryRecords, which support no resource-level ' +
          'permissions: CDK grants them on "*" and they allow nothing else.',
      );
    }
    acknowledgeNagRule(
      this.function,
      'AwsSolutions-L1',
      'Node.js 22 is the runtime the handlers are built and tested for (bundle target node22); it is a supported ' +
        'Lambda LTS runtime. Moving to Node.js 24 is a deliberate upgrade, not a side effect of a CDK release.',
    );
  }
}
