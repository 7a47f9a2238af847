import { expect } from 'chai';
import { ConfigurationError } from '../../../src/domain/errors.js';
import type { LogEntry } from '../../../src/domain/log-entry.js';
import { buildEntries } from '../../../src/domain/entry-builder.js';
import { chunkMessageFactory as chunkOf } from '../../helpers/factories.js';
import { DETECTORS } from '../../../src/domain/redaction/detectors.js';
import { hidingEscapes, parseRedactList, Redactor } from '../../../src/domain/redaction/redactor.js';
import { triggerPattern } from '../../../src/domain/redaction/trigger-pattern.js';

const compile = (redact: string, extra: { replacement?: 'mask' | 'hmac'; key?: string } = {}) =>
  Redactor.compile({ redact, replacement: extra.replacement ?? 'mask', ...(extra.key === undefined ? {} : { key: extra.key }) });
const entryOf = (body: string, attributes: LogEntry['attributes'] = {}): LogEntry => ({ batchId: 'b', lineNumber: 1, observedTimestamp: '', body, attributes, format: 'json' });

describe('Redactor', () => {
  describe('parseRedactList', () => {
    it('expands defaults, adds opt-ins and switches detectors off by name', () => {
      const { builtIn } = parseRedactList('defaults,-jwt,email');

      expect(builtIn).to.include('email').and.include('aws-access-key').and.not.include('jwt');
    });

    it('starts from the defaults when the list only switches detectors off', () => {
      expect(parseRedactList('-jwt').builtIn).to.include('private-key').and.not.include('jwt');
    });

    it('keeps a custom rule whose regular expression holds commas', () => {
      const { custom, builtIn } = parseRedactList('defaults,order=ORD-\\d{3,5},email');

      expect(custom.map((rule) => [rule.name, rule.pattern.source])).to.deep.equal([['order', 'ORD-\\d{3,5}']]);
      expect(builtIn).to.include('email');
    });

    it('refuses unknown names and rules that match empty text', () => {
      expect(() => parseRedactList('defaults,passport')).to.throw(ConfigurationError, /unknown redaction detector "passport"/);
      expect(() => parseRedactList('empty=x*')).to.throw(ConfigurationError, /matches empty text/);
    });

    it('turns everything off with none', () => {
      expect(compile('none')).to.equal(undefined);
    });
  });

  describe('redactString', () => {
    it('leaves opt-in kinds alone under the defaults and redacts them when asked', () => {
      const text = 'mail bob@example.com from 192.0.2.10 card 4111 1111 1111 1111 ssn 123-45-6789 not 4111 1111 1111 1112';

      expect(compile('defaults')!.redactString(text)).to.equal(text);
      expect(compile('email,ip,credit-card,ssn')!.redactString(text)).to.equal(
        'mail [REDACTED:email] from [REDACTED:ipv4] card [REDACTED:credit-card] ssn [REDACTED:ssn] not 4111 1111 1111 1112',
      );
    });

    it('redacts IPv6 addresses only when they are addresses (times are not)', () => {
      expect(compile('ipv6')!.redactString('from 2001:db8::1 at 10:00:00')).to.equal('from [REDACTED:ipv6] at 10:00:00');
    });

    it('replaces with a keyed hash: equal values stay equal, different keys differ', () => {
      const one = compile('defaults', { replacement: 'hmac', key: 'k1' })!;
      const two = compile('defaults', { replacement: 'hmac', key: 'k2' })!;
      const text = 'key AKIAIOSFODNN7EXAMPLE';

      const first = one.redactString(text);

      expect(first).to.match(/^key \[REDACTED:aws-access-key:[0-9a-f]{16}\]$/);
      expect(one.redactString(text)).to.equal(first);
      expect(two.redactString(text)).to.not.equal(first);
      expect(() => compile('defaults', { replacement: 'hmac' })).to.throw(ConfigurationError, /LOGBATCH_REDACT_KEY/);
    });

    it('finds key ids, JWTs and bearer tokens right after a percent escape or a + in a URL', () => {
      const redactor = compile('defaults')!;

      expect(redactor.redactString('GET /x?q=%20AKIAIOSFODNN7EXAMPLE&r=1')).to.equal('GET /x?q=%20[REDACTED:aws-access-key]&r=1');
      expect(redactor.redactString('/cb?id_token=x&next=%2FeyJhbGciOiJI.eyJzdWIiOiIx.c2ln')).to.not.include('eyJzdWIiOiIx');
      expect(redactor.redactString('/api?auth=Bearer+abc123def456ghi&x=1')).to.equal('/api?auth=Bearer+[REDACTED:authorization]&x=1');
      expect(redactor.redactString('/api?auth=Bearer%20abc123def456ghi&x=1')).to.equal('/api?auth=Bearer%20[REDACTED:authorization]&x=1');
      // Still not inside a longer run of letters and digits.
      expect(redactor.redactString('id XAKIAIOSFODNN7EXAMPLE')).to.equal('id XAKIAIOSFODNN7EXAMPLE');
    });

    it('finds a bearer token after a percent-escape, one level or more, with an escaped space after it (%20, %2520)', () => {
      const redactor = compile('defaults')!;

      expect(redactor.redactString('/cb?msg=a%20Bearer%20Zq9vLm2pXr7tWy4sKd8f&x=1')).to.equal('/cb?msg=a%20Bearer%20[REDACTED:authorization]&x=1');
      expect(redactor.redactString('curl/8%2520Bearer%2520Zq9vLm2pXr7tWy4sKd8f')).to.equal('curl/8%2520Bearer%2520[REDACTED:authorization]');
      expect(redactor.redactString('q=%252520bearer%252520Zq9vLm2pXr7tWy4sKd8f')).to.equal('q=%252520bearer%252520[REDACTED:authorization]');
      // Still not inside a longer word, nor after a `%` that escapes nothing.
      expect(redactor.redactString('Xbearer Zq9vLm2pXr7tWy4sKd8f 25bearer Zq9vLm2pXr7tWy4sKd8f')).to.equal('Xbearer Zq9vLm2pXr7tWy4sKd8f 25bearer Zq9vLm2pXr7tWy4sKd8f');
    });

    it('finds key ids and JWTs after a percent-escape of any level (%2520, %253D)', () => {
      const redactor = compile('defaults')!;

      expect(redactor.redactString('msg=a%2520AKIAQ7FIXTUREXMPL3KY')).to.equal('msg=a%2520[REDACTED:aws-access-key]');
      expect(redactor.redactString('r%253DX-Amz-Credential%25253DAKIAQ7FIXTUREXMPL3KY%252526x')).to.equal('r%253DX-Amz-Credential%25253D[REDACTED:aws-access-key]%252526x');
      expect(redactor.redactString('id%253DeyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl')).to.equal('id%253D[REDACTED:jwt]');
      expect(redactor.redactString('a 2520AKIAQ7FIXTUREXMPL3KY 253DeyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln')).to.equal('a 2520AKIAQ7FIXTUREXMPL3KY 253DeyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln');
    });

    it('runs a query-string value to the next & (or #, space, quote), not to a comma, semicolon or parenthesis', () => {
      const redactor = compile('defaults')!;

      expect(redactor.redactString('GET https://h/a?token=abc,Zq9vLm2pXr7tWy4sKd8f&x=1 HTTP/1.1')).to.equal('GET https://h/a?token=[REDACTED:secret-field]&x=1 HTTP/1.1');
      expect(redactor.redactString('/a?x=1&api_key=abc;Zq9v(Lm2p)Xr7t#top')).to.equal('/a?x=1&api_key=[REDACTED:secret-field]#top');
      // A `url.query` attribute starts with its first key.
      expect(redactor.redactString('token=abc,Zq9vLm2pXr7tWy4sKd8f&x=1')).to.equal('token=[REDACTED:secret-field]&x=1');
      expect(redactor.redactString('"url":"/a?password=abc,Zq9v","NextToken":"n"')).to.equal('"url":"/a?password=[REDACTED:secret-field]","NextToken":"n"');
      expect(redactor.redactString('/a?NextToken=abc,def&x=1')).to.equal('/a?NextToken=abc,def&x=1');
    });

    it('applies custom rules', () => {
      expect(compile('order=ORD-[0-9]+')!.redactString('order ORD-1234 shipped')).to.equal('order [REDACTED:order] shipped');
    });
  });

  describe('redactEntry', () => {
    it('replaces values of secret-named attributes at any depth and counts by kind', () => {
      const entry = entryOf('login password=hunter2', { user: 'bob', auth: { nested: [{ apiKey: 'abc123def' }], token_count: 5 }, dbPassword: 42 });

      const redacted = compile('defaults')!.redactEntry(entry, 'login password=hunter2 apiKey dbPassword');

      expect(redacted.body).to.equal('login password=[REDACTED:secret-field]');
      expect(redacted.attributes).to.deep.equal({ user: 'bob', auth: { nested: [{ apiKey: '[REDACTED:secret-field]' }], token_count: 5 }, dbPassword: '[REDACTED:secret-field]' });
      expect(redacted.redactions).to.deep.equal({ 'secret-field': 3 });
      expect(entry.attributes.dbPassword).to.equal(42);
    });

    it('returns the same entry when nothing matches, and when secret-field is switched off keeps secret-named values', () => {
      const entry = entryOf('ok', { password: 'x' });

      expect(compile('defaults')!.redactEntry(entryOf('ok', { user: 'bob' }), 'ok user bob').redactions).to.equal(undefined);
      expect(compile('defaults,-secret-field')!.redactEntry(entry, 'ok password x')).to.equal(entry);
    });

    it('opens an entry for secret-field on a secret `key` or `pass…` word, not on a bare `key` or `pass`', () => {
      const trigger = triggerPattern(DETECTORS.filter((detector) => detector.name === 'secret-field').flatMap((detector) => detector.triggers!));

      for (const name of ['apikey', 'X-Api-Key', 'private_key', 'accessKey', 'AUTH-KEY', 'SecretAccessKey', 'DB_PASSWD', 'passPhrase']) expect(trigger.test(name), name).to.equal(true);
      for (const text of ['cache evicted 128 keys', 'primary key violation', 'keyspace=orders', 'monkey', '12 tests passed', 'bypass=1']) expect(trigger.test(text), text).to.equal(false);
    });

    it('leaves no replaced value in a body that is the line itself: nested under a secret-named key, or escaped', () => {
      const redactor = compile('defaults')!;
      const lines = [
        '{"level":"info","credentials":{"user":"web","pin":"S3cretPin12345"}}',
        '{"level":"info","note":"key \\u0041KIAQ7FIXTUREXMPL3KY"}',
        '{"level":"info","password":1234,"id":"x1234"}',
      ];
      const message = { v: 2, batchId: 'b', chunk: 0, firstLine: 1, source: { bucket: 'i', key: 'k', etag: 'e' }, format: 'json', lines } as const;

      const { entries } = buildEntries(message, new Date(0), { redactor });

      expect(entries.map((entry) => entry.body)).to.deep.equal([
        '{"level":"info","credentials":{"user":"[REDACTED:secret-field]","pin":"[REDACTED:secret-field]"}}',
        '{"level":"info","note":"key [REDACTED:aws-access-key]"}',
        '{"level":"info","password":[REDACTED:secret-field],"id":"x[REDACTED:secret-field]"}',
      ]);
      expect(entries.map((entry) => entry.redactions)).to.deep.equal([{ 'secret-field': 2 }, { 'aws-access-key': 1 }, { 'secret-field': 1 }]);
    });

    it("masks a value replaced in the line where the parser's reason quotes it apart from its key", () => {
      const redactor = compile('defaults')!;
      const line = 'GET /login password=S3cretPin12345 took ms';
      const entry = { ...entryOf(line), parseError: 'field "time_taken" should be a number: "S3cretPin12345"' };

      const redacted = redactor.redactEntry(entry, line);

      expect(redacted.body).to.equal('GET /login password=[REDACTED:secret-field] took ms');
      expect(redacted.parseError).to.equal('field "time_taken" should be a number: "[REDACTED:secret-field]"');
    });

    it('stores no piece of a secret from the JSON parser\'s reason for an unparsed line', () => {
      const redactor = compile('defaults')!;
      const lines = ['{"password":"Zq9vLm2pXr7tWy4sKd8fQQ","a":x}'];
      const message = { v: 2, batchId: 'b', chunk: 0, firstLine: 1, source: { bucket: 'i', key: 'k', etag: 'e' }, format: 'json', lines } as const;

      const [entry] = buildEntries(message, new Date(0), { redactor }).entries;

      expect(entry.body).to.equal('{"password":"[REDACTED:secret-field]","a":x}');
      expect(entry.parseError).to.equal("invalid JSON: Unexpected token 'x' in JSON at position 41");
    });

    it('opens an event for a percent-escape only when it encodes a trigger character', () => {
      const hiding = new RegExp(hidingEscapes(['PRIVATE', 'key', '@', 'a_b']).join('|'));

      for (const escape of ['%50', '%4B', '%6b', '%4b', '%40', '%5F', '%5f', '\\u0041', '\\/']) expect(hiding.test(escape), escape).to.equal(true);
      for (const escape of ['%20', '%3A', '%2F', '%22', '%70', '%C3%A9', '%2']) expect(hiding.test(escape), escape).to.equal(false);
      expect(() => hidingEscapes(['clé'])).to.throw(/not ASCII/);
    });

    it('finds a secret whose trigger the event text holds only escaped (JSON \\u, percent) or in another case', () => {
      const redactor = compile('defaults')!;
      const lines = ['{"msg":"key \\u0041KIAQ7FIXTUREXMPL3KY"}', '{"msg":"login","DB_PassWord":"hunter2"}', '{"msg":"jwt \\u0065yJhbGciOi.eyJzdWIiOi.sig"}'];
      const message = { v: 2, batchId: 'b', chunk: 0, firstLine: 1, source: { bucket: 'i', key: 'k', etag: 'e' }, format: 'json', lines } as const;
      const percent = '2026-11-26 GET /x ua=curl%2F8%20%41KIAQ7FIXTUREXMPL3KY';

      const { entries, stats } = buildEntries(message, new Date(0), { redactor });
      const fromPercent = redactor.redactEntry(entryOf(percent, { 'user_agent.original': 'curl/8 AKIAQ7FIXTUREXMPL3KY' }), percent);

      expect(stats.redacted).to.equal(3);
      expect(entries.map((entry) => entry.redactions)).to.deep.equal([{ 'aws-access-key': 1 }, { 'secret-field': 1 }, { jwt: 1 }]);
      expect(JSON.stringify(entries)).to.not.match(/AKIAQ7|hunter2|hbGciOi/);
      expect(fromPercent.attributes['user_agent.original']).to.equal('curl/8 [REDACTED:aws-access-key]');
    });

    it('replaces a value under an Authorization attribute whole with the authorization detector off and secret-field on', () => {
      const raw = '{"msg":"login","Authorization":"Basic dXNlcjpwYXNz"}';

      const redacted = compile('defaults,-authorization')!.redactEntry(entryOf('login', { Authorization: 'Basic dXNlcjpwYXNz' }), raw);

      expect(redacted.attributes).to.deep.equal({ Authorization: '[REDACTED:secret-field]' });
    });

    it('redacts the raw text with the same detectors, counting each kind once per value', () => {
      const raw = '{"msg":"login","password":"hunter2-raw","key":"AKIAQ7FIXTUREXMPL3KY"}';
      const entry = { ...entryOf('login', { password: 'hunter2-raw', key: 'AKIAQ7FIXTUREXMPL3KY' }), raw };

      const redacted = compile('defaults')!.redactEntry(entry, raw);

      expect(redacted.raw).to.equal('{"msg":"login","password":"[REDACTED:secret-field]","key":"[REDACTED:aws-access-key]"}');
      expect(redacted.redactions).to.deep.equal({ 'secret-field': 1, 'aws-access-key': 1 });
    });

    it('redacts and counts a secret that only the raw text holds', () => {
      const raw = '2026-11-26 INFO [AKIAQ7FIXTUREXMPL3KY] started';
      const entry = { ...entryOf('started'), raw };

      const redacted = compile('defaults')!.redactEntry(entry, raw);

      expect(redacted.raw).to.equal('2026-11-26 INFO [[REDACTED:aws-access-key]] started');
      expect(redacted.body).to.equal('started');
      expect(redacted.redactions).to.deep.equal({ 'aws-access-key': 1 });
    });

    it('masks a value replaced in the attributes where the raw text holds it as it is, and leaves the raw text out when it is escaped', () => {
      const nested = '{"msg":"oauth","credentials":{"user":"web","pin":"nested-pin-4242"}}';
      const escaped = '{"msg":"key AKIA\\u0051\\u0037FIXTUREXMPL3KY"}';
      const number = '{"msg":"card","credentials":{"pin":4242}}';
      const redactor = compile('defaults')!;

      const fromNested = redactor.redactEntry({ ...entryOf('oauth', { credentials: { user: 'web', pin: 'nested-pin-4242' } }), raw: nested }, nested);
      const fromEscaped = redactor.redactEntry({ ...entryOf('key AKIAQ7FIXTUREXMPL3KY'), raw: escaped }, escaped);
      const fromNumber = redactor.redactEntry({ ...entryOf('card', { credentials: { pin: 4242 } }), raw: number }, number);

      expect(fromNested.attributes.credentials).to.deep.equal({ user: '[REDACTED:secret-field]', pin: '[REDACTED:secret-field]' });
      expect(fromNested.raw).to.equal('{"msg":"oauth","credentials":{"user":"[REDACTED:secret-field]","pin":"[REDACTED:secret-field]"}}');
      expect(fromEscaped.body).to.equal('key [REDACTED:aws-access-key]');
      expect(fromEscaped.raw).to.equal(undefined);
      expect(fromNumber.raw).to.equal(undefined);
    });

    it('trusts only a marker written exactly as a replacement: a literal "[REDACTED:" switches no detector off', () => {
      const redactor = compile('defaults')!;
      const lines = ['{"note":"[REDACTED:x","credentials":{"pin":"Zq9vLm2pXr7tWy4sKd8b"},"tags":["a"]}', '{"msg":"m","note":"[REDACTED:x","password":"Zq9vLm2pXr7tWy4sKd8c","tags":["a"]}'];
      const logfmt = 'ts=2026-12-03T10:00:00Z user=[REDACTED: password=Zq9vLm2pXr7tWy4sKd8a AKIAQ7FIXTUREXMPL3KY req=[abc]';

      const { entries } = buildEntries(chunkOf('json', lines), new Date(0), { redactor });
      const [fromLogfmt] = buildEntries(chunkOf('logfmt', [logfmt]), new Date(0), { redactor }).entries;
      const hmac = compile('defaults', { replacement: 'hmac', key: 'k' })!;

      expect(JSON.stringify([...entries, fromLogfmt])).to.not.match(/Zq9v|AKIAQ7/);
      expect(entries[0].body).to.equal('{"note":"[REDACTED:x","credentials":{"pin":"[REDACTED:secret-field]"},"tags":["a"]}');
      expect(fromLogfmt.body).to.equal('ts=2026-12-03T10:00:00Z user=[REDACTED: password=[REDACTED:secret-field] [REDACTED:aws-access-key] req=[abc]');
      // A value under a secret-named key that only starts like a replacement is replaced; a replacement is kept.
      expect(redactor.redactEntry(entryOf('x', { password: '[REDACTED:x] Zq9vLm2pXr7tWy4sKd8d' }), 'password').attributes.password).to.equal('[REDACTED:secret-field]');
      expect(redactor.redactString('"password":"[REDACTED:Zq9vLm2pXr7tWy4sKd8e]"')).to.equal('"password":"[REDACTED:secret-field]"');
      expect(redactor.redactEntry(entryOf('x', { password: '[REDACTED:secret-field]' }), 'password').redactions).to.equal(undefined);
      expect(hmac.redactString(hmac.redactString('private_key: abc'))).to.match(/^private_key: \[REDACTED:secret-field:[0-9a-f]{16}\]$/);
    });

    it('masks a replaced value that holds another replaced value whole (longer values first)', () => {
      const redactor = compile('defaults')!;
      const lines = ['{"credentials":{"user":"admin","pin":"adminZq9vLm2pXr7tWy4sKd8f"}}', '{"secret":{"id":"svc","value":"svc-Zq9vLm2pXr7tWy4sKd8g"}}'];

      const { entries } = buildEntries(chunkOf('json', lines), new Date(0), { redactor });

      expect(entries.map((entry) => entry.body)).to.deep.equal([
        '{"credentials":{"user":"[REDACTED:secret-field]","pin":"[REDACTED:secret-field]"}}',
        '{"secret":{"id":"[REDACTED:secret-field]","value":"[REDACTED:secret-field]"}}',
      ]);
    });

    it('masks the values replaced in the parsed fields before the detectors run, so none is cut short in the body or the raw text', () => {
      const redactor = compile('defaults')!;
      const lines = ['level=info user=bob password=abc;Zq9vLm2pXr7tWy4sKd8f', 'level=info msg=hi password=abc;Zq9vLm2pXr7tWy4sKd8f'];

      const { entries } = buildEntries(chunkOf('logfmt', lines), new Date(0), { redactor });

      expect(entries[0].body).to.equal('level=info user=bob password=[REDACTED:secret-field]');
      expect(entries[1].body).to.equal('hi');
      expect(entries[1].raw).to.equal('level=info msg=hi password=[REDACTED:secret-field]');
      expect(JSON.stringify(entries)).to.not.include('Zq9v');
    });

    it('masks the replaced values in a body that is not the line (a CloudWatch message), and looks for them behind two levels of escapes', () => {
      const redactor = compile('defaults')!;
      const record = (id: string, message: string) => JSON.stringify({ logGroup: '/aws/lambda/f', logStream: 's', owner: '123456789012', id, timestamp: 1796292000000, message });
      const lines = [record('0', '{"credentials":{"user":"bob","pin":"Zq9vLm2pXr7tWy4sKd8f"}}'), record('1', '{"level":"info","note":"\\u0041KIAQ7FIXTUREXMPL3KY"}')];

      const { entries } = buildEntries(chunkOf('cloudwatch/json', lines), new Date(0), { redactor });

      expect(entries.map((entry) => entry.body)).to.deep.equal(['{"credentials":{"user":"[REDACTED:secret-field]","pin":"[REDACTED:secret-field]"}}', '{"level":"info","note":"[REDACTED:aws-access-key]"}']);
      expect(entries[0].raw).to.include('\\"pin\\":\\"[REDACTED:secret-field]\\"');
      expect(entries[1].raw).to.equal(undefined);
      expect(JSON.stringify(entries)).to.not.match(/Zq9v|KIAQ7/);
    });

    it('replaces a quoted secret cut off by the end of the text or line (a truncated event, an unterminated quote)', () => {
      const redactor = compile('defaults')!;
      const texts = ['{"pad":"x","password":"Zq9vLm2pXr7t', 'level=info password="Zq9vLm2pXr7t', "ERROR cfg secret='Zq9vLm2pXr7t", 'ERROR cfg secret=\'Zq9vLm2pXr7t\nat line 2', '{"msg":"{\\"token\\":\\"Zq9vLm2pXr7t', '{"password":"Zq9vLm2pXr7t\\', '<14>1 2026-12-03T10:00:00Z h a 1 - [x@1 password="Zq9vLm2pXr7t'];

      const redacted = texts.map((text) => redactor.redactString(text));

      for (const text of redacted) expect(text, text).to.include('[REDACTED:secret-field]').and.not.include('Zq9v');
      expect(redacted[0]).to.equal('{"pad":"x","password":"[REDACTED:secret-field]');
      expect(redacted[3]).to.equal("ERROR cfg secret='[REDACTED:secret-field]\nat line 2");
    });

    it('replaces values of any length, and a megabyte of adversarial text stays fast', () => {
      const redactor = compile('defaults')!;
      const token = 'iK2ZWeqhFW'.repeat(121);
      const line = `203.0.113.9 - - [03/Dec/2026:10:00:00 +0000] "GET /o?X-Amz-Security-Token=${token}&X-Amz-Signature=abc HTTP/1.1" 200 12 "-" "curl/8.0"`;
      const megabyte = (piece: string) => piece.repeat(Math.ceil(2 ** 20 / piece.length));
      const adversarial = [megabyte("secret='a"), megabyte('password="a\\'), megabyte('authorization:\\"a\\\\\\'), 'Bearer ' + megabyte('+'), 'a://' + megabyte('x:'), megabyte('[REDACTED:secret-field password=a ')];
      // Percent-escapes of any level before `Bearer`, `AKIA`, `eyJ`; query strings of many matches or many keys.
      adversarial.push('%' + megabyte('25') + '20bearer', megabyte('%2520bearer'), '%' + megabyte('25') + '0AKIA', '%' + megabyte('25') + '0eyJ', megabyte('&token=a,'), megabyte('&') + 'token');

      const redacted = redactor.redactString(line);
      const started = Date.now();
      for (const text of adversarial) redactor.redactString(text);
      const elapsed = Date.now() - started;

      expect(redacted).to.include('X-Amz-Security-Token=[REDACTED:secret-field]&X-Amz-Signature=abc').and.not.include('iK2Z');
      expect(redactor.redactString(`Authorization: Bearer ${token}`)).to.equal('Authorization: [REDACTED:authorization]');
      expect(redactor.redactString(`postgres://u:${token}@h/x`)).to.equal('postgres://u:[REDACTED:url-password]@h/x');
      // Quadratic work would take tens of seconds (a megabyte of `secret='a` took 24 s before the marker check was bounded).
      expect(elapsed).to.be.below(5000);
    });

    it('masks a value the detectors replaced in the body wherever else the body holds it (an unparsed CloudFront line)', () => {
      const redactor = compile('defaults')!;
      const fields = ['date', 'time', 'x-edge-location', 'sc-bytes', 'c-ip', 'cs-method', 'cs(Host)', 'cs-uri-stem', 'sc-status', 'cs(Referer)', 'cs(User-Agent)', 'cs-uri-query', 'cs(Cookie)', 'time-taken'];
      const line = '2024-05-01\t10:00:00\tLAX1\t392\t192.0.2.100\tGET\td1.cloudfront.net\t/index.html\t200\t-\tMozilla/5.0%2520(X11)\tpassword=Zq9vLm2pXr7tWy4sKd8f\t-\tZq9vLm2pXr7tWy4sKd8f';

      const [entry] = buildEntries({ ...chunkOf('cloudfront', [line]), formatContext: { fields } }, new Date(0), { redactor }).entries;

      expect(entry.parseError).to.equal('field "time-taken" should be a number: "[REDACTED:secret-field]"');
      expect(entry.body).to.equal(line.replaceAll('Zq9vLm2pXr7tWy4sKd8f', '[REDACTED:secret-field]'));
      expect(entry.redactions).to.deep.equal({ 'secret-field': 1 });
    });

    it('replaces the value of a name/value pair whose name is secret-named (ECS environment, tags, SSM parameters)', () => {
      const redactor = compile('defaults')!;
      const record = {
        msg: 'register',
        environment: [
          { name: 'DB_PASSWORD', value: 'Zq9vLm2pXr7tWy4sKd8a' },
          { name: 'LOG_LEVEL', value: 'debug' },
        ],
        tag: { key: 'password', value: 'Zq9vLm2pXr7tWy4sKd8b' },
        tags: [{ Key: 'api-key', Value: 'Zq9vLm2pXr7tWy4sKd8c' }],
        parameter: { Name: '/prod/db/password', Value: 'Zq9vLm2pXr7tWy4sKd8d', Type: 'SecureString' },
        other: { name: 'NextToken', value: 'n1', Name: '/prod/db/host', Value: 'db.internal' },
      };

      const [entry] = buildEntries(chunkOf('json', [JSON.stringify(record)]), new Date(0), { redactor }).entries;

      expect(entry.attributes.environment).to.deep.equal([
        { name: 'DB_PASSWORD', value: '[REDACTED:secret-field]' },
        { name: 'LOG_LEVEL', value: 'debug' },
      ]);
      expect(entry.attributes.tag).to.deep.equal({ key: 'password', value: '[REDACTED:secret-field]' });
      expect(entry.attributes.tags).to.deep.equal([{ Key: 'api-key', Value: '[REDACTED:secret-field]' }]);
      expect(entry.attributes.parameter).to.deep.equal({ Name: '/prod/db/password', Value: '[REDACTED:secret-field]', Type: 'SecureString' });
      expect(entry.attributes.other).to.deep.equal(record.other);
      expect(entry.raw).to.be.a('string').and.include('"value":"[REDACTED:secret-field]"');
      expect(JSON.stringify(entry)).to.not.include('Zq9v');
      expect(entry.redactions).to.deep.equal({ 'secret-field': 4 });
    });

    it('replaces a Digest Authorization header whole: JSON string, logfmt quoted value, header line', () => {
      const redactor = compile('defaults')!;
      const json = ['{"authorization":"Digest username=\\"bob\\", realm=\\"api\\", response=\\"Zq9vLm2pXr7tWy4sKd8f\\""}', '{"msg":"req","headers":{"Authorization":"Digest username=\\"bob\\", response=\\"Zq9vLm2pXr7tWy4sKd8h\\""}}'];
      const logfmt = 'level=info authorization="Digest username=\\"bob\\", response=\\"Zq9vLm2pXr7tWy4sKd8i\\""';
      const header = 'Dec  3 10:00:00 host app[1]: got Authorization: Digest username="bob", response="Zq9vLm2pXr7tWy4sKd8j"';
      const inJson = '{"msg":"got Authorization: Digest username=\\"bob\\", response=\\"Zq9vLm2pXr7tWy4sKd8k\\" ok"}';

      const entries = [
        ...buildEntries(chunkOf('json', [...json, inJson]), new Date(0), { redactor }).entries,
        ...buildEntries(chunkOf('logfmt', [logfmt]), new Date(0), { redactor }).entries,
        ...buildEntries(chunkOf('syslog', [header]), new Date(0), { redactor }).entries,
      ];

      expect(JSON.stringify(entries)).to.not.include('Zq9v');
      expect(entries[0].body).to.equal('{"authorization":"[REDACTED:authorization]"}');
      expect(entries[1].raw).to.equal('{"msg":"req","headers":{"Authorization":"[REDACTED:authorization]"}}');
      expect(entries[3].body).to.equal('level=info authorization="[REDACTED:authorization]"');
      expect(entries[4].body).to.equal('got Authorization: [REDACTED:authorization]');
      expect(redactor.redactString(header.slice(0, 80))).to.equal('Dec  3 10:00:00 host app[1]: got Authorization: [REDACTED:authorization]');
    });
  });
});
