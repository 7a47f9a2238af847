import { expect } from 'chai';
import fc from 'fast-check';
import { chunkMessageFactory } from '../helpers/factories.js';
import { buildEntries } from '../../src/domain/entry-builder.js';
import { DEFAULT_REDACTION, Redactor } from '../../src/domain/redaction/redactor.js';

const redactor = Redactor.compile(DEFAULT_REDACTION)!;
const observedAt = new Date('2026-11-26T10:00:00.000Z');
const chunkOf = chunkMessageFactory;

const alnum = (min: number, max: number) => fc.stringMatching(new RegExp(`^[A-Za-z0-9]{${min},${max}}$`));
const hex = (length: number) => fc.stringMatching(new RegExp(`^[0-9a-f]{${length}}$`));
const upper = (length: number) => fc.stringMatching(new RegExp(`^[A-Z0-9]{${length}}$`));
const base64url = (min: number, max: number) => fc.stringMatching(new RegExp(`^[A-Za-z0-9_-]{${min},${max}}$`));

/**
 * Words of ordinary logs, near misses included: ids and hashes of every length, AKIA/eyJ/Bearer fragments that are
 * not secrets, URLs without userinfo, keys that end in other words (`token_count`, `max_tokens`, `NextToken`).
 */
const cleanWord = fc.oneof(
  fc.stringMatching(/^[a-z]{1,12}$/),
  fc.integer({ min: 0, max: 1e9 }).map(String),
  hex(32),
  hex(40),
  hex(64),
  fc.uuid(),
  upper(16),
  upper(15).map((rest) => `AKIA${rest}`),
  upper(17).map((rest) => `ASIA${rest}`),
  alnum(3, 20).map((rest) => `eyJ${rest}`),
  // Trigger words, but never followed by a value (`password: x` is a secret by design).
  fc.constantFrom('Bearer,', 'bearer.', 'token.', 'tokens', 'password.', 'secret.', 'key.', 'PRIVATE KEY.', 'authorization.', 'https://', '://', '@'),
  fc.tuple(fc.constantFrom('token_count', 'max_tokens', 'tokens', 'secret_name', 'key_id', 'NextToken', 'keyspace', 'passes'), alnum(1, 12)).map(([key, value]) => `${key}=${value}`),
  fc.tuple(fc.constantFrom('https', 'http', 's3'), fc.stringMatching(/^[a-z]{1,10}\.[a-z]{2,3}$/), fc.stringMatching(/^[a-z0-9/]{0,20}$/)).map(([scheme, host, rest]) => `${scheme}://${host}/${rest}`),
  fc.ipV4(),
  fc.date({ min: new Date(0), max: new Date(4e12), noInvalidDate: true }).map((date) => date.toISOString()),
);
const separator = fc.constantFrom(' ', ' ', ', ', ' - ', '\t', ' | ', ': ');
const cleanText = fc.array(fc.tuple(cleanWord, separator), { minLength: 0, maxLength: 25 }).map((parts) => parts.map(([word, sep]) => word + sep).join('').trim());

/** A planted secret: the text to put in a line, and the secret value that must not survive. */
interface Planted {
  readonly text: string;
  readonly secret: string;
}
const secretValue = alnum(12, 40).map((value) => `S3c${value}`);
/** Every secret word of `secret-field` (each `key` form spelled out: its triggers name the letter before `key`), in any casing. */
const SECRET_WORDS = ['password', 'passwd', 'passphrase', 'secret', 'token', 'credential', 'credentials', ...['api', 'private', 'access', 'auth'].flatMap((word) => ['', '_', '-'].map((separator) => `${word}${separator}key`))];
const secretKeyName = fc
  .tuple(
    fc.constantFrom('', 'db_', 'x-', 'client', 'aws.', 'My'),
    fc.constantFrom(...SECRET_WORDS),
    fc.constantFrom(
      (word: string) => word,
      (word: string) => word.toUpperCase(),
      (word: string) => word[0].toUpperCase() + word.slice(1),
      (word: string) => word.replace(/[_-]([a-z])/g, (_, letter: string) => letter.toUpperCase()),
    ),
  )
  .map(([prefix, word, casing]) => prefix + casing(word));
