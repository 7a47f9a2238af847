import { expect } from 'chai';
import {
  cutToBytes,
  DEAD_LETTERED_AT_ATTRIBUTE,
  deadLetterAttributes,
  messageBytes,
  missingReason,
  REASON_ATTRIBUTE,
} from '../../../src/adapters/dead-letter-message.js';
import { MAX_MESSAGE_BYTES } from '../../../src/domain/chunk.js';

const at = '2026-11-26T09:00:00.000Z';

describe('dead-letter message', () => {
  describe('messageBytes', () => {
    it('counts the body and each attribute name, data type and value in UTF-8, as SQS does', () => {
      expect(messageBytes('żółć', { reason: 'ab' })).to.equal(8 + 'reason'.length + 'String'.length + 2);
    });
  });

  describe('deadLetterAttributes', () => {
    it('fits body and attributes in 1 MiB for every body size near the limit, with a multi-byte reason', () => {
      const reason = `failed 5 time(s), last: ${'żółć 😀 '.repeat(500)}`;
      for (let room = 0; room <= 4096; room += 7) {
        const body = 'x'.repeat(MAX_MESSAGE_BYTES - room);

        const attributes = deadLetterAttributes(body, reason, at);

        expect(messageBytes(body, attributes), `room ${room}`).to.be.at.most(MAX_MESSAGE_BYTES);
        if (room >= 64) expect(attributes[REASON_ATTRIBUTE], `room ${room}`).to.match(/^failed 5 time\(s\)/);
      }
    });

    it('keeps reason and time whole when there is room', () => {
      expect(deadLetterAttributes('{"chunk":1}', 'boom', at)).to.deep.equal({ [REASON_ATTRIBUTE]: 'boom', [DEAD_LETTERED_AT_ATTRIBUTE]: at });
    });

    it('drops the time before it shortens the reason below a useful length', () => {
      const body = 'x'.repeat(MAX_MESSAGE_BYTES - 80);

      const attributes = deadLetterAttributes(body, 'r'.repeat(200), at);

      expect(attributes).to.not.have.property(DEAD_LETTERED_AT_ATTRIBUTE);
      expect(attributes[REASON_ATTRIBUTE]).to.match(/^r+…$/);
    });

    it('attaches nothing to a body that fills the message', () => {
      expect(deadLetterAttributes('x'.repeat(MAX_MESSAGE_BYTES), 'boom', at)).to.deep.equal({});
    });
  });

  describe('cutToBytes', () => {
    it('cuts at a character boundary and ends with …, within the byte budget', () => {
      const cut = cutToBytes('żółć', 7);

      expect(cut).to.equal('żó…');
      expect(Buffer.byteLength(cut)).to.be.at.most(7);
    });

    it('returns the text unchanged when it fits, and nothing when not one character fits', () => {
      expect(cutToBytes('abc', 3)).to.equal('abc');
      expect(cutToBytes('abcdef', 3)).to.equal('');
    });
  });

  describe('missingReason', () => {
    it('says the chunk filled the message when it left no room, and names the redrive otherwise', () => {
      expect(missingReason('x'.repeat(MAX_MESSAGE_BYTES), 5)).to.match(/fills the 1 MiB message/);
      expect(missingReason('{"chunk":1}', 5)).to.equal('moved by SQS after maxReceiveCount (5) receives');
    });
  });
});
