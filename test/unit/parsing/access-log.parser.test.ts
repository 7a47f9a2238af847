import { expect } from 'chai';
import type { ParseResult } from '../../../src/domain/log-entry.js';
import { parseClfLine } from '../../../src/domain/parsing/clf.parser.js';
import { parseCombinedLine } from '../../../src/domain/parsing/combined.parser.js';

const context = { observedAt: new Date('2024-01-01T00:00:00Z') };

function record(result: ParseResult) {
  if (!result.ok) expect.fail(`expected ok, got: ${result.error}`);
  return result.record;
}

describe('parseCombinedLine', () => {
  it('maps a combined line to OpenTelemetry attributes', () => {
    const line = '203.0.113.9 - alice [05/Jan/2024:10:11:12 +0100] "POST /api/items?limit=5 HTTP/2.0" 503 77 "https://ref.example/" "curl/8.0"';

    const result = parseCombinedLine(line, context);

    expect(result.ok && result.format).to.equal(undefined);
    const parsed = record(result);
    expect(parsed.timestamp).to.equal('2024-01-05T09:11:12.000Z');
    expect(parsed.severityText).to.equal('ERROR');
    expect(parsed.severityNumber).to.equal(17);
    expect(parsed.body).to.equal(line);
    expect(parsed.attributes).to.deep.equal({
      'client.address': '203.0.113.9',
      'user.name': 'alice',
      'http.request.method': 'POST',
      'url.path': '/api/items',
      'url.query': 'limit=5',
      'network.protocol.name': 'http',
      'network.protocol.version': '2.0',
      'http.response.status_code': 503,
      'http.response.body.size': 77,
      'http.request.header.referer': 'https://ref.example/',
      'user_agent.original': 'curl/8.0',
    });
  });

  it('reads the virtual host in front (Apache vhost_combined)', () => {
    const parsed = record(parseCombinedLine('shop.example:443 198.51.100.2 - - [05/Jan/2024:10:11:12 +0000] "GET / HTTP/1.1" 404 0 "-" "bot"', context));

    expect(parsed.attributes).to.include({ 'server.address': 'shop.example', 'server.port': 443, 'client.address': '198.51.100.2' });
    expect(parsed.severityText).to.equal('WARN');
  });

  it('keeps extra quoted fields after the user agent and unescapes quotes inside fields', () => {
    const parsed = record(parseCombinedLine('10.0.0.1 - - [05/Jan/2024:10:11:12 +0000] "GET /q HTTP/1.1" 200 5 "-" "UA \\"quoted\\"" "10.1.1.1" "rt=0.003"', context));

    expect(parsed.attributes['user_agent.original']).to.equal('UA "quoted"');
    expect(parsed.attributes['access_log.extra_fields']).to.deep.equal(['10.1.1.1', 'rt=0.003']);
  });

  it('keeps a request line that is not METHOD TARGET PROTOCOL in url.original', () => {
    const parsed = record(parseCombinedLine('10.0.0.1 - - [05/Jan/2024:10:11:12 +0000] "\\x16\\x03\\x01" 400 0 "-" "-"', context));

    expect(parsed.attributes['url.original']).to.equal('\\x16\\x03\\x01');
    expect(parsed.attributes).to.not.have.any.keys('http.request.method', 'user_agent.original');
  });

  it('labels a line without referer and user agent clf', () => {
    const result = parseCombinedLine('10.0.0.1 - - [05/Jan/2024:10:11:12 +0000] "GET / HTTP/1.0" 200 -', context);

    expect(result.ok && result.format).to.equal('clf');
    expect(result.ok && result.record.attributes).to.not.have.key('http.response.body.size');
  });

  for (const [line, reason] of [
    ['10.0.0.1 - - [05/Jan/2024:10:11:12 +0000] "GET / HTTP/1.1" 200 5 "-" "unterminated', /unterminated quoted field/],
    ['10.0.0.1 - - [35/Jan/2024:10:11:12 +0000] "GET / HTTP/1.1" 200 5', /invalid time/],
    ['10.0.0.1 - - "GET / HTTP/1.1" 200 5', /no \[time\] field/],
    ['10.0.0.1 - - [05/Jan/2024:10:11:12 +0000] "GET / HTTP/1.1" OK 5', /invalid status "OK"/],
  ] as const) {
    it(`rejects ${JSON.stringify(line.slice(0, 50))} with a reason`, () => {
      const result = parseCombinedLine(line, context);

      expect(!result.ok && result.error).to.match(reason);
    });
  }
});

describe('parseClfLine', () => {
  it('parses a Common Log Format line', () => {
    const parsed = record(parseClfLine('127.0.0.1 user-identifier frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326', context));

    expect(parsed.timestamp).to.equal('2000-10-10T20:55:36.000Z');
    expect(parsed.attributes).to.include({ 'client.ident': 'user-identifier', 'user.name': 'frank', 'http.response.body.size': 2326 });
  });

  it('labels a combined line combined', () => {
    const result = parseClfLine('127.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 1 "-" "ua"', context);

    expect(result.ok && result.format).to.equal('combined');
  });

  it('rejects unexpected text after the size', () => {
    const result = parseClfLine('127.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 1 trailing', context);

    expect(!result.ok && result.error).to.match(/unexpected field "trailing"/);
  });
});
