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
  /**
   * A match that passes the pattern but whose surroundings say it is no secret: `text` is the whole text matched,
   * `offset` where the match starts (a `Signature=` is one only in a query that also holds `AWSAccessKeyId=`).
   */
  readonly acceptAt?: (text: string, offset: number) => boolean;
  /**
   * The secret holds several values, each replaced on its own and the text between them kept (a cookie header: each
   * cookie's value, its name and the attributes kept): their `[start, end)` ranges in the secret (unquoted). A match
   * with none is left as it is.
   */
  readonly secretSpans?: (secret: string) => ReadonlyArray<readonly [number, number]>;
}

/**
 * Key names whose value is a secret in JSON, logfmt, query strings and headers: the name ends with one of these
 * words (any case, `_`/`-`/`.` or camelCase before it): `password`, `db_password`, `clientSecret`, `access_token`,
 * `x-api-key`, `SecretAccessKey`, `SECRET_KEY`, `secret_key_base`, `signing_key`, `encryption_key`. `tokens`,
 * `token_count`, `max_tokens`, `secretName` and `accessKeyId` do not end so.
 */
const SECRET_KEY_WORDS = String.raw`password|passwd|passphrase|secret|token|api[_-]?key|private[_-]?key|access[_-]?key|credentials?|auth[_-]?key|secret[_-]?key(?:[_-]?base)?|signing[_-]?key|encryption[_-]?key`;
/**
 * Where a value is a path, not a password: shells log the working directory as `PWD=/home/…` (`OLDPWD=~/…`,
 * `C:\…`), so `pwd` is a secret key word only when its value does not start so.
 */
const PATH_START = String.raw`(?:[/~]|[A-Za-z]:[\\/])`;
const PATH_VALUE = new RegExp(`^(?:\\\\?["'])?${PATH_START}`);
/**
 * `pwd` as a password's name in text (`Pwd=…;` in an ODBC connection string, `MYSQL_PWD=…`, `?pwd=…`), unless the
 * value after it is a path (`PWD=/home/deploy`).
 */
const PWD_WORD = String.raw`pwd(?!\\?["']?\s{0,3}[:=]\s{0,3}(?:\\?["'])?${PATH_START})`;
/** The key words of `secret-field` in text: {@link SECRET_KEY_WORDS} and `pwd` before a value that is not a path. */
const SECRET_TEXT_KEY_WORDS = `${SECRET_KEY_WORDS}|${PWD_WORD}`;
const PWD_NAME = /pwd$/i;

/**
 * True for an attribute named `…pwd` (`pwd`, `MYSQL_PWD`, `dbPwd`) whose value is no path: a password, as
 * `{"PWD":"/home/deploy"}` (an environment dump) is the working directory.
 */
export function isPasswordPwd(name: string, value: unknown): boolean {
  if (!PWD_NAME.test(name)) return false;
  return typeof value === 'number' || (typeof value === 'string' && !PATH_VALUE.test(value));
}

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
  // `Pwd=…;`, `MYSQL_PWD=…` (not before a path, see PWD_WORD); on the `p` that `passw` already starts with.
  'pwd',
];

/**
 * Cookie attributes whose value is no secret (`Path=/`, `Expires=Wed, 21 Oct 2026 07:28:00 GMT`, `SameSite=Lax`):
 * kept with their values, as `Secure` and `HttpOnly` are.
 */
const COOKIE_ATTRIBUTE = /^(?:path|domain|expires|max-age|samesite|priority|version|comment|partitioned|secure|httponly)$/i;
/**
 * One `name=value` pair of a cookie list (`Cookie:`, `Set-Cookie:`, several joined with `, `, or CloudFront's
 * `;%20`): a name of token characters (after the start, whitespace, `;`, `,` or `[`, as Go prints a header map), `=`,
 * then a quoted value or one up to `;`, `,`, whitespace, a quote, a backslash or `]`. Linear: every part is a run of
 * one class.
 */
