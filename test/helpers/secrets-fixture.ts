/**
 * Synthetic secrets in every position a log puts them (issue 14's acceptance fixture): a plain line, a JSON field,
 * nested JSON, a logfmt value, URL userinfo, a query string, a syslog message, a header-like
 * `Authorization: Bearer …`, and a private key inside a stack-trace event. None of these values is real.
 */

/** Every secret string planted below; after a default run none may appear anywhere in the stored entries. */
export const PLANTED_SECRETS = {
  accessKeyId: 'AKIAQ7FIXTUREXMPL3KY',
  sessionKeyId: 'ASIAZ2FIXTURESESSN4Q',
  secretAccessKey: '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',
  jwt: 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJmaXh0dXJlLXVzZXIiLCJpYXQiOjE3MTQ1NTc2MDB9.c2lnbmF0dXJlLWZpeHR1cmUtb25seQ',
  opaqueBearer: 'opaqueFixtureBearer_9f8e7d6c5b4a3921',
  urlPassword: 'Pa55-fixture-in-url',
  jsonPassword: 'hunter2-json-field',
  nestedSecret: 'nested-client-secret-42',
  logfmtPassword: 'logfmt-pass-77xq',
  queryToken: 'qs-token-abc123xyz',
  syslogPassword: 'syslog-pass-99zz',
  basicCredentials: 'Zml4dHVyZTpiYXNpYy1wYXNz',
  apiKeyHeader: 'apikey-fixture-5c1d2e3f',
  privateKeyLines: [
    'MIIEowIBAAKCAQEAfixtureFIXTUREfixtureFIXTUREfixtureFIXTUREfixture01',
    'QGdl2RkzmkFIXTUREonlyNOTaREALkeyBodyLineNumberTwoForTheScanTest02',
    'x9Zk3FIXTUREprivateKEYbodyTHIRDlineOFtheBLOCKwhichMUSTnotLEAK03==',
  ],
} as const;

/** Every planted string, flat, for scanning. */
export const PLANTED_SECRET_STRINGS: readonly string[] = Object.values(PLANTED_SECRETS).flatMap((value) =>
  typeof value === 'string' ? [value] : [...value],
);

const S = PLANTED_SECRETS;
const PEM = ['-----BEGIN RSA PRIVATE KEY-----', ...S.privateKeyLines, '-----END RSA PRIVATE KEY-----'];

