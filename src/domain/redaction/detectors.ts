import { isIPv6 } from 'node:net';

/**
 * A built-in redaction detector: a pattern over text, whose `secret` part is replaced. Every pattern has the flags
 * `g` (and `i` where case does not matter); group 1, when the pattern has one, is kept in front of the replacement
 * (a key name, `Bearer `, `scheme://user:`), group 2 is the secret; without groups the whole match is the secret.
 */
export interface Detector {
  readonly name: string;
  /** On unless switched off by name. */
  readonly defaultOn: boolean;
  readonly pattern: RegExp;
  /**
   * Substrings at least one of which any match contains, for the one cheap pre-check per string (see
   * `triggerPattern`): one in lower case is compared in any case, one with an upper-case letter exactly as written,
   * as a case-sensitive pattern allows. Undefined when the detector has no such trigger (it then always runs).
   */
  readonly triggers?: readonly string[];
  /**
   * A candidate that passes the pattern but is not a secret (a failed Luhn check, an invalid address, a count under
   * `max_token`). `prefix` is the kept prefix (group 1; '' without one).
   */
  readonly accept?: (secret: string, prefix: string) => boolean;
  /** Group 1 is kept in front of the replacement and group 2 is the secret; otherwise the whole match is. */
  readonly keepsPrefix?: boolean;
  /** A match whose kept prefix matches this is left as it is (`NextToken=…`). */
  readonly rejectPrefix?: RegExp;
}

/**
 * Key names whose value is a secret in JSON, logfmt, query strings and headers: the name ends with one of these
 * words (any case, `_`/`-`/`.` or camelCase before it): `password`, `db_password`, `clientSecret`, `access_token`,
 * `x-api-key`, `SecretAccessKey`, `SECRET_KEY`, `secret_key_base`, `signing_key`, `encryption_key`. `tokens`,
 * `token_count`, `max_tokens`, `secretName` and `accessKeyId` do not end so.
 */
const SECRET_KEY_WORDS = String.raw`password|passwd|passphrase|secret|token|api[_-]?key|private[_-]?key|access[_-]?key|credentials?|auth[_-]?key|secret[_-]?key(?:[_-]?base)?|signing[_-]?key|encryption[_-]?key`;
/** Pagination and bookkeeping tokens are not secrets (`NextToken`, `next_page_token`, `continuationToken`). */
const NOT_SECRET_TOKEN = String.raw`(?:next|page|continuation|pagination|cursor|sync|idempotency|client[_.-]?request)[_.-]?token`;
const NOT_SECRET_KEY = new RegExp(`${NOT_SECRET_TOKEN}$`, 'i');
/**
 * A `…token` name that counts tokens (`max_token`, `output_token`, `promptToken`: language-model usage): a value of
 * at most six digits under it is a count, not a secret. Only these count words: a short number under another `…token`
 * name may be a one-time code (`otp_token`, `mfa_token`, `verification_token`, a bare `token` from a hardware token),
 * and no other secret word (`password`, `pin`, `secret`) is ever exempt.
 */
const COUNT_TOKEN_NAME = String.raw`(?:max|min|input|output|prompt|completion|total|used|remaining|cached|reasoning|generated|new|num|count|limit)[_.-]?token`;
const COUNT_TOKEN_KEY = new RegExp(`${COUNT_TOKEN_NAME}$`, 'i');
/** The kept prefix of a `…token` count in text: `max_token=`, `"output_token": `. */
const COUNT_TOKEN_PREFIX = new RegExp(`${COUNT_TOKEN_NAME}\\\\?["']?\\s*[:=]\\s*$`, 'i');
/** A short integer, quoted or not: `1024`, `"512"`. */
const SHORT_INTEGER = /^(?:"|\\"|')?[0-9]{1,6}(?:"|\\"|')?$/;

/** True for an attribute that counts tokens (`max_token: 512`, `output_token: "256"`): kept, though `…token` names a secret. */
export function isTokenCount(name: string, value: unknown): boolean {
  if (!COUNT_TOKEN_KEY.test(name)) return false;
  if (typeof value === 'number') return Number.isInteger(value) && value >= 0 && value <= 999_999;
  return typeof value === 'string' && SHORT_INTEGER.test(value);
}

