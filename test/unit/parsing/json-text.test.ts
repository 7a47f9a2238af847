import { expect } from 'chai';
import fc from 'fast-check';
import { isExactJsonNumber, jsonErrorMessage, MAX_ATTRIBUTE_DEPTH, rewriteJsonText } from '../../../src/domain/parsing/json-text.js';

/** Whether a JSON value holds an integer beyond 2^53 - 1 (kept as a string even when a double holds it). */
function hasUnsafeInteger(value: unknown): boolean {
  if (typeof value === 'number') return Number.isInteger(value) && !Number.isSafeInteger(value);
  if (value === null || typeof value !== 'object') return false;
  return Object.values(value).some(hasUnsafeInteger);
}

/**
 * JSON values as `JSON.stringify` writes them, without unsafe integers: every number is a double's shortest form,
 * so nothing is lossy.
 */
const jsonValue = fc.jsonValue({ maxDepth: MAX_ATTRIBUTE_DEPTH - 1 }).filter((value) => !hasUnsafeInteger(value));

describe('rewriteJsonText', () => {
  it('leaves valid JSON that holds only exact numbers and fits the depth limit unchanged', () => {
    fc.assert(
      fc.property(jsonValue, (value) => {
        const text = JSON.stringify({ value });

        expect(rewriteJsonText(text, true)).to.deep.equal({ text, depthLimited: false });
      }),
      { numRuns: 300 },
    );
  });

  it('keeps JSON valid and every value equal when it turns lossy literals and deep lists into strings', () => {
    const lossy = fc.constantFrom('12345678901234567890', '-0', '1e400', '1e-400', '0.1000000000000000055511');
    fc.assert(
      fc.property(jsonValue, lossy, fc.integer({ min: 0, max: 40 }), (value, literal, depth) => {
        const deep = `${'['.repeat(depth)}${literal}${']'.repeat(depth)}`;
        const text = `{"value":${JSON.stringify(value)},"lossy":${deep}}`;

        const rewritten = rewriteJsonText(text, true);
        const parsed = JSON.parse(rewritten.text) as { value: unknown; lossy: unknown };

        expect(parsed.value).to.deep.equal(JSON.parse(JSON.stringify(value)));
        let lossyValue = parsed.lossy;
        for (let level = 1; level <= Math.min(depth, MAX_ATTRIBUTE_DEPTH); level++) lossyValue = (lossyValue as unknown[])[0];
        expect(lossyValue).to.equal(depth > MAX_ATTRIBUTE_DEPTH ? deep.slice(MAX_ATTRIBUTE_DEPTH, deep.length - MAX_ATTRIBUTE_DEPTH) : literal);
        expect(rewritten.depthLimited).to.equal(depth > MAX_ATTRIBUTE_DEPTH);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps invalid JSON invalid', () => {
    for (const text of ['{12345678901234567890:1}', '[-0 1]', '{"a":1e400,}', '[1e400', '{"a":"12345678901234567890}']) {
      expect(() => JSON.parse(rewriteJsonText(text, false).text), text).to.throw(SyntaxError);
    }
  });
});

describe('isExactJsonNumber', () => {
  it('draws the line for plain integers at 2^53 - 1 either side of zero, and rejects negative zero', () => {
    const verdicts = ['9007199254740991', '-9007199254740991', '9007199254740992', '-9007199254740992', '1000000000000000', '10000000000000000', '0', '-0'].map(
      (literal) => [literal, isExactJsonNumber(literal)],
    );

    expect(Object.fromEntries(verdicts)).to.deep.equal({
      '9007199254740991': true,
      '-9007199254740991': true,
      '9007199254740992': false,
      '-9007199254740992': false,
      '1000000000000000': true,
      '10000000000000000': false,
      '0': true,
      '-0': false,
    });
  });

  it('compares other literals with the shortest form of their double, and leaves text that is not a JSON number alone', () => {
    const verdicts = ['1.50', '1e3', '0.10000000000000001', '1714637402.1674302', '1.8e308', '1.2345678e-320', '2.5e-320', '01', '1.', '-', '1e'].map(
      (literal) => [literal, isExactJsonNumber(literal)],
    );

    expect(Object.fromEntries(verdicts)).to.deep.equal({
      '1.50': true,
      '1e3': true,
      '0.10000000000000001': false,
      '1714637402.1674302': true,
      '1.8e308': false,
      '1.2345678e-320': false,
      '2.5e-320': true,
      '01': true,
      '1.': true,
      '-': true,
      '1e': true,
    });
  });

  it('accepts the shortest form of every double, and safe integers', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (double) => {
        fc.pre(!Object.is(double, -0) && !(Number.isInteger(double) && !Number.isSafeInteger(double)));

        expect(isExactJsonNumber(JSON.stringify(double))).to.equal(true);
      }),
      { numRuns: 500 },
    );
  });
});

describe('jsonErrorMessage', () => {
  const messageFor = (text: string): string => {
    try {
      JSON.parse(text);
    } catch (error) {
      return jsonErrorMessage(error, text);
    }
    throw new Error(`${text} is valid JSON`);
  };

  it('gives the unexpected token and its position instead of the piece of the line V8 quotes around it', () => {
    const cases: [string, number | undefined][] = [
      ['x{"a":1}', 0], // the whole line quoted
      ['{"a":x}', 5],
      ['{"abcdefghijklmnopqrstuv":x}', 26], // cut before
      ['{"a":x, "bcdefghijklmnopqrstuvwxyz":1}', 5], // cut after
      ['{"abcdefghijklmnopqrstuv":x, "bcdefghijklmnopqrstuvwxyz":1}', 26], // cut on both sides
      ['{"password":"Zq9vLm2pXr7tWy4sKd8fQQ","a":x}', 41],
      ['[x,x]', undefined], // the whole line quoted, the token twice in it
    ];
    for (const [text, position] of cases) {
      const message = messageFor(text);
      const token = text[position ?? text.indexOf('x')];

      expect(message, text).to.equal(`Unexpected token '${token}' in JSON${position === undefined ? '' : ` at position ${position}`}`);
    }
  });

  it('leaves out the position when the quoted piece is in the line more than once', () => {
    // V8 quotes `111111111,x111111111`, which a string earlier in the line holds too.
    expect(messageFor('["1111111111,x1111111111",1111111111,x1111111111]')).to.equal("Unexpected token 'x' in JSON");
  });

  it('keeps the messages that quote nothing of the line as V8 writes them', () => {
    expect(messageFor('{"a":1,}')).to.equal(`Expected double-quoted property name in JSON at position 7`);
    expect(messageFor('{"a":')).to.equal('Unexpected end of JSON input');
    expect(messageFor('{"a":"b\tc"}'.replace('\\t', '\t'))).to.match(/ at position \d+$/);
  });

  it('never quotes three characters of the line in a row, for any text V8 rejects with a token', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 60, unit: fc.constantFrom('a', 'b', '"', ':', ',', '{', '}', '[', ']', '1', ' ', 'x') }), (text) => {
        let message: string;
        try {
          JSON.parse(text);
          return;
        } catch (error) {
          if (!(error as Error).message.startsWith('Unexpected token')) return;
          message = jsonErrorMessage(error, text);
        }
        const position = /at position (\d+)$/.exec(message);
        if (position !== null) expect(text.startsWith(/'(.+)'/.exec(message)![1], Number(position[1]))).to.equal(true);
        const rest = message.replace(/^Unexpected token '[\s\S]{1,2}' in JSON/, '');
        expect(rest).to.match(/^(?: at position \d+)?$/);
      }),
    );
  });
});