const planted: fc.Arbitrary<Planted> = fc.oneof(
  upper(16).map((rest) => ({ text: `AKIA${rest}`, secret: `AKIA${rest}` })),
  upper(16).map((rest) => ({ text: `ASIA${rest}`, secret: `ASIA${rest}` })),
  fc.stringMatching(/^[A-Za-z0-9/+]{40}$/).chain((key) =>
    fc.constantFrom(`aws_secret_access_key=${key}`, `"SecretAccessKey": "${key}"`, `AWS_SECRET_ACCESS_KEY: ${key}`).map((text) => ({ text, secret: key })),
  ),
  fc.tuple(base64url(8, 40), base64url(8, 80), base64url(10, 43)).map(([header, payload, signature]) => {
    const jwt = `eyJ${header}.eyJ${payload}.${signature}`;
    return { text: jwt, secret: jwt };
  }),
  secretValue.chain((token) => fc.constantFrom(`Authorization: Bearer ${token}`, `Bearer ${token}`, `authorization="Basic ${token}"`).map((text) => ({ text, secret: token }))),
  fc.tuple(fc.constantFrom('postgres', 'https', 'redis', 'amqp'), fc.stringMatching(/^[a-z]{0,8}$/), secretValue).map(([scheme, user, password]) => ({
    text: `${scheme}://${user}:${password}@host.internal:5432/db`,
    secret: password,
  })),
  fc.tuple(fc.oneof(fc.constantFrom('password', 'passwd', 'db_password', 'client_secret', 'api_key', 'apiKey', 'access_token', 'X-Api-Key', 'auth_token', 'DB_PASSWORD', 'Client_Secret', 'X-API-KEY', 'AccessToken'), secretKeyName), secretValue).chain(([key, value]) =>
    fc.constantFrom(`${key}=${value}`, `"${key}":"${value}"`, `${key}: ${value}`, `?a=1&${key}=${value}&b=2`, `${key}="${value}"`).map((text) => ({ text, secret: value })),
  ),
  fc.array(fc.stringMatching(/^[A-Za-z0-9+/]{64}$/), { minLength: 1, maxLength: 4 }).map((lines) => ({
    text: ['-----BEGIN PRIVATE KEY-----', ...lines, '-----END PRIVATE KEY-----'].join('\n'),
    secret: lines[0],
  })),
);