/** Structured attribute names: the same words, plus `authorization` (a header captured as an attribute). */
const SECRET_KEY_NAME = new RegExp(`(?:${SECRET_KEY_WORDS}|authorization)$`, 'i');

/** True for an attribute name whose value is a secret as a whole (`password`, `db.password`, `accessToken`). */
export function isSecretKeyName(name: string): boolean {
  return SECRET_KEY_NAME.test(name) && !NOT_SECRET_KEY.test(name);
}

/** The names `--redact` allows for a rule, and so the kinds a replacement can carry. */
export const RULE_NAME = String.raw`[a-z][a-z0-9_-]{0,39}`;

/**
 * Exactly what a replacement writes: `[REDACTED:<kind>]` or `[REDACTED:<kind>:<16 hex>]`. Only this counts as an
 * earlier replacement; any other `[REDACTED:` in the input is text like the rest (a line may hold one on purpose).
 */
export const REDACTION_MARKER = String.raw`\[REDACTED:${RULE_NAME}(?::[0-9a-f]{16})?\]`;

/**
 * Where a quoted value may end without its closing quote: at a line break, or at the end of the text (a line cut at
 * the event size limit, maybe in the middle of an escape, so after up to three stray backslashes).
 */
const CUT_OFF = String.raw`\\{0,3}(?:(?=[\r\n])|$)`;
/** The same for a `\"`-quoted value, whose content may hold line breaks: only the end of the text. */
const CUT_OFF_ESCAPED = String.raw`\\{0,3}$`;

/**
 * The content of a string quoted with `\"` (a JSON string inside a JSON string), token by token: a character, an
 * escape of the inner string's text (`\n`), or an escaped escape (`\\\"`, the inner string's own quote). The three
 * start differently, so a run is matched one way only (linear, however long).
 */
const ESCAPED_QUOTED_CONTENT = String.raw`[^"\\]|\\[^"\\]|\\\\(?:\\[\s\S]|[^"\\])`;

/**
 * A value after `key=` / `key: ` / `"key": `: a quoted string (JSON escapes allowed; one cut off by the end of the
 * line or text runs to there) or a run up to a delimiter. No length cap: each alternative is a run of one class (or of
 * tokens that start differently) with nothing after it that can fail, so it is matched in linear time.
 */
const FIELD_VALUE = String.raw`"(?:[^"\\\r\n]|\\.)+(?:"|${CUT_OFF})|'[^'\r\n]+(?:'|${CUT_OFF})|\\"(?:${ESCAPED_QUOTED_CONTENT})+(?:\\"|${CUT_OFF_ESCAPED})|[^\s"'&,;<>(){}\[\]\\]+`;

/**
 * An Authorization header's value: a quoted one to its closing quote, escaped quotes inside included (`"Digest
 * username=\"bob\", response=\"…\""`), or an unquoted one to the end of the line or the quote that closes an
 * argument, taking the quoted parameters of a Digest header (`username="bob", response="…"`, or `username=\"bob\"` in
 * JSON text) with it.
 */
const AUTHORIZATION_VALUE = String.raw`"(?:[^"\\\r\n]|\\.){4,}(?:"|${CUT_OFF})|'[^'\r\n]{4,}(?:'|${CUT_OFF})|\\"(?:${ESCAPED_QUOTED_CONTENT}){4,}(?:\\"|${CUT_OFF_ESCAPED})|(?!["']|\\["'])(?:[^"'\\\r\n]|\\[^"'\r\n]|(?<==)"[^"\r\n]*(?:"|${CUT_OFF})|(?<==)\\"(?:[^"\\\r\n]|\\[^"\r\n])*(?:\\"|${CUT_OFF})){4,}`;

/**
 * A query-string value (its key right after `?` or `&`, or starting the text, as a `url.query` attribute does): it runs
 * to the next `&`, `#`, whitespace, quote or backslash (`\u0026`, `\"` in JSON text), so `?token=abc,Zq9v…&x=1` is
 * replaced whole, where {@link FIELD_VALUE} stops at `,`. One character class with nothing after it: linear.
 */
