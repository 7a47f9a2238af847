import { expect } from 'chai';
import { parseJsonLine } from '../../../src/domain/parsing/json.parser.js';

const context = { observedAt: new Date('2024-01-01T00:00:00Z') };

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
});
