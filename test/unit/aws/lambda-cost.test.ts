import { expect } from 'chai';
import {
  AWS_REQUEST_LATENCY_MS,
  DEFAULT_WORKER_MEMORY_MB,
  estimateLambdaCompute,
  MEASURED_CPU,
  MEMORY_MB_PER_VCPU,
} from '../../../src/adapters/aws/lambda-cost.js';
import { estimateCostUsd, US_EAST_1_PRICES_USD } from '../../../src/adapters/aws/pricing.js';

/** What a packed run of 1M JSON lines calls, as the emulator counted it (docs/performance.md). */
const PACKED_MILLION_JSON_LINES = {
  linesByFormat: { json: 1_000_000 },
  splitterInvocations: 1,
  workerInvocations: 93,
  requests: {
    's3.GetObject': 1,
    'sqs.SendMessageBatch': 231,
    'sqs.ReceiveMessage': 500,
    'sqs.DeleteMessageBatch': 93,
    'dynamodb.BatchWriteItem': 40_000,
    'dynamodb.TransactWriteItems': 924,
  },
};

describe('estimateLambdaCompute', () => {
  describe('gbSeconds', () => {
    it('is CPU time over the vCPU share of the memory, plus the calls each function waits for, times the memory', () => {
      const estimate = estimateLambdaCompute(PACKED_MILLION_JSON_LINES, { splitter: 1024, worker: 1024 });

      const share = 1024 / MEMORY_MB_PER_VCPU;
      const splitterSeconds = (1_000_000 * MEASURED_CPU.splitterMicrosPerLine.json) / 1e6 / share + ((1 + 231) * AWS_REQUEST_LATENCY_MS) / 1000;
      // BatchWriteItem four at a time; the event source's receives and deletes are not the functions' time.
      const workerSeconds =
        (1_000_000 * MEASURED_CPU.workerMicrosPerLine.json) / 1e6 / share + ((924 + 40_000 / 4) * AWS_REQUEST_LATENCY_MS) / 1000;
      expect(estimate.gbSeconds).to.be.closeTo(splitterSeconds + workerSeconds, 1e-9);
      expect(estimate.invocations).to.equal(94);
    });

    it('charges CPU-bound work the same GB-seconds at any memory below one vCPU, and more above it', () => {
      const cpuOnly = { ...PACKED_MILLION_JSON_LINES, requests: {} };

      const small = estimateLambdaCompute(cpuOnly, { splitter: 512, worker: 512 });
      const default_ = estimateLambdaCompute(cpuOnly, { splitter: 1024, worker: 1024 });
      const large = estimateLambdaCompute(cpuOnly, { splitter: 3538, worker: 3538 });

      expect(small.gbSeconds).to.be.closeTo(default_.gbSeconds, 1e-9);
      expect(large.gbSeconds).to.be.closeTo(default_.gbSeconds * 2, 1e-9);
    });

    it('prices a format without a measured figure at the slowest measured one, and says so', () => {
      const slowest = MEASURED_CPU.workerMicrosPerLine.alb + MEASURED_CPU.splitterMicrosPerLine.alb;
      const vpcflow = estimateLambdaCompute({ ...PACKED_MILLION_JSON_LINES, linesByFormat: { vpcflow: 1_000_000 }, requests: {} });
      const share = DEFAULT_WORKER_MEMORY_MB / MEMORY_MB_PER_VCPU;

      expect(vpcflow.gbSeconds).to.be.closeTo((slowest / share) * (DEFAULT_WORKER_MEMORY_MB / 1024), 1e-9);
      expect(vpcflow.assumptions.unmeasuredFormatsPricedAs).to.deep.equal({ formats: ['vpcflow'], as: 'alb' });
    });
  });

  describe('assumptions', () => {
    it('names the prices, memory, measured CPU and latency the estimate used', () => {
      const { assumptions } = estimateLambdaCompute(PACKED_MILLION_JSON_LINES);

      expect(assumptions).to.deep.include({
        architecture: 'arm64',
        pricePerGbSecondUsd: 0.0000133334,
        pricePerMillionRequestsUsd: 0.2,
        memoryMb: { splitter: 1024, worker: 1024 },
        requestLatencyMs: AWS_REQUEST_LATENCY_MS,
        invocations: { splitter: 1, worker: 93 },
      });
      expect(assumptions.workerCpuMicrosPerLine).to.have.keys('json', 'combined', 'alb');
    });
  });
});

describe('estimateCostUsd', () => {
  it('adds Lambda requests and arm64 GB-seconds to the request cost', () => {
    const requestsOnly = { sqsBilledRequests: 5000, dynamodbWriteUnits: 1_000_000 };

    const withLambda = estimateCostUsd({ ...requestsOnly, lambdaInvocations: 94, lambdaGbSeconds: 272.5 });

    expect(withLambda - estimateCostUsd(requestsOnly)).to.be.closeTo(94 * 0.2e-6 + 272.5 * 0.0000133334, 1e-12);
    expect(US_EAST_1_PRICES_USD.lambdaArmGbSecond).to.equal(0.0000133334);
  });
});
