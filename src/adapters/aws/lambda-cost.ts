import { BATCH_WRITES_IN_FLIGHT } from './dynamodb-write-limits.js';
import { LAMBDA_PRICES_AS_OF, US_EAST_1_PRICES_USD } from './pricing.js';

/** Memory of the deployed splitter and worker (the stack's defaults; CPU scales with it). */
export const DEFAULT_SPLITTER_MEMORY_MB = 1024;
export const DEFAULT_WORKER_MEMORY_MB = 1024;

/** Lambda gives a function the equivalent of one vCPU at 1,769 MB, and a proportional share below that. */
export const MEMORY_MB_PER_VCPU = 1769;

/**
 * CPU time of the functions' own work per line, measured with `node --import tsx bench/lambda-compute.ts` on
 * 2026-12-03 (node v20.20.2, x86-64, shared 2-core machine at load 14-17): the median of three runs (20,000 lines × 3
 * passes, 30,000 × 5, 20,000 × 3), which spread by up to 2× at that load. Worker: `ProcessChunk` with entries written
 * by `DynamoDbLogRepository` through the SDK (items built, marshalled, serialized and signed; no network). Splitter:
 * `SplitLogObject` on in-memory S3 and SQS. Lambda's arm64 cores are taken to run it at the same speed.
 */
export const MEASURED_CPU = {
  measuredOn: '2026-12-03',
  command: 'node --import tsx bench/lambda-compute.ts --lines 20000 --repeats 3 (median of three runs)',
  workerMicrosPerLine: { json: 78.4, combined: 70.8, alb: 131.3 } as Readonly<Record<string, number>>,
  splitterMicrosPerLine: { json: 1.9, combined: 1.6, alb: 4.8 } as Readonly<Record<string, number>>,
} as const;

/** Assumed round trip of one AWS request from a function in the same region (not measurable here: no account). */
export const AWS_REQUEST_LATENCY_MS = 10;


/**
 * SDK calls the functions wait for, and so pay for in duration. Not the event source's receives and deletes
 * (Lambda's poller makes those, billed as SQS requests only), nor reads made after the run to report it.
 */
const SPLITTER_CALLS = ['s3.GetObject', 's3.HeadObject', 'sqs.SendMessageBatch'];
const WORKER_CALLS = ['dynamodb.TransactWriteItems', 'dynamodb.UpdateItem', 'dynamodb.PutItem', 'dynamodb.GetItem', 'sqs.SendMessage'];

/** What a run did, as the Lambda part of the cost needs it. */
export interface LambdaRunActivity {
  /** Lines per format of the run's files (a batch's `format` and `totalLines`). */
  readonly linesByFormat: Readonly<Record<string, number>>;
  readonly splitterInvocations: number;
  readonly workerInvocations: number;
  /** Counted SDK calls per `<service>.<Operation>`, as `installRequestAccounting` records them. */
  readonly requests: Readonly<Record<string, number>>;
}

/** Every number behind the Lambda estimate, printed with `--json` as `costAssumptions`. */
export interface LambdaCostAssumptions {
  readonly region: 'us-east-1';
  readonly architecture: 'arm64';
  readonly pricesAsOf: string;
  readonly pricePerGbSecondUsd: number;
  readonly pricePerMillionRequestsUsd: number;
  readonly memoryMb: { readonly splitter: number; readonly worker: number };
  /** Share of one vCPU each function gets at its memory (duration = CPU time / share). */
  readonly vcpuShare: { readonly splitter: number; readonly worker: number };
  readonly workerCpuMicrosPerLine: Readonly<Record<string, number>>;
  readonly splitterCpuMicrosPerLine: Readonly<Record<string, number>>;
  /** Formats of the run without a measured figure, priced at the slowest measured format. */
  readonly unmeasuredFormatsPricedAs?: { readonly formats: readonly string[]; readonly as: string };
  readonly cpuMeasured: { readonly on: string; readonly command: string };
  readonly requestLatencyMs: number;
  readonly invocations: { readonly splitter: number; readonly worker: number };
  readonly notIncluded: readonly string[];
}

