import { expect } from 'chai';
import { parseJsonLine } from '../../../src/domain/parsing/json.parser.js';

const context = { observedAt: new Date('2024-01-01T00:00:00Z') };

/** `{"a":[[...[]...]]}`-shaped text: `depth` lists inside one another under `a`. */
function nestedArrays(depth: number, innermost = ''): string {
  return `${'['.repeat(depth)}${innermost}${']'.repeat(depth)}`;
}

/** Follows `[0]` down `levels` times. */
function descend(value: unknown, levels: number): unknown {
  let current = value;
  for (let level = 0; level < levels; level++) current = (current as unknown[])[0];
  return current;
}


describe('parseJsonLine', () => {
  it('takes timestamp, level and message from their common names and keeps the rest as attributes', () => {
    const result = parseJsonLine('{"ts":1704067200.5,"level":"warn","msg":"disk low","disk":{"free":3},"tags":["a"]}', context);

    expect(result).to.deep.equal({
      ok: true,
      record: {
        timestamp: '2024-01-01T00:00:00.500Z',
        severityText: 'WARN',
        severityNumber: 13,
        body: 'disk low',
        attributes: { disk: { free: 3 }, tags: ['a'] },
      },
    });
  });

  it('reads pino numeric levels and @timestamp strings', () => {
    const result = parseJsonLine('{"@timestamp":"2024-05-01T10:00:00+02:00","level":50,"message":"boom"}', context);

    expect(result.ok && result.record).to.include({ timestamp: '2024-05-01T08:00:00.000Z', severityText: 'ERROR', severityNumber: 17 });
  });

  it('keeps a field that does not parse as a time or level as an attribute', () => {
    const result = parseJsonLine('{"time":"yesterday","level":"loud","msg":"x"}', context);

    expect(result.ok && result.record.attributes).to.deep.equal({ time: 'yesterday', level: 'loud' });
    expect(result.ok && result.record.timestamp).to.equal(undefined);
  });

  it('stores a non-object JSON value in log.json.value with the line as body', () => {
    const result = parseJsonLine('[1,"two"]', context);

    expect(result.ok && result.record).to.deep.equal({ body: '[1,"two"]', attributes: { 'log.json.value': [1, 'two'] } });
  });

  it('keeps a __proto__ key as a plain attribute', () => {
    const result = parseJsonLine('{"__proto__":{"polluted":true},"msg":"x"}', context);

    expect(result.ok && Object.keys(result.record.attributes)).to.deep.equal(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
  });

  it('returns the JSON error as the reason for invalid JSON', () => {
    const result = parseJsonLine('{"a":', context);

    expect(!result.ok && result.error).to.match(/^invalid JSON: /);
  });

  describe('numbers', () => {
    it('keeps integers beyond 2^53, overflowing, underflowing and negative-zero literals as their source text', () => {
      const result = parseJsonLine('{"id":12345678901234567890,"f":1e400,"neg":-0,"small":1e-400,"msg":"n"}', context);

      expect(result.ok && result.record.attributes).to.deep.equal({ id: '12345678901234567890', f: '1e400', neg: '-0', small: '1e-400' });
    });

    it('keeps numbers a double holds exactly as numbers, however they are written', () => {
      const line = '{"a":0.1,"b":1.50,"c":1e3,"d":9007199254740991,"e":-9007199254740991,"f":0.30000000000000004,"g":1234567890123456.5,"h":-0.5,"i":0.0,"j":0,"k":1e100,"l":5e-324,"m":1714557600.1234567,"n":1E+21}';

      const result = parseJsonLine(line, context);

      expect(result.ok && result.record.attributes).to.deep.equal({
        a: 0.1, b: 1.5, c: 1000, d: 9007199254740991, e: -9007199254740991, f: 0.30000000000000004, g: 1234567890123456.5,
        h: -0.5, i: 0, j: 0, k: 1e100, l: 5e-324, m: 1714557600.1234567, n: 1e21,
      });
    });

    it('keeps every integer written beyond 2^53 - 1 as a string, even one a double happens to hold', () => {
      const result = parseJsonLine('{"a":9007199254740992,"b":9007199254740993,"c":18014398509481984,"d":-9223372036854775808}', context);

      expect(result.ok && result.record.attributes).to.deep.equal({ a: '9007199254740992', b: '9007199254740993', c: '18014398509481984', d: '-9223372036854775808' });
    });

    it('keeps a fraction with more digits than its double as a string', () => {
      const result = parseJsonLine('{"a":0.1000000000000000055511,"b":1.00000000000000001,"c":-0.0,"d":1.2345678e-320,"e":123456789012345678e-5,"f":2.5e-320}', context);

      expect(result.ok && result.record.attributes).to.deep.equal({
        a: '0.1000000000000000055511', b: '1.00000000000000001', c: '-0.0', d: '1.2345678e-320', e: '123456789012345678e-5', f: 2.5e-320,
      });
    });

    it('rewrites numbers in nested maps and lists, and in a line that is not an object', () => {
      const nested = parseJsonLine('{"a":[12345678901234567890,{"b":-0}],"c":{"d":[1e400,2]}}', context);
      const scalar = parseJsonLine('12345678901234567890', context);
      const negativeZero = parseJsonLine(' -0 ', context);

      expect(nested.ok && nested.record.attributes).to.deep.equal({ a: ['12345678901234567890', { b: '-0' }], c: { d: ['1e400', 2] } });
      expect(scalar.ok && scalar.record.attributes).to.deep.equal({ 'log.json.value': '12345678901234567890' });
      expect(negativeZero.ok && negativeZero.record.attributes).to.deep.equal({ 'log.json.value': '-0' });
    });

    it('leaves numbers inside strings and keys as written', () => {
      const line = '{"msg":"id 12345678901234567890 is -0 or 1e400","s":"q\\"12345678901234567890","12345678901234567890":-0,"n":7}';

      const result = parseJsonLine(line, context);

      expect(result.ok && result.record.body).to.equal('id 12345678901234567890 is -0 or 1e400');
      expect(result.ok && result.record.attributes).to.deep.equal({ s: 'q"12345678901234567890', '12345678901234567890': '-0', n: 7 });
    });

    it('keeps a quoted id as the string it is, next to a bare one', () => {
      const result = parseJsonLine('{"id":"12345678901234567890","n":12345678901234567891,"note":"x 12345678901234567892"}', context);

      expect(result.ok && result.record.attributes).to.deep.equal({ id: '12345678901234567890', n: '12345678901234567891', note: 'x 12345678901234567892' });
    });

    it('reads an epoch time in nanoseconds beyond 2^53 as the timestamp', () => {
      const result = parseJsonLine('{"ts":1714557600123456789,"msg":"x","trace":12345678901234567890}', context);

      expect(result.ok && result.record).to.deep.equal({ timestamp: '2024-05-01T10:00:00.123Z', body: 'x', attributes: { trace: '12345678901234567890' } });
    });

    it('reports the parser error for the line as written when invalid JSON holds big numbers', () => {
      const line = '{"a":12345678901234567890,}';
      let expected = '';
      try {
        JSON.parse(line);
      } catch (error) {
        expected = (error as Error).message;
      }

      const result = parseJsonLine(line, context);

      expect(result).to.deep.equal({ ok: false, error: `invalid JSON: ${expected}` });
      expect(parseJsonLine('{12345678901234567890:1}', context).ok).to.equal(false);
      expect(parseJsonLine('{"a":[-0 1]}', context).ok).to.equal(false);
    });
  });

  describe('nesting depth', () => {
    it('keeps 16 levels of lists below attributes as they are', () => {
      const result = parseJsonLine(`{"msg":"ok","a":${nestedArrays(16)}}`, context);

      expect(result.ok && result.record.attributes['log.json.depth_limited']).to.equal(undefined);
      expect(result.ok && descend(result.record.attributes.a, 15)).to.deep.equal([]);
    });

    it('keeps a list at level 17 as its JSON text and marks the entry, when a line nests 10,000 levels', () => {
      const inner = nestedArrays(10_000 - 16, '1e400, "]" ,12345678901234567890');
      const line = `{"msg":"deep","a":${nestedArrays(16, inner)},"b":12345678901234567890}`;

      const result = parseJsonLine(line, context);

      expect(result.ok).to.equal(true);
      const attributes = result.ok ? result.record.attributes : {};
      expect(attributes['log.json.depth_limited']).to.equal(true);
      expect(attributes.b).to.equal('12345678901234567890');
      expect(descend(attributes.a, 15)).to.deep.equal([inner]);
      expect(() => JSON.stringify(attributes)).not.to.throw();
    });

    it('counts maps as levels too, and a top-level list as level 1', () => {
      let object = '{"leaf":1}';
      for (let level = 1; level < 17; level++) object = `{"k":${object}}`;

      const fromMaps = parseJsonLine(`{"a":${object}}`, context);
      const fromList = parseJsonLine(nestedArrays(17), context);

      let map: unknown = fromMaps.ok && fromMaps.record.attributes.a;
      for (let level = 1; level < 16; level++) map = (map as Record<string, unknown>).k;
      expect(map).to.deep.equal({ k: '{"leaf":1}' });
      expect(fromMaps.ok && fromMaps.record.attributes['log.json.depth_limited']).to.equal(true);
      expect(fromList.ok && descend(fromList.record.attributes['log.json.value'], 15)).to.deep.equal(['[]']);
      expect(fromList.ok && fromList.record.attributes['log.json.depth_limited']).to.equal(true);
    });
  });
});

describe('parseJsonLine (Docker json-file records)', () => {
  it('drops the newline Docker appends to the log, and keeps the stream as log.iostream', () => {
    const result = parseJsonLine('{"log":"GET /health 200\\n","stream":"stdout","time":"2024-05-01T10:00:00.123456789Z"}', context);

    expect(result.ok && result.record).to.deep.equal({
      timestamp: '2024-05-01T10:00:00.123Z',
      body: 'GET /health 200',
      attributes: { 'log.iostream': 'stdout' },
    });
  });

  it('drops one CRLF or LF only, and keeps a log without one as it is', () => {
    const crlf = parseJsonLine('{"log":"a\\r\\n","stream":"stderr"}', context);
    const twice = parseJsonLine('{"log":"a\\n\\n","stream":"stderr"}', context);
    const partial = parseJsonLine('{"log":"first 16K of a line","stream":"stderr"}', context);

    expect(crlf.ok && crlf.record.body).to.equal('a');
    expect(twice.ok && twice.record.body).to.equal('a\n');
    expect(partial.ok && partial.record.body).to.equal('first 16K of a line');
  });

  it('leaves a log body without a stream, and a stream next to another message key, as before', () => {
    const noStream = parseJsonLine('{"log":"a\\n"}', context);
    const message = parseJsonLine('{"msg":"a\\n","log":"b\\n","stream":"stdout"}', context);

    expect(noStream.ok && noStream.record).to.deep.include({ body: 'a\n', attributes: {} });
    expect(message.ok && message.record).to.deep.include({ body: 'a\n', attributes: { log: 'b\n', stream: 'stdout' } });
  });
});