/** One file per format, so each parser's own fields (attributes) are covered as well as the body. */
export const SECRET_FIXTURE_FILES: Readonly<Record<string, { format: string; lines: readonly string[] }>> = {
  'app.log': {
    format: 'text',
    lines: [
      `2026-11-26 09:00:00,001 INFO  [main] loaded credentials for ${S.accessKeyId} from the environment`,
      `2026-11-26 09:00:01,002 DEBUG [main] outgoing request Authorization: Bearer ${S.jwt}`,
      `2026-11-26 09:00:02,003 DEBUG [main] proxy said authorization: Basic ${S.basicCredentials}`,
      `2026-11-26 09:00:03,004 INFO  [main] connecting to postgres://app:${S.urlPassword}@db.internal:5432/orders`,
      `2026-11-26 09:00:04,005 WARN  [main] token in url https://api.example.com/cb?state=1&access_token=${S.queryToken}&x=2`,
      `2026-11-26 09:00:05,006 INFO  [main] Bearer ${S.opaqueBearer} accepted`,
      '2026-11-26 09:00:06,007 ERROR [exec-1] failed to load the signing key',
      'java.security.spec.InvalidKeySpecException: cannot parse key',
      ...PEM,
      '\tat com.example.keys.KeyLoader.load(KeyLoader.java:42)',
      '\tat com.example.Main.main(Main.java:7)',
      `2026-11-26 09:00:07,008 INFO  [main] aws_secret_access_key = ${S.secretAccessKey}`,
      '',
      '2026-11-26 09:00:08,009 INFO  [main] nothing secret here: request id 3E57427F3EXAMPLE',
    ],
  },
  'app.jsonl': {
    format: 'json',
    lines: [
      JSON.stringify({ time: '2026-11-26T09:00:00Z', level: 'info', msg: 'login', user: 'bob', password: S.jsonPassword }),
      JSON.stringify({ time: '2026-11-26T09:00:01Z', level: 'info', msg: 'oauth client', client: { id: 'web', settings: { clientSecret: S.nestedSecret } } }),
      JSON.stringify({ time: '2026-11-26T09:00:02Z', level: 'debug', msg: `calling with key ${S.sessionKeyId}`, headers: { 'X-Api-Key': S.apiKeyHeader, Authorization: `Bearer ${S.jwt}` } }),
      JSON.stringify({ time: '2026-11-26T09:00:03Z', level: 'warn', msg: 'callback', url: `https://app.example.com/cb?code=1&token=${S.queryToken}` }),
      JSON.stringify({ time: '2026-11-26T09:00:04Z', level: 'error', msg: 'key dump', key: PEM.join('\n') }),
      JSON.stringify({ time: '2026-11-26T09:00:05Z', level: 'info', msg: 'credentials', creds: { SecretAccessKey: S.secretAccessKey, AccessKeyId: S.accessKeyId } }),
      JSON.stringify({ time: '2026-11-26T09:00:06Z', level: 'info', msg: 'db', dsn: `mysql://root:${S.urlPassword}@10.0.0.5/app` }),
      JSON.stringify({ time: '2026-11-26T09:00:07Z', level: 'info', msg: 'request done', trace_id: '4bf92f3577b34da6a3ce929d0e0e4736', sha: '2fd4e1c67a2d28fced849ee1bb76e7391b93eb12' }),
    ],
  },
  'app.logfmt': {
    format: 'logfmt',
    lines: [
      `ts=2026-11-26T09:00:00Z level=info msg="user login" user=bob password=${S.logfmtPassword}`,
      `ts=2026-11-26T09:00:01Z level=info msg="sts" access_key=${S.sessionKeyId} aws_secret_access_key=${S.secretAccessKey}`,
      `ts=2026-11-26T09:00:02Z level=debug msg="callback" path="/cb?api_key=${S.apiKeyHeader}&x=1"`,
      `ts=2026-11-26T09:00:03Z level=info msg="forwarding" authorization="Bearer ${S.opaqueBearer}"`,
    ],
  },
  'auth.syslog': {
    format: 'syslog',
    lines: [
      `<38>Nov 26 09:00:00 web-1 app[991]: retrying with password=${S.syslogPassword} for user deploy`,
      `<165>1 2026-11-26T09:00:01.003Z web-1 app 4242 AUTH [meta token="${S.queryToken}"] token refreshed, key ${S.accessKeyId}`,
      `<38>Nov 26 09:00:02 web-1 app[991]: redis://:${S.urlPassword}@cache.internal:6379/0 unreachable`,
    ],
  },
  'access.log': {
    format: 'combined',
    lines: [
      `203.0.113.9 - - [26/Nov/2026:09:00:00 +0000] "GET /cb?access_token=${S.queryToken}&state=2 HTTP/1.1" 302 0 "https://login.example.com/?id_token=${S.jwt}" "curl/8.5.0"`,
      `203.0.113.9 - - [26/Nov/2026:09:00:01 +0000] "GET /export?password=${S.jsonPassword} HTTP/1.1" 200 512 "https://admin:${S.urlPassword}@intranet.example.com/" "curl/8.5.0"`,
    ],
  },
};

/** The stored text of entries (body, attributes, every field) in which no planted secret may occur. */
export function leakedSecrets(storedText: string): string[] {
  return PLANTED_SECRET_STRINGS.filter((secret) => storedText.includes(secret));
}