export interface LambdaComputeEstimate {
  readonly invocations: number;
  readonly gbSeconds: number;
  readonly assumptions: LambdaCostAssumptions;
}

/**
 * Lambda requests and GB-seconds of a run: each function's duration is its CPU time (lines × the measured CPU per
 * line of their format) divided by the vCPU share its memory buys, plus the AWS calls it waits for at
 * {@link AWS_REQUEST_LATENCY_MS} each (`BatchWriteItem` calls four at a time); GB-seconds are duration × memory.
 */
export function estimateLambdaCompute(
  run: LambdaRunActivity,
  memoryMb: { readonly splitter: number; readonly worker: number } = { splitter: DEFAULT_SPLITTER_MEMORY_MB, worker: DEFAULT_WORKER_MEMORY_MB },
): LambdaComputeEstimate {
  const measured = MEASURED_CPU.workerMicrosPerLine;
  const [slowestFormat] = Object.entries(measured).sort((a, b) => b[1] - a[1])[0];
  const unmeasured = Object.keys(run.linesByFormat).filter((format) => measured[format] === undefined);
  const share = { splitter: Math.min(1, memoryMb.splitter / MEMORY_MB_PER_VCPU), worker: Math.min(1, memoryMb.worker / MEMORY_MB_PER_VCPU) };

  let workerCpuSeconds = 0;
  let splitterCpuSeconds = 0;
  for (const [format, count] of Object.entries(run.linesByFormat)) {
    const priced = measured[format] === undefined ? slowestFormat : format;
    workerCpuSeconds += (count * measured[priced]) / 1e6;
    splitterCpuSeconds += (count * MEASURED_CPU.splitterMicrosPerLine[priced]) / 1e6;
  }
  const calls = (names: readonly string[]) => names.reduce((sum, name) => sum + (run.requests[name] ?? 0), 0);
  const waitSeconds = (roundTrips: number) => (roundTrips * AWS_REQUEST_LATENCY_MS) / 1000;
  const splitterSeconds = splitterCpuSeconds / share.splitter + waitSeconds(calls(SPLITTER_CALLS));
  const workerRoundTrips = calls(WORKER_CALLS) + Math.ceil((run.requests['dynamodb.BatchWriteItem'] ?? 0) / BATCH_WRITES_IN_FLIGHT);
  const workerSeconds = workerCpuSeconds / share.worker + waitSeconds(workerRoundTrips);

  return {
    invocations: run.splitterInvocations + run.workerInvocations,
    gbSeconds: (splitterSeconds * memoryMb.splitter) / 1024 + (workerSeconds * memoryMb.worker) / 1024,
    assumptions: {
      region: 'us-east-1',
      architecture: 'arm64',
      pricesAsOf: LAMBDA_PRICES_AS_OF,
      pricePerGbSecondUsd: US_EAST_1_PRICES_USD.lambdaArmGbSecond,
      pricePerMillionRequestsUsd: US_EAST_1_PRICES_USD.lambdaRequest * 1e6,
      memoryMb,
      vcpuShare: { splitter: Number(share.splitter.toFixed(3)), worker: Number(share.worker.toFixed(3)) },
      workerCpuMicrosPerLine: measured,
      splitterCpuMicrosPerLine: MEASURED_CPU.splitterMicrosPerLine,
      ...(unmeasured.length === 0 ? {} : { unmeasuredFormatsPricedAs: { formats: unmeasured, as: slowestFormat } }),
      cpuMeasured: { on: MEASURED_CPU.measuredOn, command: MEASURED_CPU.command },
      requestLatencyMs: AWS_REQUEST_LATENCY_MS,
      invocations: { splitter: run.splitterInvocations, worker: run.workerInvocations },
      notIncluded: [
        'initialization (cold start) duration, which Lambda bills too: ~0.2 s of CPU per new execution environment (docs/performance.md)',
        'S3 download time beyond the calls themselves',
        'free tier, storage, data transfer, CloudWatch',
      ],
    },
  };
}
