import { expect } from 'chai';
import type { ParseResult } from '../../../src/domain/log-entry.js';
import { parseClfLine } from '../../../src/domain/parsing/clf.parser.js';
import { parseCombinedLine } from '../../../src/domain/parsing/combined.parser.js';
import { detectFormat } from '../../../src/domain/parsing/formats.js';

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

  it('takes the host of an absolute URL without the credentials before it', () => {
    const parsed = record(parseCombinedLine('203.0.113.9 - - [01/May/2024:10:00:00 +0000] "GET http://bob:pw@proxy.example.com:8080/x HTTP/1.1" 200 512 "-" "curl/8.5.0"', context));

    expect(parsed.attributes).to.include({ 'server.address': 'proxy.example.com', 'server.port': 8080, 'url.full': 'http://bob:pw@proxy.example.com:8080/x', 'url.path': '/x' });
  });

  it('keeps extra quoted fields after the user agent and unescapes quotes inside fields', () => {
    const parsed = record(parseCombinedLine('10.0.0.1 - - [05/Jan/2024:10:11:12 +0000] "GET /q HTTP/1.1" 200 5 "-" "UA \\"quoted\\"" "rt=0.003" x', context));

    expect(parsed.attributes['user_agent.original']).to.equal('UA "quoted"');
    expect(parsed.attributes['access_log.extra_fields']).to.deep.equal(['rt=0.003', 'x']);
  });

  describe('behind proxies', () => {
    const rest = '- - [05/Jan/2024:10:11:12 +0000] "GET / HTTP/1.1" 200 5 "-" "curl/8.0"';

    for (const [label, client] of [
      ['bare', '10.0.0.2, 10.0.0.1, 203.0.113.9'],
      ['quoted', '"10.0.0.2, 10.0.0.1, 203.0.113.9"'],
    ] as const) {
      it(`takes the first public address of a ${label} X-Forwarded-For chain as the client and keeps the chain`, () => {
        const parsed = record(parseCombinedLine(`${client} ${rest}`, context));

        expect(parsed.attributes).to.include({
          'client.address': '203.0.113.9',
          'http.request.header.x-forwarded-for': '10.0.0.2, 10.0.0.1, 203.0.113.9',
          'http.response.status_code': 200,
          'user_agent.original': 'curl/8.0',
        });
      });
    }

    it('takes the first address when no address of the chain is public', () => {
      const parsed = record(parseCombinedLine(`10.0.0.2, 192.168.1.1,172.16.0.9 ${rest}`, context));

      expect(parsed.attributes).to.include({ 'client.address': '10.0.0.2', 'http.request.header.x-forwarded-for': '10.0.0.2, 192.168.1.1,172.16.0.9' });
    });

    it('skips "unknown" and private IPv6 entries and strips a port from the chosen address', () => {
      const parsed = record(parseCombinedLine(`"unknown, fd00::5, [2001:db8::7]:5123, 198.51.100.4" ${rest}`, context));

      expect(parsed.attributes).to.include({ 'client.address': '2001:db8::7', 'client.port': 5123 });
    });

    it('reads a chain after a virtual host', () => {
      const parsed = record(parseCombinedLine(`shop.example:443 10.0.0.2, 198.51.100.2 ${rest}`, context));

      expect(parsed.attributes).to.include({ 'server.address': 'shop.example', 'server.port': 443, 'client.address': '198.51.100.2' });
    });

    it('keeps nginx main\'s trailing "$http_x_forwarded_for" as the header and the peer as the client', () => {
      const parsed = record(parseCombinedLine('10.0.0.9 - - [05/Jan/2024:10:11:12 +0000] "GET / HTTP/1.1" 200 5 "-" "curl/8.0" "203.0.113.9, 10.0.0.1"', context));

      expect(parsed.attributes).to.include({ 'client.address': '10.0.0.9', 'http.request.header.x-forwarded-for': '203.0.113.9, 10.0.0.1' });
      expect(parsed.attributes).to.not.have.key('access_log.extra_fields');
    });

    it('reads an unquoted "-" as an absent referer or user agent', () => {
      const both = parseCombinedLine('10.0.0.1 - - [05/Jan/2024:10:11:12 +0000] "GET / HTTP/1.1" 200 5 - -', context);
      const one = record(parseCombinedLine('10.0.0.1 - - [05/Jan/2024:10:11:12 +0000] "GET / HTTP/1.1" 200 5 - "curl/8.0"', context));

      expect(both.ok && both.format).to.equal(undefined);
      expect(both.ok && both.record.attributes).to.not.have.any.keys('http.request.header.referer', 'user_agent.original');
      expect(one.attributes['user_agent.original']).to.equal('curl/8.0');
    });

    it('keeps the combined fields and puts ingress upstream fields after the user agent in access_log.extra_fields', () => {
      const line =
        '192.0.2.7 - - [05/Jan/2024:10:11:12 +0000] "GET /api HTTP/2.0" 502 150 "-" "Go-http-client/2.0" 412 0.005 [default-api-80] [] 10.244.1.5:8080, 10.244.2.6:8080 0, 150 0.004, 0.001 502, 502 8f1c2a';

      const parsed = record(parseCombinedLine(line, context));

      expect(parsed.attributes).to.include({ 'client.address': '192.0.2.7', 'http.response.status_code': 502, 'user_agent.original': 'Go-http-client/2.0' });
      expect(parsed.attributes['access_log.extra_fields']).to.deep.equal([
        '412', '0.005', 'default-api-80', '', '10.244.1.5:8080,', '10.244.2.6:8080', '0,', '150', '0.004,', '0.001', '502,', '502', '8f1c2a',
      ]);
    });

    it('detects files of proxied lines as combined', () => {
      const lines = [`10.0.0.2, 10.0.0.1, 203.0.113.9 ${rest}`, `"10.0.0.2, 203.0.113.9" ${rest}`, '10.0.0.3 - - [05/Jan/2024:10:11:12 +0000] "GET / HTTP/1.1" 200 5 - -'];

      expect(detectFormat(lines).format).to.equal('combined');
    });

    it('rejects a field between a chain and the time that is not part of it', () => {
      const result = parseCombinedLine(`10.0.0.2, 10.0.0.1 junk ${rest}`, context);

      expect(!result.ok && result.error).to.match(/unexpected field/);
    });
  });

  it('keeps a request line that is not METHOD TARGET PROTOCOL in url.original', () => {
    const parsed = record(parseCombinedLine('10.0.0.1 - - [05/Jan/2024:10:11:12 +0000] "\\x16\\x03\\x01" 400 0 "-" "-"', context));

    expect(parsed.attributes['url.original']).to.equal('\\x16\\x03\\x01');
    expect(parsed.attributes).to.not.have.any.keys('http.request.method', 'user_agent.original');
  });

  describe('a number after the size', () => {
    const head = '10.0.0.1 - - [01/May/2024:10:00:00 +0000] "GET /api/orders HTTP/1.1" 200 512';

    it('reads a number with a decimal point as nginx\'s $request_time in seconds', () => {
      const combined = record(parseCombinedLine(`${head} 0.202 "-" "curl/8.5.0"`, context));
      const clf = parseClfLine(`${head} 0.202`, context);

      expect(combined.attributes['http.server.request.duration']).to.equal(0.202);
      expect(combined.attributes).to.not.have.key('access_log.extra_fields');
      expect(clf.ok && clf.format).to.equal(undefined);
      expect(clf.ok && clf.record.attributes['http.server.request.duration']).to.equal(0.202);
    });

    it('keeps an integer (%D, ms or µs) in access_log.extra_fields, not as a duration, on a clf line', () => {
      const result = parseClfLine(`${head} 1234`, context);

      expect(result.ok && result.format).to.equal(undefined);
      const parsed = record(result);
      expect(parsed.attributes).to.not.have.key('http.server.request.duration');
      expect(parsed.attributes['access_log.extra_fields']).to.deep.equal(['1234']);
      expect(parsed.attributes['http.response.body.size']).to.equal(512);
    });

    it('keeps an integer before the referer first in access_log.extra_fields, in line order', () => {
      const alone = record(parseCombinedLine(`${head} 1234 "-" "curl/8.5.0"`, context));
      const withMore = record(parseCombinedLine(`${head} 1234 "-" "curl/8.5.0" x`, context));

      expect(alone.attributes).to.not.have.key('http.server.request.duration');
      expect(alone.attributes).to.include({ 'user_agent.original': 'curl/8.5.0' });
      expect(alone.attributes['access_log.extra_fields']).to.deep.equal(['1234']);
      expect(withMore.attributes['access_log.extra_fields']).to.deep.equal(['1234', 'x']);
    });

    it('still rejects other text after the size of a clf line', () => {
      const result = parseClfLine(`${head} 1234 trailing`, context);

      expect(!result.ok && result.error).to.match(/unexpected field "trailing"/);
    });
  });

  describe('request lines that are not METHOD TARGET PROTOCOL', () => {
    for (const request of ['- - - ', '- http://my-lb-123.us-east-1.elb.amazonaws.com:80- -', '_ / HTTP/1.1']) {
      it(`keeps ${JSON.stringify(request)} in url.original: a method has a letter`, () => {
        const parsed = record(parseCombinedLine(`10.0.0.1 - - [05/Jan/2024:10:11:12 +0000] "${request}" 400 0 "-" "-"`, context));

        expect(parsed.attributes['url.original']).to.equal(request);
        expect(parsed.attributes).to.not.have.any.keys('http.request.method', 'url.path', 'server.address');
      });
    }

    it('still reads method tokens with "-" (M-SEARCH)', () => {
      const parsed = record(parseCombinedLine('10.0.0.1 - - [05/Jan/2024:10:11:12 +0000] "M-SEARCH * HTTP/1.1" 200 0 "-" "-"', context));

      expect(parsed.attributes).to.include({ 'http.request.method': 'M-SEARCH', 'url.path': '*' });
    });
  });

  describe('a user name with spaces', () => {
    const rest = '[01/May/2024:10:00:00 +0000] "GET / HTTP/1.1" 200 5';

    it('reads client, ident and the rest up to the time as the user', () => {
      const result = parseClfLine(`203.0.113.9 - John Doe ${rest}`, context);

      expect(result.ok && result.format).to.equal(undefined);
      const parsed = record(result);
      expect(parsed.attributes).to.include({ 'client.address': '203.0.113.9', 'user.name': 'John Doe' });
      expect(parsed.attributes).to.not.have.any.keys('server.address', 'client.ident');
    });

    it('reads a user of three words after a forwarded-for chain, and after a virtual host', () => {
      const chain = record(parseCombinedLine(`10.0.0.2, 203.0.113.9 - John Q Doe ${rest} "-" "curl/8.0"`, context));
      const vhost = record(parseCombinedLine(`shop.example:443 198.51.100.2 - John Q Doe ${rest} "-" "curl/8.0"`, context));

      expect(chain.attributes).to.include({ 'client.address': '203.0.113.9', 'user.name': 'John Q Doe' });
      expect(vhost.attributes).to.include({ 'server.address': 'shop.example', 'client.address': '198.51.100.2', 'user.name': 'John Q Doe' });
    });

    for (const [prefix, client, user] of [
      ['vhost:80 1.2.3.4 - -', '1.2.3.4', undefined],
      ['vhost:80 1.2.3.4 - frank', '1.2.3.4', 'frank'],
      ['vhost:80 1.2.3.4 ident frank', '1.2.3.4', 'frank'],
      ['vhost:80 [2001:db8::1]:5000 - frank', '2001:db8::1', 'frank'],
      ['vhost:80 client.isp.example - -', 'client.isp.example', undefined],
    ] as const) {
      it(`still reads the virtual host in front of ${JSON.stringify(prefix.slice(9))}`, () => {
        const parsed = record(parseClfLine(`${prefix} ${rest}`, context));

        expect(parsed.attributes).to.include({ 'server.address': 'vhost', 'server.port': 80, 'client.address': client });
        expect(parsed.attributes['user.name']).to.equal(user);
      });
    }
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
