import { expect } from 'chai';
import { buildEntries } from '../../../src/domain/entry-builder.js';
import type { LogEntry } from '../../../src/domain/log-entry.js';
import { DEFAULT_REDACTION, Redactor } from '../../../src/domain/redaction/redactor.js';
import { chunkMessageFactory as chunkOf } from '../../helpers/factories.js';

const redactor = Redactor.compile(DEFAULT_REDACTION)!;
const entriesOf = (format: string, lines: string[]): LogEntry[] => buildEntries(chunkOf(format, lines), new Date(0), { redactor }).entries;
const entryOf = (format: string, line: string): LogEntry => entriesOf(format, [line])[0];

describe('Redactor', () => {
  describe('redactEntry', () => {
    it('masks a replaced value in every string attribute, under names no rule knows too (JSON and logfmt)', () => {
      const json = entryOf('json', '{"msg":"signup","params":{"email":"bob@example.com","password":"Sign0pPw5t","password_confirmation":"Sign0pPw5t"}}');
      const logfmt = entryOf('logfmt', 'level=info msg="user signup" password=Sign0pPw5t password_confirmation=Sign0pPw5t note="retyped Sign0pPw5t"');

      expect(json.attributes.params).to.deep.equal({ email: 'bob@example.com', password: '[REDACTED:secret-field]', password_confirmation: '[REDACTED:secret-field]' });
      expect(json.redactions).to.deep.equal({ 'secret-field': 1 });
      expect(logfmt.attributes).to.include({ password: '[REDACTED:secret-field]', password_confirmation: '[REDACTED:secret-field]', note: 'retyped [REDACTED:secret-field]' });
      expect(JSON.stringify([json, logfmt])).not.to.include('Sign0pPw5t');
    });

    it('masks a value the detectors replaced in the body in the attributes too, and leaves an entry without replacements as it is', () => {
      const entry: LogEntry = { batchId: 'b', lineNumber: 1, observedTimestamp: '', body: 'login token=Zq9vK2mLp4Rn8', attributes: { copy: ['Zq9vK2mLp4Rn8'] }, format: 'text' };
      const clean: LogEntry = { ...entry, body: 'token count 3', attributes: { nested: { a: 'b' } } };

      expect(redactor.redactEntry(entry, entry.body).attributes).to.deep.equal({ copy: ['[REDACTED:secret-field]'] });
      expect(redactor.redactEntry(clean, clean.body).attributes).to.equal(clean.attributes);
    });
  });

  describe('vendor-token', () => {
    const tokens = {
      github: 'ghp_4Qwb8DwkNhFdnXsiVpzz63FfkCzJr4i0B3Jr',
      githubInstallation: 'ghs_NPRVdD53X83RZJzzzzgEOzdmenCkhvMdgaKj',
      githubFineGrained: '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',
      gitlab: 'glpat-xK8mQ2vR9tZ4wB7nC3dF',
      slackBot: 'xoxb-2947518234-5829374612039-Hq7Tz9VxK2mLp4Rn8WcYs3Bd',
      slackUser: 'xoxp-2947518234-2947518300-5829374612077-9f8e7d6c5b4a39281706f5e4d3c2b1a0',
      stripe: 'sk_live_51HFwUbbYrEqmSM9wCZ7Uw9xfogoEmvnEN5N1aE6PwZPf1Qh6yYTWmE4lBYOvf',
      stripeTest: 'sk_test_4eC39HqLyjWDarjtT1zdp7dc0123',
      google: 'AIzaSynr3yBdGBLEPH1qhT61qtc4xatws8phP9n',
      openaiProject: 'sk-proj-4fT9kQ2xLm7Vr8Wz3Bn6Hc1Jd5Pg0Sa9Ue2Ki7No4Qr1Tv8Wy3Ab6Ed9Gh2Jl5Mp',
      openaiLegacy: 'sk-abcdefghij0123456789T3BlbkFJabcdefghij0123456789',
    };

    it('replaces credentials recognised by their prefix wherever they stand, one event opened by each alone', () => {
      for (const [name, token] of Object.entries(tokens)) {
        const line = `2024-05-01T10:00:00Z INFO [x] using ${token}, then retry`;

        expect(entryOf('text', line).body, name).to.equal('2024-05-01T10:00:00Z INFO [x] using [REDACTED:vendor-token], then retry');
      }
    });

    it('replaces a token as URL userinfo without a colon, a Slack webhook path and a Google key in a query string', () => {
      expect(redactor.redactString(`git clone https://${tokens.github}@github.com/acme/infra.git`)).to.equal('git clone https://[REDACTED:vendor-token]@github.com/acme/infra.git');
      expect(redactor.redactString(`remote=https://${tokens.gitlab}@gitlab.com/acme/app.git`)).to.equal('remote=https://[REDACTED:vendor-token]@gitlab.com/acme/app.git');
      expect(entryOf('logfmt', 'msg=sent webhook=https://hooks.slack.com/services/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').attributes.webhook).to.equal(
        'https://hooks.slack.com/services/[REDACTED:vendor-token]',
      );
      expect(redactor.redactString('{"u":"https:\\/\\/hooks.slack.com\\/services\\/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"}')).to.equal(
        '{"u":"https:\\/\\/hooks.slack.com\\/services\\/[REDACTED:vendor-token]"}',
      );
      expect(redactor.redactString(`/geocode/json?address=Berlin&key=${tokens.google}&x=1`)).to.equal('/geocode/json?address=Berlin&key=[REDACTED:vendor-token]&x=1');
    });

    it('counts a token under a secret-named key once', () => {
      const entry = entryOf('logfmt', `level=info GITHUB_TOKEN=${tokens.github}`);

      expect(redactor.redactString(`GITHUB_TOKEN=${tokens.github}`)).to.equal('GITHUB_TOKEN=[REDACTED:vendor-token]');
      expect(entry.attributes.GITHUB_TOKEN).to.equal('[REDACTED:secret-field]');
      expect(Object.values(entry.redactions ?? {}).reduce((sum, count) => sum + count, 0)).to.equal(1);
    });

    it('leaves prefixes without the full shape alone: prose, short or long runs, inside a word, publishable keys', () => {
      const texts = [
        'set the ghp_ prefix in task-12 and xoxb- tokens',
        'ghp_abc123 sk-proj-x glpat-short AIzaShort sk_live_short',
        `x${tokens.github} my${tokens.google}`,
        `${tokens.github.slice(0, -1)} ${tokens.google}x ${tokens.gitlab.slice(0, -1)}`,
        'pk_live_51HFwUbbYrEqmSM9wCZ7Uw9xfogoEmvnEN5N1a',
        'sk-abcdefghij0123456789abcdefghijabcdefghij012345678',
        'xoxb-1-features',
      ];

      for (const text of texts) expect(redactor.redactString(text), text).to.equal(text);
    });
  });

  describe('secret-field', () => {
    it('replaces secret key names: SECRET_KEY, secret_key_base, secretKey, signing_key, encryption_key', () => {
      const json = entryOf('json', '{"SECRET_KEY":"django-insecure-8x#q2v","secret_key_base":"176813e02ea6","secretKey":"jwtS1gn","signing_key":"sgk_4Rt7","encryption_key":"enc_6Sd9"}');
      const logfmt = redactor.redactString('SECRET_KEY=django-insecure-8xq2vk9 signingKey=sgk_4Rt7 encryptionKey=enc_6Sd9');

      expect(Object.values(json.attributes)).to.deep.equal(Array(5).fill('[REDACTED:secret-field]'));
      expect(logfmt).to.equal('SECRET_KEY=[REDACTED:secret-field] signingKey=[REDACTED:secret-field] encryptionKey=[REDACTED:secret-field]');
      expect(redactor.redactEntry(entryOf('text', 'cache evicted 128 keys, monkey'), 'cache evicted 128 keys, monkey').redactions).to.equal(undefined);
    });

    it('keeps a Secrets Manager ARN, in text and in a CloudTrail record', () => {
      const arn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf';
      const record = JSON.stringify({ eventName: 'GetSecretValue', requestParameters: { secretId: arn }, resources: [{ type: 'AWS::SecretsManager::Secret', ARN: arn }] });

      expect(redactor.redactString(`secretArn=${arn} secret_name=prod/db/main`)).to.equal(`secretArn=${arn} secret_name=prod/db/main`);
      const entry = entryOf('json', record);
      expect(entry.redactions).to.equal(undefined);
      expect(entry.attributes.requestParameters).to.deep.equal({ secretId: arn });
    });

    it('keeps a short integer under a token-count name, but not under other token names', () => {
      const text = 'max_token=1024 output_token=256 promptToken=12 otp_token=123456 mfa_token=4821 token=123456 max_token=abcdef1';
      const json = entryOf('json', '{"max_token":512,"output_token":"256","otp_token":123456,"verification_token":"482913","password":1234}');

      expect(redactor.redactString(text)).to.equal(
        'max_token=1024 output_token=256 promptToken=12 otp_token=[REDACTED:secret-field] mfa_token=[REDACTED:secret-field] token=[REDACTED:secret-field] max_token=[REDACTED:secret-field]',
      );
      expect(json.attributes).to.deep.equal({
        max_token: 512,
        output_token: '256',
        otp_token: '[REDACTED:secret-field]',
        verification_token: '[REDACTED:secret-field]',
        password: '[REDACTED:secret-field]',
      });
    });
  });

  describe('authorization', () => {
    it('takes no key=value after Bearer for a token, and still takes a token with base64 padding', () => {
      expect(redactor.redactString('token_type=Bearer expires_in=3600 scope=read')).to.equal('token_type=Bearer expires_in=3600 scope=read');
      expect(redactor.redactString('auth Bearer abc123def456== next')).to.equal('auth Bearer [REDACTED:authorization] next');
      expect(redactor.redactString('auth Bearer abc123def456=')).to.equal('auth Bearer [REDACTED:authorization]');
    });
  });
});
