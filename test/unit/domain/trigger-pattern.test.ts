import { expect } from 'chai';
import fc from 'fast-check';
import { DEFAULT_REDACTION, Redactor } from '../../../src/domain/redaction/redactor.js';
import { triggerPattern } from '../../../src/domain/redaction/trigger-pattern.js';

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
/** What the pattern must find: the plain alternation, case-insensitive for lower-case triggers, exact for the others. */
const naive = (triggers: string[]) => {
  const anyCase = triggers.filter((trigger) => trigger === trigger.toLowerCase());
  const exact = triggers.filter((trigger) => trigger !== trigger.toLowerCase());
  const anyCasePattern = anyCase.length === 0 ? undefined : new RegExp(anyCase.map(escape).join('|'), 'i');
  const exactPattern = exact.length === 0 ? undefined : new RegExp(exact.map(escape).join('|'));
  return (text: string) => anyCasePattern?.test(text) === true || exactPattern?.test(text) === true;
};

// A small alphabet, so that random texts hold random triggers (and near misses) often.
// Non-ASCII letters whose case maps to ASCII ones (dotless ı, İ, long ſ, the Kelvin sign) match no ASCII trigger.
const character = fc.constantFrom(...'akeytonsKAEYTONS -.@\\%/"ıİſ\u212a'.split(''));
const text = fc.array(character, { maxLength: 60 }).map((characters) => characters.join(''));
const trigger = fc.array(fc.constantFrom(...'akeytonsKAEYTONS -.@'.split('')), { minLength: 1, maxLength: 6 }).map((characters) => characters.join(''));

describe('triggerPattern', () => {
  it('finds a trigger exactly where the plain alternation does: lower-case ones in any ASCII case, others as written', () => {
    fc.assert(
      fc.property(fc.array(trigger, { minLength: 1, maxLength: 6 }), fc.array(text, { minLength: 1, maxLength: 20 }), (triggers, texts) => {
        const fast = triggerPattern(triggers);
        const plain = naive(triggers);

        for (const each of texts) expect(fast.test(each), `${JSON.stringify(triggers)} in ${JSON.stringify(each)}`).to.equal(plain(each));
      }),
      { numRuns: 2000 },
    );
  });

  it('finds the redaction triggers in any case, and an exact one only as written', () => {
    const pattern = triggerPattern(['token', 'authorization', 'AKIA', 'eyJ']);

    expect(['x ToKeN=1', 'AUTHORIZATION: b', 'id AKIAX', 'jwt eyJhbG'].map((each) => pattern.test(each))).to.deep.equal([true, true, true, true]);
    expect(['tokn', 'authorisation', 'akiax', 'EYJHBG', 'heyj'].map((each) => pattern.test(each))).to.deep.equal([false, false, false, false, false]);
  });

  it('leaves out a trigger that contains another, and adds extra sources as they are', () => {
    expect(triggerPattern(['private key', 'key', 'PRIVATE KEY']).source).to.equal(triggerPattern(['key']).source);
    expect(triggerPattern(['AKIA', 'akia']).source).to.equal(triggerPattern(['akia']).source);
    expect(triggerPattern(['@'], ['%[0-9a-fA-F]{2}']).test('a%2Fb')).to.equal(true);
    expect(triggerPattern(['@'], ['%[0-9a-fA-F]{2}']).test('100%')).to.equal(false);
  });

  it('writes triggers that share their anchor as one alternative, the characters after it checked before the look-behind', () => {
    const pattern = triggerPattern(['ikey', 'ekey', 'i_key', 'e_key', 'token']);

    expect(pattern.source).to.equal('[kK](?:[eE][yY](?<=(?:[iIeE]|[iIeE]_)[kK][eE][yY])|[eE][nN](?<=[tT][oO][kK][eE][nN]))');
    expect(['API_KEY', 'privatekey', 'Token', 'key', 'o_key', 'ike'].map((text) => pattern.test(text))).to.deep.equal([true, true, true, false, false, false]);
  });

  it('anchors a trigger on a character the others already start with rather than bring in a new one (V8 skips ahead only with at most 16)', () => {
    expect(triggerPattern(['PRIVATE', 'passw']).source).to.equal('PRIVATE|[pP][aA][sS][sS][wW]');
    expect(triggerPattern(['gho_', 'ghu_', 'ghs_', 'ghr_', 'passw']).source).to.equal('_(?<=(?:[gG][hH][oO]|[gG][hH][uU]|[gG][hH][sS]|[gG][hH][rR])_)|[pP][aA][sS][sS][wW]');
  });

  it('keeps the default event gate within 16 first characters', () => {
    const gate = (Redactor.compile(DEFAULT_REDACTION) as unknown as { eventGate: RegExp }).eventGate;
    const firsts = new Set<string>();
    // Top-level alternatives: split on `|` outside parentheses and classes; each starts with a character or a class.
    let depth = 0;
    let inClass = false;
    let start = true;
    for (let index = 0; index < gate.source.length; index++) {
      const character = gate.source[index];
      if (start) {
        const atom = character === '\\' ? gate.source.slice(index, index + 2) : character === '[' ? gate.source.slice(index, gate.source.indexOf(']', index) + 1) : character;
        for (const each of atom.startsWith('[') ? atom.slice(1, -1) : atom.replace(/^\\/, '')) firsts.add(each);
        start = false;
      }
      if (character === '\\') index++;
      else if (inClass) inClass = character !== ']';
      else if (character === '[') inClass = true;
      else if (character === '(') depth++;
      else if (character === ')') depth--;
      else if (character === '|' && depth === 0) start = true;
    }

    expect(firsts.size, [...firsts].join(' ')).to.be.at.most(16);
  });
});