const QUERY_VALUE = String.raw`[^\s"'&#\\]+`;

/**
 * A percent-escape of one level or more (`%20`, and `%2520` where CloudFront encodes the `%` again): `%`, any number of
 * `25`, two hex digits. Used only inside a look-behind that runs where its detector's literal start matched, so a long
 * run of `%2525…` is scanned once per match, not once per position.
 */
const PERCENT_ESCAPE = String.raw`%(?:25)*[0-9A-Fa-f]{2}`;

/**
 * `literal` where it starts a word: not right after a letter or digit, except one that ends a percent-escape of any
 * level (`%3D`, `%2520`). The look-behind runs only where `literal` matched.
 */
function wordStart(literal: string): string {
  return String.raw`${literal}(?<!(?<!%(?:25)*[0-9A-Fa-f])[A-Za-z0-9]${literal})`;
}

/**
 * Credentials that carry their vendor's prefix, each in its full shape (prefix, alphabet, length, a word boundary on
 * both sides), so `ghp_` in prose, `task-12` or `sk-` in a word are left alone:
 * GitHub tokens (`ghp_`/`gho_`/`ghu_`/`ghs_`/`ghr_` + 36 letters and digits, up to GitHub's announced 255 in all;
 * `github_pat_` + 22 or more), GitLab personal tokens (`glpat-` + 20 or more, with the dotted suffix of the newer ones),
 * Slack tokens (`xoxb-`, `xoxp-`, `xoxa-`, `xoxo-`, `xoxs-`, `xoxr-` + at least 20 characters of dash-separated
 * segments with a digit), Stripe secret and restricted keys, live and test (`sk_live_`, `rk_live_`, `sk_test_`,
 * `rk_test_` + 24 or more: a test key still reads and changes the account's test data and settings; publishable
 * `pk_` keys are public by design), Google API keys (`AIza` + 35), OpenAI keys (`sk-proj-`, `sk-svcacct-`,
 * `sk-admin-` + 40 or more; a legacy `sk-` + 48 only with the `T3BlbkFJ` every one of them has at position 20, so
 * that 48 random characters after `sk-` are not taken for one).
 */
const VENDOR_TOKEN = [
  String.raw`${wordStart('gh[pousr]_')}[A-Za-z0-9]{36,251}(?![A-Za-z0-9])`,
  String.raw`${wordStart('github_pat_')}[A-Za-z0-9_]{22,}`,
  String.raw`${wordStart('glpat-')}[A-Za-z0-9_-]{20,}(?:\.[A-Za-z0-9_-]+){0,2}`,
  String.raw`${wordStart('xox[abposr]-')}(?=[A-Za-z0-9-]{20})(?=[A-Za-z0-9-]*[0-9])[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*`,
  String.raw`${wordStart('[sr]k_(?:live|test)_')}[A-Za-z0-9]{24,}`,
  String.raw`${wordStart('AIza')}[A-Za-z0-9_-]{35}(?![A-Za-z0-9_-])`,
  String.raw`${wordStart('sk-(?:proj|svcacct|admin)-')}[A-Za-z0-9_-]{40,}`,
  String.raw`${wordStart('sk-')}[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}(?![A-Za-z0-9])`,
].join('|');

/** A path separator of a URL: `/`, `\/` in JSON text, or a percent-escaped one of any level (`%2F`, `%252F`). */
const URL_SLASH = String.raw`(?:\/|\\\/|%(?:25)*2[fF])`;

/**
 * The triggers of `secret-field`. `authorization` too: a value under an attribute of that name is replaced whole
 * (isSecretKeyName). `key` is a secret word only after `api`, `private`, `access` or `auth` (an optional `_`/`-`
 * between), so the triggers are the letter before it and the separator: a bare `key` (`cache evicted 128 keys`, 10 %
 * of the bench's mixed file) then costs one test of the event, not the whole redaction of every string of the entry.
 * Likewise `passw`/`passp` (password, passwd, passphrase) rather than `pass` (`tests passed`, `bypass`).
 */