describe('Redactor (property)', () => {
  it('leaves text without secrets unchanged', () => {
    fc.assert(
      fc.property(cleanText, (text) => {
        expect(redactor.redactString(text)).to.equal(text);
      }),
      { numRuns: 3000 },
    );
  });

  it('never lets a planted secret through, wherever it sits in a line', () => {
    fc.assert(
      fc.property(cleanText, planted, cleanText, fc.constantFrom(' ', ' x ', ', '), (before, secret, after, glue) => {
        const line = `${before}${glue}${secret.text}${glue}${after}`;

        const redacted = redactor.redactString(line);

        expect(redacted).to.not.include(secret.secret);
        expect(redacted).to.include('[REDACTED:');
      }),
      { numRuns: 3000 },
    );
  });

  it('never lets a planted secret through behind text that starts like a replacement, or cut off by the end of the text', () => {
    fc.assert(
      fc.property(cleanText, planted, fc.constantFrom('[REDACTED:', '[REDACTED:x ', '[REDACTED:secret-field ', '[REDACTED:Email]'), fc.boolean(), (before, secret, fake, cut) => {
        // A quoted secret may be cut anywhere after its first character, as the event size limit cuts a line.
        const text = cut ? secret.text.replace(/(["'])([^"']*)\1$/, '$1$2') : secret.text;
        const line = `${before} ${fake}${text}`;

        const redacted = redactor.redactString(line);

        expect(redacted).to.not.include(secret.secret);
      }),
      { numRuns: 3000 },
    );
  });

  it('never stores a planted secret from a JSON line, as a field value or nested, through the worker', () => {
    fc.assert(
      fc.property(cleanText, planted, fc.constantFrom('msg', 'detail', 'nested'), (text, secret, where) => {
        const record =
          where === 'nested' ? { level: 'info', msg: text, request: { headers: { note: secret.text } } } : { level: 'info', msg: text, [where]: `${text} ${secret.text}` };
        const { entries, stats } = buildEntries(chunkOf('json', [JSON.stringify(record)]), observedAt, { redactor });

        expect(JSON.stringify(entries)).to.not.include(secret.secret);
        expect(stats.redacted).to.equal(1);
      }),
      { numRuns: 1500 },
    );
  });

  it('never keeps a planted secret in the raw text of a JSON line, nested under a secret-named key or escaped', () => {
    fc.assert(
      fc.property(cleanText, planted, secretValue, fc.oneof(fc.constantFrom('credentials', 'secret', 'escaped'), secretKeyName), (text, secret, value, where) => {
        // A value under a secret-named object is replaced whole in the attributes, where no detector sees it in the
        // line; an escaped character hides a planted secret from the detectors run on the line's text.
        const line =
          where === 'escaped'
            ? JSON.stringify({ level: 'info', msg: `${text} ${secret.text}` }).replace(secret.secret, (found) => `${found[0]}\\u${found.charCodeAt(1).toString(16).padStart(4, '0')}${found.slice(2)}`)
            : JSON.stringify({ level: 'info', msg: text, [where]: { user: 'web', pin: value, list: [value] } });
        const leak = where === 'escaped' ? secret.secret : value;
        const { entries } = buildEntries(chunkOf('json', [line]), observedAt, { redactor });

        expect(entries[0].raw ?? '').to.not.include(leak);
        expect(JSON.stringify(entries)).to.not.include(leak);
      }),
      { numRuns: 1500 },
    );
  });

  it('never keeps a planted secret in the raw text of a text, syslog or logfmt line, and keeps the raw text of clean lines', () => {
    fc.assert(
      fc.property(
        cleanText,
        planted,
        fc.constantFrom(
          (t: string) => `2026-11-26 09:00:00,001 INFO [main] ${t}`,
          (t: string) => `<38>Nov 26 09:00:00 web-1 app[991]: ${t}`,
          (t: string) => `ts=2026-11-26T09:00:00Z level=info msg=${JSON.stringify(t)}`,
        ),
        (text, secret, lineOf) => {
          const format = lineOf('x').startsWith('<38>') ? 'syslog' : lineOf('x').startsWith('ts=') ? 'logfmt' : 'text';
          const line = lineOf(`${text} ${secret.text}`);
          const clean = lineOf(text);
          const { entries } = buildEntries(chunkOf(format, [line, clean]), observedAt, { redactor });

          expect(JSON.stringify(entries)).to.not.include(secret.secret);
          if (entries[1].parseError === undefined && entries[1].body !== clean) expect(entries[1].raw).to.equal(clean);
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('never stores a planted secret from a CloudFront line, whatever characters of it are percent-escaped', () => {
    const fields = ['date', 'time', 'c-ip', 'cs-method', 'cs-uri-stem', 'sc-status', 'cs(User-Agent)', 'x-edge-location', 'cs-uri-query', 'sc-bytes', 'time-taken', 'c-port'];
    // Each character escaped or not, as an encoder (every non-alphanumeric one) or an evasive client (letters too) does.
    const percentEscaped = (text: string, escaped: boolean[]) =>
      [...text].map((character, index) => (escaped[index % escaped.length] ? encodeURIComponent(character).replace(/^[^%]/, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`) : encodeURIComponent(character))).join('');
    fc.assert(
      fc.property(cleanText, planted.filter((secret) => !secret.text.includes('\n')), fc.array(fc.boolean(), { minLength: 1, maxLength: 16 }), (text, secret, escaped) => {
        const userAgent = percentEscaped(`Mozilla/5.0 (X11) ${text} ${secret.text}`, escaped);
        const line = ['2024-05-01', '10:00:00', '203.0.113.1', 'GET', '/img.png', '200', userAgent, 'CDG50', 'v=2', '512', '0.002', '443'].join('\t');
        const message = { ...chunkOf('cloudfront', [line]), formatContext: { fields } };

        const { entries } = buildEntries(message, observedAt, { redactor });

        expect(entries[0].parseError).to.equal(undefined);
        expect(JSON.stringify(entries)).to.not.include(secret.secret);
      }),
      { numRuns: 1500 },
    );
  });

  it('never stores the value of a field whose name only a header declares, nor the value of a secret-named name/value pair', () => {
    fc.assert(
      fc.property(cleanText, secretKeyName, secretValue, fc.constantFrom('', '/prod/db/'), fc.constantFrom(['name', 'value'], ['Name', 'Value'], ['key', 'value'], ['Key', 'Value']), (text, name, value, path, [nameKey, valueKey]) => {
        const fields = ['date', 'time', 'c-ip', 'cs-method', 'cs-uri-stem', 'sc-status', 'cs(User-Agent)', 'x-edge-location', 'cs-uri-query', 'sc-bytes', 'time-taken', name];
        const cloudFront = ['2024-05-01', '10:00:00', '203.0.113.1', 'GET', '/img.png', '200', encodeURIComponent(text), 'CDG50', 'v=2', '512', '0.002', value].join('\t');
        const pair = JSON.stringify({ level: 'info', msg: text, environment: [{ [nameKey]: `${path}${name}`, [valueKey]: value }] });

        const fromHeader = buildEntries({ ...chunkOf('cloudfront', [cloudFront]), formatContext: { fields } }, observedAt, { redactor }).entries;
        const fromPair = buildEntries(chunkOf('json', [pair]), observedAt, { redactor }).entries;

        expect(fromHeader[0].parseError).to.equal(undefined);
        expect(JSON.stringify([fromHeader, fromPair])).to.not.include(value);
      }),
      { numRuns: 1500 },
    );
  });

  it('stores clean JSON lines exactly as without redaction', () => {
    fc.assert(
      fc.property(cleanText, cleanText, (message, detail) => {
        const chunk = chunkOf('json', [JSON.stringify({ level: 'info', msg: message, detail, nested: { words: [message, detail] } })]);

        const redacted = buildEntries(chunk, observedAt, { redactor });
        const plain = buildEntries(chunk, observedAt);

        expect(redacted).to.deep.equal(plain);
      }),
      { numRuns: 1500 },
    );
  });
});