const COOKIE_PAIR = /(?<![^\s;,[])([!#$%&'*+.^_`|~0-9A-Za-z-]+)=("[^"\\]*"|[^;,\s"\\\]]*)/g;
/** A cookie value kept: shorter than this (`_gat=1`, `lang=en`) or a placeholder (`true`, `-`). */
const COOKIE_VALUE_MIN_LENGTH = 4;
const MARKER_START_PATTERN = new RegExp(`^${REDACTION_MARKER}`);

/**
 * The ranges of the cookie values in a cookie list (see {@link COOKIE_PAIR}): every value of at least
 * {@link COOKIE_VALUE_MIN_LENGTH} characters (a quoted one without its quotes) except an attribute's (`Path=/`), a
 * placeholder or an earlier replacement. A list without any `name=value` pair (`Cookie: 3f9a2c…`, a nameless cookie)
 * is one value, replaced whole.
 */
export function cookieValueSpans(list: string): Array<readonly [number, number]> {
  const spans: Array<readonly [number, number]> = [];
  let pairs = 0;
  for (const match of list.matchAll(COOKIE_PAIR)) {
    pairs++;
    const [, name, rawValue] = match;
    const quoted = rawValue.length >= 2 && rawValue.startsWith('"');
    const start = (match.index ?? 0) + name.length + 1 + (quoted ? 1 : 0);
    const value = quoted ? rawValue.slice(1, -1) : rawValue;
    if (COOKIE_ATTRIBUTE.test(name) || !isCookieSecret(value)) continue;
    if (MARKER_START_PATTERN.test(list.slice(start - (quoted ? 1 : 0)))) continue;
    spans.push([start, start + value.length]);
  }
  if (pairs === 0 && isCookieSecret(list) && !/[\s;]/.test(list.trim()) && !MARKER_START_PATTERN.test(list)) return [[0, list.length]];
  return spans;
}

/** A cookie value worth replacing: {@link COOKIE_VALUE_MIN_LENGTH} characters or more, not a placeholder. */
export function isCookieSecret(value: string): boolean {
  return value.length >= COOKIE_VALUE_MIN_LENGTH && !NOT_A_SECRET_VALUE.test(value);
}

/**
 * Attribute names that hold cookies: `cookie`, `cookies`, `set_cookie`, `Set-Cookie`, `setCookie`, and any such name
 * at the end of a dotted or separated path (`http.request.header.cookie`, which CloudFront's `cs(Cookie)` becomes).
 */
const COOKIE_NAME = /(?:^|[^A-Za-z0-9]|set[_-]?|[a-z0-9]Set[_-]?)cookies?$/i;

/** True for an attribute whose value is a cookie list (or, for an object, a cookie jar: name → value). */
export function isCookieName(name: string): boolean {
  return COOKIE_NAME.test(name);
}

/**
 * A cookie list after its header or key name: a quoted one to its closing quote (as {@link FIELD_VALUE}), or an unquoted
 * one of pairs separated by `;` or `,` and blanks (`a=1; b=2`), so a logfmt line's next field (`level=info`) is not
 * taken for a cookie. Each piece is a run of one class that holds no separator: linear.
 */
const COOKIE_LIST = String.raw`"(?:[^"\\\r\n]|\\.)+(?:"|${CUT_OFF})|'[^'\r\n]+(?:'|${CUT_OFF})|\\"(?:${ESCAPED_QUOTED_CONTENT})+(?:\\"|${CUT_OFF_ESCAPED})|(?=[^\s"'\\])[^\s"'\\;,]*(?:[;,][ \t]*[^\s"'\\;,]*)*`;

/** What ends a query string: whitespace, a quote, `#`, `<`, `>`. */
const QUERY_END = /[\s"'#<>]/;

/**
 * A check that the query string around a match (from the whitespace, quote or `#` before it to the one after it)
 * holds every parameter of `names` (`(?:^|[?&])name=`): context for a signature that is only a secret in a signed
 * URL. The query found last is remembered, so a text of many matches in one query is scanned once, not once per
 * match (look-arounds over the query made a megabyte of `&Signature=a` quadratic).
 */
function inQueryWith(...names: string[]): (text: string, offset: number) => boolean {
  const patterns = names.map((name) => new RegExp(String.raw`(?:^|[?&\s"'])${name}=`));
  let lastText: string | undefined;
  let lastStart = -1;
  let lastEnd = -1;
  let lastResult = false;
  return (text, offset) => {
    if (text === lastText && offset >= lastStart && offset < lastEnd) return lastResult;
    let start = offset;
    while (start > 0 && !QUERY_END.test(text[start - 1])) start--;
    let end = offset;
    while (end < text.length && !QUERY_END.test(text[end])) end++;
    const query = text.slice(start, end);
    lastText = text;
    lastStart = start;
    lastEnd = end;
    lastResult = patterns.every((pattern) => pattern.test(query));
    return lastResult;
  };
}

/** Where a query parameter's name starts: the text's start, `?`, `&`, whitespace or a quote. */
const PARAMETER_START = String.raw`(?<![^?&\s"'])`;

/**
 * A credential on a command line, as its flag names it: `--password VALUE` (with a space: `--password=VALUE` is a
 * key/value pair), and `docker login … -p VALUE` (`-pVALUE`, `-p=VALUE`). A value that starts with `-` is the next
 * flag (`psql --password --host db`), and `--password-stdin` takes none. `-p` within 200 characters of `login` (a
 * bound, so a line of many `docker login` without one stays linear).
 */
const COMMAND_PASSWORD = [
  String.raw`((?<![A-Za-z0-9-])--(?:[A-Za-z0-9]+-)*password[ \t]+)("[^"\r\n]+"|'[^'\r\n]+'|[^\s"'-][^\s"']*)`,
  String.raw`((?<![A-Za-z0-9])docker[ \t]+login[ \t][^\r\n|;&]{0,200}?(?<![A-Za-z0-9-])-p(?:[ \t]+|=)?)("[^"\r\n]+"|'[^'\r\n]+'|[^\s"'-][^\s"']*)`,
] as const;

/** A command's argument, as COMMAND_PASSWORD's: quoted whole, or a word that does not start with `-` (the next flag). */
const COMMAND_VALUE = String.raw`("[^"\r\n]+"|'[^'\r\n]+'|[^\s"'-][^\s"']*)`;
/** Where a command's options run (a bound, so a line of many commands without the option stays linear): not past a pipe or `;`/`&`. */
const COMMAND_OPTIONS = String.raw`[ \t][^\r\n|;&]{0,200}?(?<![A-Za-z0-9-])`;
/**
 * Passwords other commands take as an option's argument: `sshpass -p PASSWORD`, `redis-cli -a PASSWORD` (or
 * `--pass`). Not `curl -u user:password`: `curl` would be its trigger, and it is in the user agent of many access-log
 * lines, each of which the event gate then opened (the bench's combined file went from 0.90× to 0.63× of its speed
 * without redaction).
 */
const COMMAND_CREDENTIALS = [
  String.raw`((?<![A-Za-z0-9])sshpass${COMMAND_OPTIONS}-p[ \t]*)${COMMAND_VALUE}`,
  String.raw`((?<![A-Za-z0-9])redis-cli${COMMAND_OPTIONS}(?:-a|--pass)[ \t]+)${COMMAND_VALUE}`,
] as const;
/** Each COMMAND_CREDENTIALS pattern's trigger: the command's name. */
const COMMAND_CREDENTIAL_TRIGGERS = ['sshpass', 'redis-cli'] as const;

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
    name: 'authorization',
    defaultOn: true,
    // HTTP Basic credentials anywhere, as `Bearer` tokens are (nginx's `$http_authorization` logged as an extra field:
    // `"Basic ZGVw…"`; a header of another name): base64 that decodes to text with a `:` (what Basic carries,
    // `user:password`), so the word "Basic" before other text (`Basic auth failed`, `basic plan`) is left alone.
    pattern: new RegExp(
      String.raw`(basic(?<=(?:^|[^A-Za-z0-9]|${PERCENT_ESCAPE})basic)(?:[ \t]|\+|%(?:25)*20)+)([A-Za-z0-9+/]{4,}={0,2})(?![A-Za-z0-9+/=._~-])`,
      'gi',
    ),
    triggers: ['basic'],
    keepsPrefix: true,
    accept: isBasicCredentials,
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
    name: 'url-signature',
    defaultOn: true,
    // AWS Signature Version 4 of a presigned URL (`X-Amz-Signature=<64 hex>`; where the URL is inside another one's
    // query, right after a percent-escape and with its `=` escaped: `%3FX-Amz-Signature%3D…`). Its `X-Amz-Credential` and `X-Amz-Security-Token` are secret-field's.
    pattern: new RegExp(String.raw`(x-amz-signature(?<!(?<!%(?:25)*[0-9A-Fa-f])[A-Za-z0-9-]x-amz-signature)(?:=|%(?:25)*3D))([0-9a-f]{16,})(?![A-Za-z0-9])`, 'gi'),
    triggers: ['amz-signature'],
    keepsPrefix: true,
  },
  {
    name: 'url-signature',
    defaultOn: true,
    // S3 Signature Version 2 (`AWSAccessKeyId=…&Expires=…&Signature=…`) and CloudFront signed URLs (`Expires=…` or
    // `Policy=…`, `Signature=…`, `Key-Pair-Id=…`): `Signature=` only in a query that holds `AWSAccessKeyId=` or
    // `Key-Pair-Id=`, so an application's own `signature=` is left alone.
    pattern: new RegExp(
      String.raw`(${PARAMETER_START}Signature=)(${QUERY_VALUE})`,
      'g',
    ),
    triggers: ['AWSAccessKeyId', 'Key-Pair-Id'],
    keepsPrefix: true,
    acceptAt: inQueryWith('(?:AWSAccessKeyId|Key-Pair-Id)'),
  },
  {
    name: 'url-signature',
    defaultOn: true,
    // An Azure shared access signature: `sig=` in a query that holds `sv=` (the service version) and `sp=` (the
    // permissions). `sp=` is the trigger: `sig` and `sv` start with no character the event gate may add (see
    // `chooseAnchors` in trigger-pattern.ts), `sp=` on the `p` that `passw` already starts with.
    pattern: new RegExp(String.raw`(${PARAMETER_START}sig=)(${QUERY_VALUE})`, 'g'),
    triggers: ['sp='],
    keepsPrefix: true,
    acceptAt: inQueryWith('sv', 'sp'),
  },
  {
    name: 'cookie',
    defaultOn: true,
    // A `Cookie:` / `Set-Cookie:` header's or a `cookie`/`cookies`/`set_cookie` field's value: each cookie's value is
    // replaced, its name and the attributes (`Path=/; HttpOnly`) kept (see cookieValueSpans). Before secret-field, so
    // `csrftoken=…` in it is one replacement.
    pattern: new RegExp(String.raw`((?<![A-Za-z0-9])(?:set[_-]?)?cookies?\\?["']?[ \t]*[:=][ \t]*)(${COOKIE_LIST})`, 'gi'),
    triggers: ['cookie'],
    keepsPrefix: true,
    secretSpans: cookieValueSpans,
  },
  {
    name: 'secret-field',
    defaultOn: true,
    // A password on a command line: `--password VALUE` (see COMMAND_PASSWORD).
    pattern: new RegExp(COMMAND_PASSWORD[0], 'gi'),
    triggers: ['passw'],
    keepsPrefix: true,
    accept: secretFieldValue,
  },
  {
    name: 'secret-field',
    defaultOn: true,
    // `docker login … -p VALUE` (see COMMAND_PASSWORD). Before the other secret-field patterns: its trigger then comes
    // before their `…key` ones in the event gate's `[kK]` alternative, and after them the gate measured 1.4 to 1.7× as
    // slow on the bench's lines (V8 is sensitive to the order of alternatives that share an anchor).
    pattern: new RegExp(COMMAND_PASSWORD[1], 'g'),
    triggers: ['docker'],
    keepsPrefix: true,
    accept: secretFieldValue,
  },
  // `sshpass -p …`, `redis-cli -a …` (see COMMAND_CREDENTIALS).
  ...COMMAND_CREDENTIALS.map(
    (pattern, index): Detector => ({
      name: 'secret-field',
      defaultOn: true,
      pattern: new RegExp(pattern, 'g'),
      triggers: [COMMAND_CREDENTIAL_TRIGGERS[index]],
      keepsPrefix: true,
      accept: secretFieldValue,
    }),
  ),
  {
    name: 'secret-field',
    defaultOn: true,
    // `?access_token=…&`: a query-string parameter's value, to the next `&` (see QUERY_VALUE). Before the general
    // pattern below, which stops at `,;()` and would leave the rest of the value.
    pattern: new RegExp(String.raw`((?<![^?&])[A-Za-z0-9_.-]{0,64}?(?:${SECRET_TEXT_KEY_WORDS})=)(${QUERY_VALUE})`, 'gi'),
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
      String.raw`((?<![A-Za-z0-9])(?<!:[0-9]{12}:)[A-Za-z0-9_.-]{0,64}?(?:${SECRET_TEXT_KEY_WORDS})\\?["']?\s{0,3}[:=]\s{0,3})(${FIELD_VALUE})`,
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

/**
 * True for base64 (padded or not) that decodes to printable UTF-8 text with a `:`, as HTTP Basic credentials
 * (`user:password`) are.
 */
function isBasicCredentials(encoded: string): boolean {
  const unpadded = encoded.replace(/=+$/, '');
  if (unpadded.length % 4 === 1 || (unpadded.length !== encoded.length && encoded.length % 4 !== 0)) return false;
  const decoded = Buffer.from(unpadded, 'base64').toString('utf8');
  return decoded.includes(':') && !/[\u0000-\u001f\u007f\ufffd]/.test(decoded);
}

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