const SECRET_FIELD_TRIGGERS = [
  'passw',
  'passp',
  'secret',
  'token',
  'credential',
  'authorization',
  // `signing_key`, `encryption_key`: the word's last three letters, as `ingkey` and `ionkey` (`monkey`, `donkey` and
  // `turnkey` end in `nkey` alone). `secret_key` and `secret_key_base` hold `secret`.
  ...['i', 'e', 's', 'h', 'ing', 'ion'].flatMap((ending) => ['', '_', '-'].map((separator) => `${ending}${separator}key`)),
];

/**
 * The triggers of `vendor-token`: each prefix as written (the patterns are case-sensitive; a lower-case trigger is
 * tested in any case, which only opens a few more events). `hooks.slack` for the webhook URLs. Slack's `xoxb-` (bot)
 * and `xoxp-` (user) only: `xoxa-`, `xoxo-`, `xoxs-` and `xoxr-` (legacy and refresh tokens) share no character with
 * the other triggers but `xox-`, and a 17th first character of the event gate makes it three times as slow (see
 * `chooseAnchors` in trigger-pattern.ts); they are replaced in an event another trigger opens (`token`, `Bearer`).
 */
const VENDOR_TOKEN_TRIGGERS = ['ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_', 'github_pat_', 'glpat-', 'xoxb-', 'xoxp-', 'k_live_', 'k_test_', 'AIza', 'sk-proj-', 'sk-svcacct-', 'sk-admin-', 'T3BlbkFJ', 'hooks.slack'];

/** Values a secret-named key often holds that are no secret, quoted or not (any case). */
const NOT_A_SECRET_VALUE = /^(?:"|\\"|')?(?:null|true|false|none|undefined|-|\*+)?(?:"|\\"|')?$/i;

/** A value of a secret-named key that is a secret: not a placeholder, not an earlier replacement, not a token count. */
function secretFieldValue(secret: string, prefix: string): boolean {
  if (NOT_A_SECRET_VALUE.test(secret) || REPLACED_VALUE.test(secret)) return false;
  return !(SHORT_INTEGER.test(secret) && COUNT_TOKEN_PREFIX.test(prefix));
}
/** An earlier replacement, quoted or not: exactly as written (`[redacted:…]` or a longer kind is text like any other). */
const REPLACED_VALUE = new RegExp(String.raw`^(?:"|\\"|')?${REDACTION_MARKER}(?:"|\\"|')?$`);

