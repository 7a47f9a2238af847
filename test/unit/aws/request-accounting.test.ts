import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { expect } from 'chai';
import sinon from 'sinon';
import { DynamoDbLogRepository } from '../../../src/adapters/aws/dynamodb-log-repository.js';
import { estimateCostUsd, US_EAST_1_PRICES_USD } from '../../../src/adapters/aws/pricing.js';
import { dynamodbWriteUnits, itemSizeBytes, sqsBilledRequests } from '../../../src/adapters/aws/request-accounting.js';
import { TransientFailureError } from '../../../src/domain/errors.js';
import { entryFactory } from '../../helpers/factories.js';

describe('request accounting', () => {
  describe('sqsBilledRequests', () => {
    it('bills one request per started 64 KiB of a batch’s payload, and at least one', () => {
      const entries = (bytes: number, count: number) => ({ Entries: Array.from({ length: count }, () => ({ MessageBody: 'x'.repeat(bytes) })) });

      expect(sqsBilledRequests('SendMessageBatch', entries(100, 10), undefined)).to.equal(1);
      expect(sqsBilledRequests('SendMessageBatch', entries(100 * 1024, 10), undefined)).to.equal(16);
      expect(sqsBilledRequests('ReceiveMessage', {}, { Messages: [{ Body: 'x'.repeat(65 * 1024) }] })).to.equal(2);
      expect(sqsBilledRequests('DeleteMessage', {}, {})).to.equal(1);
    });
  });

  describe('dynamodbWriteUnits', () => {
    it('charges one unit per started KB per item and subtracts unprocessed items', () => {
      const small = { pk: { S: 'a' }, sk: { S: 'b' } };
      const big = { pk: { S: 'a' }, body: { S: 'x'.repeat(1500) } };
      const input = { RequestItems: { table: [{ PutRequest: { Item: small } }, { PutRequest: { Item: big } }] } };

      expect(dynamodbWriteUnits('BatchWriteItem', input, {})).to.equal(3);
      expect(dynamodbWriteUnits('BatchWriteItem', input, { UnprocessedItems: { table: [{ PutRequest: { Item: { pk: 'a', body: 'x'.repeat(1500) } } }] } })).to.equal(1);
    });

    it('charges transactional writes twice', () => {
      const input = { TransactItems: [{ Put: { Item: { pk: { S: 'a' } } } }, { Update: { Key: { pk: { S: 'b' } } } }] };

      expect(dynamodbWriteUnits('TransactWriteItems', input, {})).to.equal(4);
    });
  });

  describe('itemSizeBytes', () => {
    it('adds attribute names and values by DynamoDB’s rules, marshalled or plain', () => {
      const marshalled = { id: { S: 'abc' }, n: { N: '12345' }, ok: { BOOL: true }, list: { L: [{ S: 'x' }] } };
      const plain = { id: 'abc', n: 12345, ok: true, list: ['x'] };

      expect(itemSizeBytes(marshalled)).to.equal(2 + 3 + (1 + 4) + (2 + 1) + (4 + 3 + 1 + 1));
      expect(itemSizeBytes(plain)).to.equal(itemSizeBytes(marshalled));
    });

    it('sizes plain attributes named like type tags as the plain values they are, without throwing', () => {
      const typeTagged = ['S', 'N', 'B', 'SS', 'NS', 'BS', 'M', 'L', 'NULL', 'BOOL'].map((tag) => ({
        attributes: { [tag]: 'abc' },
        numbers: { [tag]: 5 },
        lists: { [tag]: [1, { S: 2 }] },
        maps: { [tag]: { L: 'x' } },
      }));

      for (const item of typeTagged) {
        const size = itemSizeBytes(item);
        expect(Number.isFinite(size), JSON.stringify(item)).to.equal(true);
        expect(size).to.be.greaterThan(10);
      }
      expect(itemSizeBytes({ a: { L: 'abc' } })).to.equal(1 + 3 + 1 + 1 + 3);
    });
  });

  describe('estimateCostUsd', () => {
    it('prices S3 reads, billed SQS requests and DynamoDB units from one price table', () => {
      const cost = estimateCostUsd({ 's3.GetObject': 1000, 's3.PutObject': 10, sqsBilledRequests: 5000, dynamodbWriteUnits: 1_000_000, dynamodbReadUnits: 0 });

      const expected =
        1000 * US_EAST_1_PRICES_USD.s3ReadRequest +
        10 * US_EAST_1_PRICES_USD.s3WriteRequest +
        5000 * US_EAST_1_PRICES_USD.sqsRequest +
        1_000_000 * US_EAST_1_PRICES_USD.dynamodbWriteRequestUnit;
      expect(cost).to.be.closeTo(expected, 1e-12);
      expect(cost).to.be.closeTo(0.627, 0.001);
    });
  });
});

describe('DynamoDbLogRepository', () => {
  describe('putEntries', () => {
    it('retries UnprocessedItems with backoff until every entry is written', async () => {
      const send = sinon.stub();
      send.onCall(0).callsFake(async (command: BatchWriteCommand) => ({ UnprocessedItems: { logs: command.input.RequestItems?.logs?.slice(0, 2) } }));
      send.onCall(1).resolves({ UnprocessedItems: {} });
      const sleep = sinon.stub().resolves();
      const repository = new DynamoDbLogRepository({ send } as unknown as DynamoDBDocumentClient, { tableName: 'logs' }, { sleep });

      await repository.putEntries([1, 2, 3].map((lineNumber) => entryFactory({ batchId: 'b', lineNumber })));

      expect(send.callCount).to.equal(2);
      expect((send.secondCall.args[0] as BatchWriteCommand).input.RequestItems?.logs).to.have.length(2);
      expect(sleep.callCount).to.equal(1);
    });

    it('writes 25 items per call, several calls in flight', async () => {
      let inFlight = 0;
      let mostInFlight = 0;
      const sizes: number[] = [];
      const send = sinon.stub().callsFake(async (command: BatchWriteCommand) => {
        inFlight += 1;
        mostInFlight = Math.max(mostInFlight, inFlight);
        sizes.push(command.input.RequestItems?.logs?.length ?? 0);
        await new Promise((resolve) => setTimeout(resolve, 5));
        inFlight -= 1;
        return {};
      });
      const repository = new DynamoDbLogRepository({ send } as unknown as DynamoDBDocumentClient, { tableName: 'logs' });

      await repository.putEntries(Array.from({ length: 210 }, (_, index) => entryFactory({ batchId: 'b', lineNumber: index + 1 })));

      expect(sizes.sort((a, b) => b - a)).to.deep.equal([25, 25, 25, 25, 25, 25, 25, 25, 10]);
      expect(mostInFlight).to.equal(4);
    });

    it('throws a TransientFailureError when items stay unprocessed', async () => {
      const send = sinon.stub().callsFake(async (command: BatchWriteCommand) => ({ UnprocessedItems: command.input.RequestItems }));
      const repository = new DynamoDbLogRepository({ send } as unknown as DynamoDBDocumentClient, { tableName: 'logs' }, { maxAttempts: 3, sleep: sinon.stub().resolves() });

      const error = await repository.putEntries([entryFactory({ batchId: 'b', lineNumber: 1 })]).catch((caught: unknown) => caught);

      expect(error).to.be.instanceOf(TransientFailureError);
      expect(send.callCount).to.equal(3);
    });
  });
});
