import { expect } from 'chai';
import { matchesEventPattern, UnsupportedPatternError } from '../../infrastructure/rehearsal/event-pattern.js';
import { eventBridgeObjectCreatedFactory } from '../helpers/events.js';

describe('matchesEventPattern', () => {
  const event = eventBridgeObjectCreatedFactory({ bucket: 'team-logs', key: 'app/2026/web.log' });
  const base = { source: ['aws.s3'], 'detail-type': ['Object Created'] };

  for (const [what, pattern, expected] of [
    ['the bucket name among alternatives', { ...base, detail: { bucket: { name: ['other', 'team-logs'] } } }, true],
    ['another bucket', { ...base, detail: { bucket: { name: ['other'] } } }, false],
    ['a key prefix', { ...base, detail: { object: { key: [{ prefix: 'jobs/' }, { prefix: 'app/' }] } } }, true],
    ['a key prefix that does not start the key', { ...base, detail: { object: { key: [{ prefix: '2026/' }] } } }, false],
    ['a key suffix', { detail: { object: { key: [{ suffix: '.log' }] } } }, true],
    ['a wildcard over prefix and suffix', { detail: { object: { key: [{ wildcard: 'app/*.log' }] } } }, true],
    ['a wildcard whose star is escaped', { detail: { object: { key: [{ wildcard: 'app/\\*.log' }] } } }, false],
    ['another detail-type', { ...base, 'detail-type': ['Object Deleted'] }, false],
    ['the event account', { account: ['111122223333'] }, true],
    ['a field the event lacks', { detail: { object: { 'storage-class': ['STANDARD'] } } }, false],
    ['exists: false on a field the event lacks', { detail: { object: { 'storage-class': [{ exists: false }] } } }, true],
    ['anything-but the bucket', { detail: { bucket: { name: [{ 'anything-but': ['team-logs'] }] } } }, false],
  ] as const) {
    it(`${expected ? 'matches' : 'does not match'} ${what}`, () => {
      expect(matchesEventPattern(pattern, event)).to.equal(expected);
    });
  }

  it('matches any element of a list field (resources)', () => {
    expect(matchesEventPattern({ resources: ['arn:aws:s3:::team-logs'] }, event)).to.equal(true);
  });

  it('refuses an operator it does not evaluate instead of guessing', () => {
    expect(() => matchesEventPattern({ detail: { object: { size: [{ numeric: ['>', 0] }] } } }, event)).to.throw(UnsupportedPatternError, /numeric/);
  });
});