/** Order matters: a longer, more specific detector runs first, so `Authorization: Bearer eyJ…` counts once. */
export const DETECTORS: readonly Detector[] = [
  {
    name: 'private-key',
    defaultOn: true,
    // A PEM private key block, whole; one cut off (truncated event, unterminated) is redacted to the end of the text.
    pattern: /-----BEGIN ((?:[A-Z0-9]+ )*)PRIVATE KEY(?: BLOCK)?-----[\s\S]*?(?:-----END \1PRIVATE KEY(?: BLOCK)?-----|$(?![\s\S]))/g,
    // `PRIVATE`, not `PRIVATE KEY`: with no space in any trigger, a percent-escaped space (`%20`, in every CloudFront
    // user agent) cannot hide one, and the event gate need not open on it (see `hidingEscapes`).
    triggers: ['PRIVATE'],
  },
  {
    name: 'authorization',
    defaultOn: true,
    // An Authorization header's whole value (any scheme: Bearer, Basic, AWS4-HMAC-SHA256, Digest), as a header line,
    // a JSON/logfmt field, or a `-H 'Authorization: …'` argument.
    pattern: new RegExp(String.raw`((?:proxy-)?authorization\\?["']?\s*[:=]\s*)(${AUTHORIZATION_VALUE})`, 'gi'),
    triggers: ['authorization'],
    keepsPrefix: true,
  },
  {
    name: 'authorization',
    defaultOn: true,
    // A bearer token anywhere: `Bearer <token>`, where the token has a digit or symbol (so "Bearer authentication
    // failed" stays as it is). `Bearer` starts the text or follows a character that is not a letter or digit, or a
    // percent-escape of any level (`a%20Bearer`, `curl/8%2520Bearer`: the escape ends in a digit); in a URL the space
    // after it is `+` or an escaped space (`%20`, `%2520`). The look-behind runs only where `bearer` matched. A
    // `key=value` after it is the next field, not a token (`token_type=Bearer expires_in=3600`): a token's `=` is
    // only base64 padding, at its end.
    pattern: new RegExp(
      String.raw`(bearer(?<=(?:^|[^A-Za-z0-9]|${PERCENT_ESCAPE})bearer)(?:\s|\+|%(?:25)*20)+)(?![A-Za-z_][A-Za-z0-9_.-]*=[A-Za-z0-9._~+/-])((?=[A-Za-z0-9._~+/=-]*[0-9._~+/=-])[A-Za-z0-9._~+/=-]{8,})`,
      'gi',
    ),
    triggers: ['bearer'],
    keepsPrefix: true,
  },
  {
    name: 'jwt',
    defaultOn: true,
    // Not inside a longer run of base64url characters, but right after a percent-escape of any level (`%3D`, `%253D`,
    // whose last character is a digit); the look-behind runs only where `eyJ` matched.
    pattern: new RegExp(
      String.raw`eyJ(?<!(?<!%(?:25)*[0-9A-Fa-f])[A-Za-z0-9_-]eyJ)[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*`,
      'g',
    ),
    triggers: ['eyJ'],
  },
  {
    name: 'aws-secret-key',
    defaultOn: true,
    // 40 characters of base64 right after an AWS secret key's name: `aws_secret_access_key = …`, `"SecretAccessKey":"…"`.
    pattern:
      /((?:aws)?[_.-]?secret[_.-]?(?:access)?[_.-]?key(?:[_.-]?id)?\\?["']?\s*[:=]\s*\\?["']?)([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])/gi,
    triggers: ['secret'],
    keepsPrefix: true,
  },
  {
    name: 'aws-access-key',
    defaultOn: true,
    // Access key ids of long-term (AKIA) and temporary (ASIA) credentials: 20 upper-case letters and digits, not inside a
    // longer run of them (but right after a percent escape of any level such as `%20` or `%2520`, whose last character
    // is a digit). The look-behind runs only where `AKIA`/`ASIA` matched.
    pattern: new RegExp(String.raw`A[KS]IA(?<!(?<!%(?:25)*[0-9A-Fa-f])[A-Za-z0-9]A[KS]IA)[A-Z0-9]{16}(?![A-Za-z0-9])`, 'g'),
    triggers: ['AKIA', 'ASIA'],
  },
  {
    name: 'url-password',
    defaultOn: true,
    // `scheme://user:password@host`: the password only. In JSON text `:\/\/` is the same thing.
    pattern: /((?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]{0,30}:(?:\/\/|\\\/\\\/)[^\s:@/?#"'<>\\]*:)([^\s@/?#"'<>\\]+)(?=@)/g,
    // Every match ends at the `@` before the host, and `@` is much rarer in logs than `://` (every referer has one).
    triggers: ['@'],
    keepsPrefix: true,
  },
  {
    name: 'vendor-token',
    defaultOn: true,
    // Credentials recognisable by their own prefix, wherever they stand (see VENDOR_TOKEN). After `url-password`, so
    // `https://user:ghp_…@` is one replacement; before `secret-field`, so `GITHUB_TOKEN=ghp_…` is one too.
    pattern: new RegExp(VENDOR_TOKEN, 'g'),
    triggers: VENDOR_TOKEN_TRIGGERS,
  },
  {
    name: 'vendor-token',
    defaultOn: true,
    // A Slack incoming-webhook URL: its `T…/B…/…` path is the credential (the host is kept). In JSON text or a query
    // string its slashes may be escaped (`\/`, `%2F`).
    pattern: new RegExp(
      String.raw`(hooks\.slack\.com${URL_SLASH}services${URL_SLASH})(T[A-Z0-9]{6,}${URL_SLASH}B[A-Z0-9]{6,}${URL_SLASH}[A-Za-z0-9]{20,})`,
      'g',
    ),
    triggers: VENDOR_TOKEN_TRIGGERS,
    keepsPrefix: true,
  },
  {
    name: 'secret-field',
    defaultOn: true,
    // `?access_token=…&`: a query-string parameter's value, to the next `&` (see QUERY_VALUE). Before the general
    // pattern below, which stops at `,;()` and would leave the rest of the value.
    pattern: new RegExp(String.raw`((?<![^?&])[A-Za-z0-9_.-]{0,64}?(?:${SECRET_KEY_WORDS})=)(${QUERY_VALUE})`, 'gi'),
    triggers: SECRET_FIELD_TRIGGERS,
    keepsPrefix: true,
    rejectPrefix: new RegExp(`${NOT_SECRET_TOKEN}=$`, 'i'),
    accept: secretFieldValue,
  },
  {
    name: 'secret-field',
    defaultOn: true,
    // `password=…`, `"api_key": "…"`, `X-Api-Key: …`: the value of a secret-named key. Not the resource type of an
    // ARN, which follows the 12-digit account id (`arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf`
    // names a secret, it holds none).
    pattern: new RegExp(
      String.raw`((?<![A-Za-z0-9])(?<!:[0-9]{12}:)[A-Za-z0-9_.-]{0,64}?(?:${SECRET_KEY_WORDS})\\?["']?\s{0,3}[:=]\s{0,3})(${FIELD_VALUE})`,
      'gi',
    ),
    triggers: SECRET_FIELD_TRIGGERS,
    keepsPrefix: true,
    rejectPrefix: new RegExp(`${NOT_SECRET_TOKEN}\\\\?["']?\\s*[:=]\\s*$`, 'i'),
    accept: secretFieldValue,
  },
  {
    name: 'email',
    defaultOn: false,
    pattern: /(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})*\.[A-Za-z]{2,24}(?![A-Za-z0-9-])/g,
    triggers: ['@'],
  },
  {
    name: 'credit-card',
    defaultOn: false,
    // 13-19 digits, optionally grouped by spaces or dashes, that pass the Luhn check.
    pattern: /(?<![0-9])[0-9](?:[ -]?[0-9]){12,18}(?![0-9])/g,
    accept: (secret) => luhnValid(secret.replace(/[ -]/g, '')),
  },
  {
    name: 'ssn',
    defaultOn: false,
    // US social security numbers written AAA-GG-SSSS, without the never-issued 000, 666, 9xx areas, 00 group, 0000 serial.
    pattern: /(?<![0-9-])(?!000|666|9[0-9]{2})[0-9]{3}-(?!00)[0-9]{2}-(?!0000)[0-9]{4}(?![0-9-])/g,
  },
  {
    name: 'ipv4',
    defaultOn: false,
    pattern: /(?<![0-9.])(?:(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])(?![0-9]|\.[0-9])/g,
  },
  {
    name: 'ipv6',
    defaultOn: false,
    pattern: /(?<![0-9A-Za-z:])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|(?:[0-9]{1,3}\.){3}[0-9]{1,3})?(?![0-9A-Za-z:])/g,
    triggers: [':'],
    accept: (secret) => isIPv6(secret),
  },
];

/** Names a `--redact` list may use for several detectors at once. */
export const DETECTOR_ALIASES: Readonly<Record<string, readonly string[]>> = {
  defaults: [...new Set(DETECTORS.filter((detector) => detector.defaultOn).map((detector) => detector.name))],
  ip: ['ipv4', 'ipv6'],
};

export const DETECTOR_NAMES: readonly string[] = [...new Set(DETECTORS.map((detector) => detector.name))];

function luhnValid(digits: string): boolean {
  if (digits.length < 13 || digits.length > 19) return false;
  let sum = 0;
  for (let index = 0; index < digits.length; index++) {
    let digit = digits.charCodeAt(digits.length - 1 - index) - 48;
    if (index % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}
