import { expect } from 'chai';
import type { ChunkMessage } from '../../../src/domain/chunk.js';
import { buildEntries } from '../../../src/domain/entry-builder.js';
import type { LogEntry } from '../../../src/domain/log-entry.js';
import { DEFAULT_REDACTION, Redactor } from '../../../src/domain/redaction/redactor.js';

const redactor = Redactor.compile(DEFAULT_REDACTION)!;
const eventGate = (redactor as unknown as { eventGate: RegExp }).eventGate;
const entryOf = (body: string, attributes: LogEntry['attributes'] = {}): LogEntry => ({ batchId: 'b', lineNumber: 1, observedTimestamp: '', body, attributes, format: 'json' });
const observedAt = new Date('2026-11-26T10:00:00.000Z');
const chunkMessage = (overrides: Partial<ChunkMessage>): ChunkMessage => ({
  v: 2,
  batchId: 'b1',
  chunk: 1,
  firstLine: 1,
  source: { bucket: 'ingest', key: 'cf.log', etag: 'e1' },
  format: 'text',
  lines: [],
  ...overrides,
});

describe('Redactor', () => {
  describe('redactString (cookies)', () => {
    it('replaces each cookie value of a Cookie and a Set-Cookie header line, keeping names and attributes', () => {
      const cookie = '> Cookie: sessionid=8vq2k9x7m4t1r6w3z5b0n8c2; csrftoken=Lg0PsA7uY2iT5rE8wQ1z';
      const setCookie = '< Set-Cookie: connect.sid=s%3AhT8x2Kq9Vm4.Zr7Wb3Nc6Hd1Jf5; Path=/; Expires=Wed, 21 Oct 2026 07:28:00 GMT; HttpOnly';

      expect(redactor.redactString(cookie)).to.equal('> Cookie: sessionid=[REDACTED:cookie]; csrftoken=[REDACTED:cookie]');
      expect(redactor.redactString(setCookie)).to.equal('< Set-Cookie: connect.sid=[REDACTED:cookie]; Path=/; Expires=Wed, 21 Oct 2026 07:28:00 GMT; HttpOnly');
    });

    it('replaces cookie values in JSON and logfmt fields and in a curl -H argument, not the next field', () => {
      const json = '{"msg":"request","cookie":"session=s1Kq9Xv2Tm7Rz4Wb8Nc3; theme=dark","set_cookie":"sid=8vq2k9x7m4t1; Path=/"}';
      const logfmt = 'level=info cookie=sessionid=8vq2k9x7m4t1r6w3 level=info msg="a b"';
      const curl = 'CMD (curl -s -H "Cookie: sessionid=8vq2k9x7m4t1r6w3z5b0n8c2" https://ping.example.com/hb)';

      expect(redactor.redactString(json)).to.equal('{"msg":"request","cookie":"session=[REDACTED:cookie]; theme=[REDACTED:cookie]","set_cookie":"sid=[REDACTED:cookie]; Path=/"}');
      expect(redactor.redactString(logfmt)).to.equal('level=info cookie=sessionid=[REDACTED:cookie] level=info msg="a b"');
      expect(redactor.redactString(curl)).to.equal('CMD (curl -s -H "Cookie: sessionid=[REDACTED:cookie]" https://ping.example.com/hb)');
    });

    it('keeps values shorter than four characters and placeholders, and replaces a nameless cookie whole', () => {
      expect(redactor.redactString('Cookie: _gat=1; lang=en; consent=true')).to.equal('Cookie: _gat=1; lang=en; consent=true');
      expect(redactor.redactString('Cookie: 3f9a2c7e1b8d4f6a')).to.equal('Cookie: [REDACTED:cookie]');
    });

    it('is switched off by name', () => {
      const text = 'Cookie: sessionid=8vq2k9x7m4t1r6w3z5b0n8c2';

      expect(Redactor.compile({ redact: '-cookie', replacement: 'mask' })!.redactString(text)).to.equal(text);
    });
  });

  describe('redactEntry (cookies)', () => {
    it('replaces cookie values under cookie-named attributes: a list, an array of Set-Cookie values, a jar, a HAR header', () => {
      const line = '{"cookie":"sid=s1Kq9Xv2Tm7Rz4Wb; csrftoken=Lg0PsA7uY2iT5rE8","headers":{"Cookie":"sid=Ck9Zq2Vw7Xr4","set-cookie":["a=8vq2k9x7m4t1; Path=/","b=7F3A9C2E1B8D; HttpOnly"]},"cookies":{"sessionid":"q8v2k9x7m4t1r6w3"},"har":[{"name":"Cookie","value":"sessionid=Zq9vXw4Lt7Rz"}]}';
      const entry = entryOf(line, JSON.parse(line));

      const redacted = redactor.redactEntry(entry, line);

      expect(redacted.attributes).to.deep.equal({
        cookie: 'sid=[REDACTED:cookie]; csrftoken=[REDACTED:cookie]',
        headers: { Cookie: 'sid=[REDACTED:cookie]', 'set-cookie': ['a=[REDACTED:cookie]; Path=/', 'b=[REDACTED:cookie]; HttpOnly'] },
        cookies: { sessionid: '[REDACTED:cookie]' },
        har: [{ name: 'Cookie', value: 'sessionid=[REDACTED:cookie]' }],
      });
      expect(redacted.body).to.not.match(/s1Kq9Xv2|Lg0PsA7u|Ck9Zq2Vw|8vq2k9x7|7F3A9C2E|q8v2k9x7|Zq9vXw4L/);
      expect(redacted.redactions).to.deep.equal({ cookie: 7 });
    });

    it("redacts CloudFront's cs(Cookie) column, whose name only the header holds, and keeps the gate for files that log no cookie", () => {
      const fields = ['date', 'time', 'x-edge-location', 'sc-bytes', 'c-ip', 'cs-method', 'cs(Host)', 'cs-uri-stem', 'sc-status', 'cs(Referer)', 'cs(User-Agent)', 'cs-uri-query', 'cs(Cookie)'];
      const line = '2024-05-01\t10:00:00\tFRA56-P1\t5120\t203.0.113.9\tGET\td1.cloudfront.net\t/a\t200\t-\tMozilla/5.0\t-\tsession=CkSes9Zq2Vw7Xr4;%20theme=dark';
      const withHeader = chunkMessage({ format: 'cloudfront', formatContext: { fields }, lines: [line] });
      const withoutHeader = chunkMessage({ format: 'cloudfront', lines: [line] });

      const [declared] = buildEntries(withHeader, observedAt, { redactor }).entries;
      const [standard] = buildEntries(withoutHeader, observedAt, { redactor }).entries;

      expect(declared.attributes['http.request.header.cookie']).to.equal('session=[REDACTED:cookie];%20theme=[REDACTED:cookie]');
      expect(standard.attributes['http.request.header.cookie']).to.equal('session=[REDACTED:cookie];%20theme=[REDACTED:cookie]');
      expect(JSON.stringify([declared, standard])).to.not.include('CkSes9Zq2Vw7Xr4');
      expect(redactor.declaresSecretFields(fields)).to.equal(false);
    });
  });

  describe('redactString (signed URLs)', () => {
    it('replaces the signature of an S3 presigned URL (Signature Version 4), also with an escaped =', () => {
      const signature = '176813e02ea68ef786e4d3cea27d26934b484e73cf575dcad6ba2b0aee0ca923';

      expect(redactor.redactString(`GET /u/1.pdf?X-Amz-Date=20240501T100000Z&X-Amz-SignedHeaders=host&X-Amz-Signature=${signature} HTTP/1.1`)).to.equal(
        'GET /u/1.pdf?X-Amz-Date=20240501T100000Z&X-Amz-SignedHeaders=host&X-Amz-Signature=[REDACTED:url-signature] HTTP/1.1',
      );
      expect(redactor.redactString(`next=%2Fu%3FX-Amz-Signature%3D${signature}`)).to.equal('next=%2Fu%3FX-Amz-Signature%3D[REDACTED:url-signature]');
    });

    it('replaces Signature= only beside AWSAccessKeyId= (S3 V2) or Key-Pair-Id= (CloudFront), before or after it', () => {
      const v2 = 'GET /b/1.pdf?AWSAccessKeyId=AKIAQ7XJ2M4N5P6R8T9V&Expires=1714557600&Signature=vjbyPxybdZaNmGa%2ByT272YEAiv4%3D HTTP/1.1';
      const cloudFront = 'GET /dl?Signature=vjbyPxybdZaNmGa~yT272YEAiv4-abcDEF~ghi&Expires=1714557600&Key-Pair-Id=K2JCJMDEHXQW5F HTTP/1.1';
      const query = 'Policy=eyJTdGF0ZW1lbnQiOlt7fV19&Signature=Zq9vXw4Lt7Rz2Wb8&Key-Pair-Id=K2JCJMDEHXQW5F';
      const app = 'webhook verified signature=Zq9vXw4Lt7Rz2Wb8 /cb?Signature=Zq9vXw4Lt7Rz2Wb8&id=1';

      expect(redactor.redactString(v2)).to.equal('GET /b/1.pdf?AWSAccessKeyId=[REDACTED:aws-access-key]&Expires=1714557600&Signature=[REDACTED:url-signature] HTTP/1.1');
      expect(redactor.redactString(cloudFront)).to.equal('GET /dl?Signature=[REDACTED:url-signature]&Expires=1714557600&Key-Pair-Id=K2JCJMDEHXQW5F HTTP/1.1');
      expect(redactor.redactString(query)).to.equal('Policy=eyJTdGF0ZW1lbnQiOlt7fV19&Signature=[REDACTED:url-signature]&Key-Pair-Id=K2JCJMDEHXQW5F');
      expect(redactor.redactString(app)).to.equal(app);
    });

    it('replaces an Azure SAS sig= only in a query with sv= and sp=', () => {
      const sas = 'GET /c/blob.txt?sv=2022-11-02&ss=b&srt=o&sp=r&se=2024-05-02T00:00:00Z&spr=https&sig=lA8Kq2Vm4Tz7WbNc3Hd6Jf1Lg0PsA7uY2iT5rE8%2BwQ1%3D HTTP/1.1';
      const portal = 'https://acct.blob.core.windows.net/c/b?sp=r&st=2024-05-01T00:00:00Z&se=2024-05-02T00:00:00Z&spr=https&sv=2022-11-02&sr=b&sig=lA8Kq2Vm4Tz7WbNc3Hd6%3D';
      const other = '/api?sp=1&sig=Zq9vXw4Lt7Rz2Wb8';

      expect(redactor.redactString(sas)).to.equal('GET /c/blob.txt?sv=2022-11-02&ss=b&srt=o&sp=r&se=2024-05-02T00:00:00Z&spr=https&sig=[REDACTED:url-signature] HTTP/1.1');
      expect(redactor.redactString(portal)).to.equal('https://acct.blob.core.windows.net/c/b?sp=r&st=2024-05-01T00:00:00Z&se=2024-05-02T00:00:00Z&spr=https&sv=2022-11-02&sr=b&sig=[REDACTED:url-signature]');
      expect(redactor.redactString(other)).to.equal(other);
    });
  });

  describe('redactString (HTTP Basic)', () => {
    it('replaces Basic credentials anywhere when the base64 decodes to user:password', () => {
      const nginx = '"GET /api/private HTTP/1.1" 200 17 "-" "curl/8.5.0" "Basic ZGVwbG95OlZxNyFtWjJySzl4"';

      expect(redactor.redactString(nginx)).to.equal('"GET /api/private HTTP/1.1" 200 17 "-" "curl/8.5.0" "Basic [REDACTED:authorization]"');
      expect(redactor.redactString('x-upstream-auth: basic%20ZGVwbG95OlZxNyFtWjJySzl4')).to.equal('x-upstream-auth: basic%20[REDACTED:authorization]');
    });

    it('leaves the word Basic before text that is not base64 of user:password', () => {
      const texts = ['Basic authentication failed for user bob', 'plan Basic Zq9vXw4Lt7Rz2Wb8', 'Basic dGVzdHBhc3N3b3Jk'];

      expect(texts.map((text) => redactor.redactString(text))).to.deep.equal(texts);
    });
  });

  describe('redactString (pwd and command-line passwords)', () => {
    it('replaces Pwd=, PWD=, MYSQL_PWD= and ?pwd= values that are not paths', () => {
      expect(redactor.redactString('conn="Driver={ODBC Driver 18};Server=db;Uid=sa;Pwd=OdbcPw5z;"')).to.equal('conn="Driver={ODBC Driver 18};Server=db;Uid=sa;Pwd=[REDACTED:secret-field];"');
      expect(redactor.redactString('MYSQL_PWD=EnvPw3gH4i mysql -h db')).to.equal('MYSQL_PWD=[REDACTED:secret-field] mysql -h db');
      expect(redactor.redactString('POST /api/login?username=bob&pwd=QueryPw1x HTTP/1.1')).to.equal('POST /api/login?username=bob&pwd=[REDACTED:secret-field] HTTP/1.1');
    });

    it("keeps a shell's working directory", () => {
      const sudo = 'sudo: deploy : TTY=pts/0 ; PWD=/home/deploy ; USER=root ; COMMAND=/bin/ls OLDPWD=~/src "pwd": "/srv"';

      expect(redactor.redactString(sudo)).to.equal(sudo);
    });

    it('replaces --password VALUE and docker login -p VALUE, not a flag after --password', () => {
      expect(redactor.redactString('+ psql --host db --username app --password FlagPw2x')).to.equal('+ psql --host db --username app --password [REDACTED:secret-field]');
      expect(redactor.redactString('+ docker login -u bot -p DockPw9hunter registry.acme.io')).to.equal('+ docker login -u bot -p [REDACTED:secret-field] registry.acme.io');
      expect(redactor.redactString('+ psql --password --host db; docker login --password-stdin -u bot')).to.equal('+ psql --password --host db; docker login --password-stdin -u bot');
    });
  });

  describe('redactString (sshpass -p, redis-cli -a)', () => {
    it('replaces the argument of sshpass -p and redis-cli -a / --pass', () => {
      expect(redactor.redactString('sshpass -p Zq9vXw4Lt ssh root@db')).to.equal('sshpass -p [REDACTED:secret-field] ssh root@db');
      expect(redactor.redactString('redis-cli -h cache -a Zq9vXw4Lt7 PING')).to.equal('redis-cli -h cache -a [REDACTED:secret-field] PING');
      expect(redactor.redactString('redis-cli --pass Zq9vXw4Lt7 PING')).to.equal('redis-cli --pass [REDACTED:secret-field] PING');
    });

    it('leaves the commands alone without the option, and an option past a pipe', () => {
      const texts = ['redis-cli -h cache INFO | sort -a x', 'sshpass -f ~/.pw ssh x', 'echo sshpass | tr -p x'];

      expect(texts.map((text) => redactor.redactString(text))).to.deep.equal(texts);
    });
  });

  describe('redactEntry (pwd attributes)', () => {
    it('replaces a …pwd attribute unless its value is a path', () => {
      const line = '{"msg":"env","env":{"MYSQL_PWD":"EnvPw3gH4i","PWD":"/home/deploy"},"pwd":"Pw2Legacy8y"}';

      const redacted = redactor.redactEntry(entryOf(line, JSON.parse(line)), line);

      expect(redacted.attributes).to.deep.equal({ msg: 'env', env: { MYSQL_PWD: '[REDACTED:secret-field]', PWD: '/home/deploy' }, pwd: '[REDACTED:secret-field]' });
    });
  });

  describe('event gate', () => {
    it('opens an event for each new trigger', () => {
      const lines = ['Cookie: a=b', 'X-Amz-Signature=ab', 'Key-Pair-Id=K2', '&sp=r', 'Basic ZGVw', 'Pwd=x', 'docker login', 'sshpass', 'redis-cli -a'];

      expect(lines.filter((line) => !eventGate.test(line))).to.deep.equal([]);
    });
  });
});
