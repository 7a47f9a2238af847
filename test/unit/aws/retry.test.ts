import { expect } from 'chai';
import sinon from 'sinon';
import { backoffDelayMs, isTransientAwsError, retryPolicy, withTransientRetries } from '../../../src/adapters/aws/retry.js';

const throttled = () => Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } });

describe('retry', () => {
  describe('backoffDelayMs', () => {
    it('draws from [0, base × 2^n) and caps the ceiling at maxDelayMs', () => {
      const policy = { baseDelayMs: 100, maxDelayMs: 1000, random: () => 0.999 };

      const delays = [0, 1, 2, 3, 4, 10].map((retryIndex) => backoffDelayMs(retryIndex, policy));

      expect(delays).to.deep.equal([99, 199, 399, 799, 999, 999]);
    });

    it('can wait not at all (full jitter)', () => {
      expect(backoffDelayMs(5, { baseDelayMs: 100, maxDelayMs: 1000, random: () => 0 })).to.equal(0);
    });
  });

  describe('isTransientAwsError', () => {
    it('retries throttling, 5xx and broken connections', () => {
      expect(isTransientAwsError(throttled())).to.equal(true);
      expect(isTransientAwsError(Object.assign(new Error('x'), { name: 'InternalError', $metadata: { httpStatusCode: 500 } }))).to.equal(true);
      expect(isTransientAwsError(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }))).to.equal(true);
      expect(isTransientAwsError(Object.assign(new Error('Service Unavailable'), { $metadata: { httpStatusCode: 503 } }))).to.equal(true);
    });

    it('does not retry validation errors, failed conditions or missing resources', () => {
      expect(isTransientAwsError(Object.assign(new Error('bad'), { name: 'ValidationException', $metadata: { httpStatusCode: 400 } }))).to.equal(false);
      expect(isTransientAwsError(Object.assign(new Error('no'), { name: 'ConditionalCheckFailedException', $metadata: { httpStatusCode: 400 } }))).to.equal(false);
      expect(isTransientAwsError(Object.assign(new Error('gone'), { name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } }))).to.equal(false);
      expect(isTransientAwsError('a string')).to.equal(false);
    });
  });

  describe('withTransientRetries', () => {
    it('retries a throttled call with growing jittered waits until it succeeds', async () => {
      const sleep = sinon.stub().resolves();
      const operation = sinon.stub();
      operation.onCall(0).rejects(throttled());
      operation.onCall(1).rejects(throttled());
      operation.onCall(2).resolves('done');

      const result = await withTransientRetries(operation, retryPolicy({ baseDelayMs: 10, maxDelayMs: 1000, random: () => 0.5, sleep }));

      expect(result).to.equal('done');
      expect(operation.callCount).to.equal(3);
      expect(sleep.args.map(([ms]) => ms)).to.deep.equal([5, 10]);
    });

    it('gives up after maxAttempts and rethrows the last error', async () => {
      const sleep = sinon.stub().resolves();
      const operation = sinon.stub().rejects(throttled());

      const error = await withTransientRetries(operation, retryPolicy({ maxAttempts: 4, sleep })).catch((caught: unknown) => caught);

      expect((error as Error).name).to.equal('ThrottlingException');
      expect(operation.callCount).to.equal(4);
      expect(sleep.callCount).to.equal(3);
    });

    it('rethrows a non-transient error at once', async () => {
      const sleep = sinon.stub().resolves();
      const operation = sinon.stub().rejects(Object.assign(new Error('bad'), { name: 'ValidationException' }));

      const error = await withTransientRetries(operation, retryPolicy({ sleep })).catch((caught: unknown) => caught);

      expect((error as Error).name).to.equal('ValidationException');
      expect(operation.callCount).to.equal(1);
      expect(sleep.callCount).to.equal(0);
    });
  });
});
