import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { expect } from 'chai';
import sinon from 'sinon';
import { DynamoDbLogRepository, MAX_ATTRIBUTE_NAME_BYTES } from '../../../src/adapters/aws/dynamodb-log-repository.js';
import { entryFactory } from '../../helpers/factories.js';
import { InvalidQueryError, QueryEntries } from '../../../src/application/query-entries.use-case.js';
import { RepositoryEntryQuery } from '../../../src/application/repository-entry-query.js';
import { UnknownCursorError } from '../../../src/domain/errors.js';

const batchId = 'b-unit';

function repositoryWith(send: sinon.SinonStub, maxAttempts = 3) {
  const sleep = sinon.stub().resolves();
  const repository = new DynamoDbLogRepository({ send } as unknown as DynamoDBDocumentClient, { tableName: 'logbatch' }, { maxAttempts, sleep, random: () => 0.5 });
  return { repository, sleep };
}

const serviceError = (name: string, message: string) => Object.assign(new Error(message), { name, $fault: 'client', $metadata: { httpStatusCode: 400 } });
const writtenItems = (call: sinon.SinonSpyCall) =>
  ((call.args[0] as BatchWriteCommand).input.RequestItems?.logbatch ?? []).map((request) => request.PutRequest?.Item ?? {});
const writtenLines = (call: sinon.SinonSpyCall) =>
  ((call.args[0] as BatchWriteCommand).input.RequestItems?.logbatch ?? []).map((request) => request.PutRequest?.Item?.lineNumber);

describe('DynamoDbLogRepository', () => {
  describe('putEntries', () => {
    it('does not split a request into single writes when it is throttled', async () => {
      const send = sinon.stub().rejects(serviceError('ThrottlingException', 'Rate of requests exceeds the allowed throughput.'));
      const { repository } = repositoryWith(send);
      const entries = Array.from({ length: 3 }, (_, index) => entryFactory({ batchId, lineNumber: index + 1 }));

      const failure = await repository.putEntries(entries).then(
        () => undefined,
        (error: unknown) => error,
      );

      expect((failure as Error).name).to.equal('ThrottlingException');
      expect(send.callCount).to.equal(3);
      expect(send.getCalls().map(writtenLines)).to.deep.equal([[1, 2, 3], [1, 2, 3], [1, 2, 3]]);
    });

    it('writes items one by one when DynamoDB refuses the request, storing the refused one unparsed with its reason', async () => {
      const send = sinon.stub().callsFake(async (command: BatchWriteCommand) => {
        const items = command.input.RequestItems?.logbatch ?? [];
        if (items.some((request) => request.PutRequest?.Item?.lineNumber === 2 && request.PutRequest.Item.parseError === undefined)) {
          throw serviceError('ValidationException', 'One or more parameter values were invalid: Number overflow');
        }
        return { UnprocessedItems: {} };
      });
      const { repository } = repositoryWith(send);
      const entries = Array.from({ length: 3 }, (_, index) => entryFactory({ batchId, lineNumber: index + 1 }));

      const result = await repository.putEntries(entries);
      const lastItem = (send.lastCall.args[0] as BatchWriteCommand).input.RequestItems?.logbatch?.[0].PutRequest?.Item;

      expect(result).to.deep.equal({ storedUnparsed: 1 });
      expect(send.getCalls().map(writtenLines)).to.deep.equal([[1, 2, 3], [1], [2], [2], [3]]);
      expect((send.getCall(3).args[0] as BatchWriteCommand).input.RequestItems?.logbatch?.[0].PutRequest?.Item).to.deep.include({
        lineNumber: 2,
        body: entries[1].body,
        attributes: {},
        parseError: 'DynamoDB rejected the entry: One or more parameter values were invalid: Number overflow',
      });
      expect(lastItem?.lineNumber).to.equal(3);
    });

    it('stores attribute names over the name limit, at any depth, as JSON text instead of as map keys', async () => {
      const send = sinon.stub().resolves({ UnprocessedItems: {} });
      const { repository } = repositoryWith(send);
      const longName = 'k'.repeat(MAX_ATTRIBUTE_NAME_BYTES + 1);
      // 'é' is 2 UTF-8 bytes: under the limit in characters, over it in bytes.
      const longInBytes = 'é'.repeat(MAX_ATTRIBUTE_NAME_BYTES / 2 + 1);
      const atLimit = 'k'.repeat(MAX_ATTRIBUTE_NAME_BYTES);
      const topLevel = entryFactory({ batchId, lineNumber: 1, attributes: { msg: 'k', [longName]: 1 } });
      const nested = entryFactory({ batchId, lineNumber: 2, attributes: { msg: 'n', deep: { list: [{ [longInBytes]: true }] } } });
      const fitting = entryFactory({ batchId, lineNumber: 3, attributes: { msg: 'f', [atLimit]: 1, nested: { ['é'.repeat(MAX_ATTRIBUTE_NAME_BYTES / 2)]: 2 } } });

      await repository.putEntries([topLevel, nested, fitting]);
      const [stored] = send.getCalls().map(writtenItems);

      expect(send.callCount).to.equal(1);
      expect(stored[0]).to.deep.include({ attributes: {}, attributesJson: JSON.stringify(topLevel.attributes) });
      expect(stored[1]).to.deep.include({ attributes: { msg: 'n', deep: JSON.stringify(nested.attributes.deep) }, jsonAttributes: ['deep'] });
      expect(stored[2]).to.deep.include({ attributes: fitting.attributes });
      expect(stored[2]).to.not.have.any.keys('attributesJson', 'jsonAttributes');
    });
  });

  describe('a tampered page cursor', () => {
    it('is refused as a cursor it did not print, which `query` reports as a usage error', async () => {
      const { repository } = repositoryWith(sinon.stub().resolves({}));
      // Valid base64url whose text is not JSON: the inner DynamoDB cursor of a `query` cursor, edited.
      const garbled = Buffer.from('{"partition":').toString('base64url');

      const listed = await repository.listEntries('b', { cursor: garbled }).catch((error: unknown) => error);
      const queried = await new QueryEntries(new RepositoryEntryQuery(repository))
        .find({ batch: 'b', limit: 10, cursor: Buffer.from(JSON.stringify({ b: 0, s: 0, p: garbled, k: 'batch:b' })).toString('base64url') })
        .catch((error: unknown) => error);

      expect(listed).to.be.instanceOf(UnknownCursorError);
      expect(queried).to.be.instanceOf(InvalidQueryError).and.have.property('message', '--cursor is not a cursor this command printed');
    });
  });
});
