import { createHmac } from 'node:crypto';
import { ConfigurationError } from '../errors.js';
import type { AttributeValue, Attributes, LogEntry } from '../log-entry.js';
import { cookieValueSpans, DETECTOR_ALIASES, DETECTOR_NAMES, DETECTORS, type Detector, isCookieName, isCookieSecret, isPasswordPwd, isSecretKeyName, isTokenCount, REDACTION_MARKER, RULE_NAME } from './detectors.js';
import { ignoresCase, triggerPattern } from './trigger-pattern.js';

/** How redaction is configured (`LOGBATCH_REDACT`, `--redact`, `--no-redact`, `LOGBATCH_REDACT_KEY`). */
export interface RedactionSettings {
  /**
   * Comma-separated detectors and rules: built-in names (`email`), aliases (`defaults`, `ip`), `-name` to switch one
   * off, `name=REGEX` for a custom rule. `none` (or an empty list) switches redaction off. @default 'defaults'
   */
  readonly redact: string;
  /** `mask` writes `[REDACTED:<kind>]`; `hmac` writes `[REDACTED:<kind>:<16 hex of HMAC-SHA256>]`. @default 'mask' */
  readonly replacement: 'mask' | 'hmac';
  /** The HMAC key; required with `replacement: 'hmac'`. */
  readonly key?: string;
}

export const DEFAULT_REDACTION: RedactionSettings = { redact: 'defaults', replacement: 'mask' };

/** A custom `name=REGEX` rule or a built-in detector, ready to run. */
interface CompiledDetector extends Detector {
  /** Case-insensitive test of the detector's triggers; undefined runs the detector on every string. */
  readonly trigger?: RegExp;
}

/** The detectors a `--redact` list selects, in their run order, plus custom rules; throws {@link ConfigurationError}. */
export function parseRedactList(spec: string): { builtIn: string[]; custom: { name: string; pattern: RegExp }[] } {
  const tokens = splitRedactList(spec);
  const selected = new Set<string>();
  const custom: { name: string; pattern: RegExp }[] = [];
  if (tokens.length > 0 && tokens.every((token) => token.startsWith('-'))) DETECTOR_ALIASES.defaults.forEach((name) => selected.add(name));
  for (const token of tokens) {
    if (token === 'none') {
      selected.clear();
      continue;
    }
    const equals = token.indexOf('=');
    if (equals > 0) {
      const name = token.slice(0, equals);
      if (!RULE_NAME_ONLY.test(name)) throw new ConfigurationError(`redaction rule name ${JSON.stringify(name)}: use lower-case letters, digits, "-" and "_"`);
      if (DETECTOR_NAMES.includes(name) || Object.hasOwn(DETECTOR_ALIASES, name)) throw new ConfigurationError(`redaction rule ${name}= reuses a built-in detector's name`);
      const source = token.slice(equals + 1);
      let pattern: RegExp;
      try {
        pattern = new RegExp(source, 'g');
      } catch (error) {
        throw new ConfigurationError(`redaction rule ${name}: ${JSON.stringify(source)} is not a regular expression: ${(error as Error).message}`);
      }
      if (pattern.test('')) throw new ConfigurationError(`redaction rule ${name}: ${JSON.stringify(source)} matches empty text`);
      custom.push({ name, pattern });
      continue;
    }
    const off = token.startsWith('-');
    const name = off ? token.slice(1) : token;
    const names = DETECTOR_ALIASES[name] ?? (DETECTOR_NAMES.includes(name) ? [name] : undefined);
    if (names === undefined) {
      throw new ConfigurationError(`unknown redaction detector ${JSON.stringify(name)}: use ${[...Object.keys(DETECTOR_ALIASES), ...DETECTOR_NAMES, 'none'].join(', ')} or name=REGEX`);
    }
    for (const each of names) {
      if (off) selected.delete(each);
      else selected.add(each);
    }
  }
  return { builtIn: DETECTOR_NAMES.filter((name) => selected.has(name)), custom };
}

/**
 * Splits on commas, except inside a custom rule's regular expression: a piece that is not a detector name, a
 * `-name` or a `name=` starts nothing and belongs to the rule before it (`card=\d{4},\d{4}` stays one rule).
 */
function splitRedactList(spec: string): string[] {
  const tokens: string[] = [];
  for (const piece of spec.split(',')) {
    const trimmed = piece.trim();
    const previous = tokens.at(-1);
    const startsToken = /^-?[a-z][a-z0-9_-]*(?:=|$)/.test(trimmed);
    if (previous !== undefined && previous.includes('=') && !startsToken) tokens[tokens.length - 1] = `${previous},${piece}`;
    else if (trimmed !== '') tokens.push(trimmed);
  }
  return tokens;
}

/**
 * Replaces secrets and (opt-in) personal data in an entry's body, every attribute value (recursively, inside nested
 * objects and arrays) and its parse error, and counts the replacements by kind. Compiled once per worker.
 */
export class Redactor {
  private readonly detectors: readonly CompiledDetector[];
  /**
   * One test per event on its raw text: when no detector's trigger (nor an escape that could hide one: `\u`, a
   * percent-escape, `\/`) occurs anywhere in it, nothing derived from it can match, and the entry is left as it is.
   * Parsers only decode escapes; none changes the case of a value, so exact triggers (`AKIA`) hold for the raw text.
   */
  private readonly eventGate: RegExp | undefined;
  private readonly stringGate: RegExp | undefined;
  private readonly mask: (kind: string, secret: string) => string;
  /** `secret-field` is on: a value under a secret-named attribute is replaced whole. */
  private readonly secretKeys: boolean;
  /** `cookie` is on: the value of a cookie-named attribute has each cookie's value replaced. */
  private readonly cookies: boolean;
  private counts: Record<string, number> | undefined;
  /**
   * While an entry is redacted: the values replaced so far, masked in its body, parse error and raw text afterwards
   * and looked for in them behind escapes; `rawUncheckable` when one of them (a number under a secret-named key) has
   * no one text form.
   */
  private replaced: ReplacedValue[] | undefined;
  private rawUncheckable = false;

  private constructor(detectors: CompiledDetector[], settings: RedactionSettings) {
    this.detectors = detectors;
    this.secretKeys = detectors.some((detector) => detector.name === 'secret-field');
    this.cookies = detectors.some((detector) => detector.name === 'cookie');
    const triggers = detectors.every((detector) => detector.trigger !== undefined) ? detectors.flatMap((detector) => detector.triggers ?? []) : undefined;
    this.stringGate = triggers === undefined ? undefined : triggerPattern(triggers);
    this.eventGate = triggers === undefined ? undefined : triggerPattern(triggers, hidingEscapes(triggers));
    if (settings.replacement === 'hmac') {
      const key = settings.key;
      if (key === undefined || key === '') throw new ConfigurationError('hmac redaction needs a key (LOGBATCH_REDACT_KEY)');
      this.mask = (kind, secret) => `[REDACTED:${kind}:${createHmac('sha256', key).update(secret).digest('hex').slice(0, 16)}]`;
    } else {
      this.mask = (kind) => `[REDACTED:${kind}]`;
    }
  }

  /** The redactor the settings describe, or undefined when they switch redaction off. Throws {@link ConfigurationError}. */
  static compile(settings: RedactionSettings): Redactor | undefined {
    const { builtIn, custom } = parseRedactList(settings.redact);
    const detectors: CompiledDetector[] = [];
    for (const detector of DETECTORS) {
      if (!builtIn.includes(detector.name)) continue;
      const trigger = detector.triggers === undefined ? undefined : triggerPattern(detector.triggers);
      detectors.push({ ...detector, trigger });
    }
    for (const rule of custom) detectors.push({ name: rule.name, defaultOn: false, pattern: rule.pattern });
    return detectors.length === 0 ? undefined : new Redactor(detectors, settings);
  }

  /**
   * True when a chunk's declared field names (a CloudFront `#Fields:` header, a VPC flow log header line, in
   * `formatContext.fields`) include one whose values are replaced whole (`x-api-key`, `cs(Authorization)`,
   * `x-auth-token`) or one that holds a trigger. Its data lines then carry such a value with no trigger word beside it
   * (the name is only in the header), so every entry of the chunk must skip the event gate: pass the result to
   * {@link redactEntry}. Called once per chunk; false when the gate is off anyway.
   */
  declaresSecretFields(fieldNames: readonly string[]): boolean {
    const gate = this.eventGate;
    if (gate === undefined) return false;
    // `cs(Authorization)` becomes the attribute `aws.cloudfront.cs_Authorization`. `cs(Cookie)`, in every CloudFront
    // header, is left out: an entry with a cookie in it skips the gate on its own (see redactEntry), so files that log
    // none keep the gate.
    return fieldNames.some(
      (name) => (name !== COOKIE_FIELD && gate.test(name)) || (this.secretKeys && isSecretKeyName(name.replace(/[()]/g, '_').replace(/_+$/, ''))),
    );
  }

  /**
   * The entry with its secrets replaced and `redactions` set, or the same entry when nothing matched. The attributes
   * go first: every value replaced in them is then masked wherever it stands in the body (see {@link redactBody}),
   * which may be the event's own text or a text that repeats the attributes (a CloudWatch message). Its `raw` text
   * goes through the same steps (see {@link redactRaw}); `redactions` counts each kind once per value, taking the
   * larger of the parsed fields' and the raw text's count. `ungated`: the event gate is skipped (the chunk's header
   * declares a secret-named field, see {@link declaresSecretFields}).
   */
  redactEntry(entry: LogEntry, rawText: string, ungated = false): LogEntry {
    if (!ungated && this.eventGate !== undefined && !this.eventGate.test(rawText) && !this.holdsNamelessCookie(entry)) return entry;
    this.counts = undefined;
    // A body that is the event's own text (a JSON line without a message field, a CloudFront line) counts as raw text
    // does: the values it shares with the attributes are counted once.
    const bodyIsText = entry.raw === undefined && entry.body === rawText;
    this.replaced = [];
    this.rawUncheckable = false;
    const attributes = this.redactAttributes(entry.attributes, false);
    const fromFields = this.replaced;
    const found: ReplacedValue[] = [];
    const body = this.redactBody(entry.body, fromFields, found, bodyIsText);
    found.push(...fromFields);
    // A parser's reason can quote a value of the line (`invalid time "…"`) without the key that made it secret.
    this.replaced = found;
    const parseError = entry.parseError === undefined ? undefined : this.redactString(maskValues(entry.parseError, found, this.mask));
    const raw = entry.raw === undefined ? undefined : this.redactRaw(entry.raw, found);
    this.replaced = undefined;
    const counts = this.counts;
    if (counts === undefined) return entry;
    this.counts = undefined;
    // Every value replaced anywhere in the entry is masked in every string attribute too, not counted again: the same
    // secret under a name no rule knows (`password_confirmation`, `"confirm": "…"`) or in a free-text field. Only an
    // entry that had a replacement gets this second walk.
    const masked = found.length === 0 ? attributes : maskAttributes(attributes, found, this.mask);
    return { ...entry, body, ...(entry.raw === undefined ? {} : { raw }), attributes: masked, ...(parseError === undefined ? {} : { parseError }), redactions: counts };
  }

  /**
   * True when the entry has a cookie column whose name is not in its text (CloudFront's `cs(Cookie)`, declared in the
   * `#Fields` header or by AWS's default field list): the gate cannot see it, and the values are cookies. One property
   * look-up per event the gate shuts out.
   */
  private holdsNamelessCookie(entry: LogEntry): boolean {
    return this.cookies && typeof entry.attributes[COOKIE_ATTRIBUTE] === 'string';
  }

  /**
   * The raw text with every value replaced in the entry's fields masked where it stands, then the same detectors run
   * over it (a value masked first cannot be cut short by a detector that sees only part of it, as `abc` of
   * `password=abc;Zq9v…`), or undefined (left out) when a secret may survive in it: a replaced value still found in it
   * behind escapes (JSON, percent, or JSON inside JSON as in a CloudWatch record: decoded up to
   * {@link MAX_ESCAPE_LEVELS} times), or a replaced number (no single text form).
   */
  private redactRaw(raw: string, replaced: readonly ReplacedValue[]): string | undefined {
    this.replaced = undefined;
    const redacted = this.redactTextOnce(maskValues(raw, replaced, this.mask));
    if (this.rawUncheckable) return undefined;
    if (replaced.length === 0) return redacted;
    if (replaced.some(({ value }) => redacted.includes(value))) return undefined;
    for (const decoded of decodedLevels(redacted)) if (replaced.some(({ value }) => decoded.includes(value))) return undefined;
    return redacted;
  }

  /**
   * The body, redacted so that no value replaced in the parsed fields (`fromFields`) survives in it. It cannot be left
   * out as raw text is, so: each such value is masked where it stands, then the detectors run over it; when one
   * remains behind an escape (`\u0041KIA…`, `%40`, or two levels of them), the body becomes its decoded text,
   * redacted and masked the same way. A replaced number is masked in its canonical form (`1234`), the only one it can
   * be looked for in. `found` receives what the detectors replace in the body itself (decoded or not), for the raw text;
   * each of those is masked in the rest of the body too (an unparsed CloudFront line with `password=Zq9v…` in its query
   * and `Zq9v…` again, bare, in another field), as the fields' values are.
   */
  private redactBody(text: string, fromFields: readonly ReplacedValue[], found: ReplacedValue[], bodyIsText: boolean): string {
    this.replaced = found;
    const masked = maskValues(text, fromFields, this.mask);
    let redacted = bodyIsText ? this.redactTextOnce(masked) : this.redactString(masked);
    if (fromFields.length > 0) {
      for (const decoded of decodedLevels(redacted)) {
        if (fromFields.some(({ value }) => decoded.includes(value))) {
          redacted = this.redactTextOnce(maskValues(decoded, fromFields, this.mask));
          break;
        }
      }
    }
    this.replaced = undefined;
    return found.length === 0 ? redacted : maskValues(redacted, found, this.mask);
  }

  /**
   * {@link redactString} over a raw form of the entry's fields: what it finds is counted against the parsed fields'
   * counts, the larger count per kind kept (the same secret is in both).
   */
  private redactTextOnce(text: string): string {
    const parsedCounts = this.counts;
    this.counts = undefined;
    const redacted = this.redactString(text);
    const textCounts = this.counts as Record<string, number> | undefined;
    if (parsedCounts !== undefined) {
      for (const kind in textCounts) parsedCounts[kind] = Math.max(parsedCounts[kind] ?? 0, textCounts[kind]);
      this.counts = parsedCounts;
    }
    return redacted;
  }

  /** The text with every match of the selected detectors replaced (counted in the current entry's counts). */
  redactString(text: string): string {
    if (this.stringGate !== undefined && !this.stringGate.test(text)) return text;
    let result = text;
    for (const detector of this.detectors) {
      if (detector.trigger !== undefined && !detector.trigger.test(result)) continue;
      const input = result;
      result = input.replace(detector.pattern, (match: string, ...rest: unknown[]) => {
        // Never inside an earlier replacement (`[REDACTED:aws-access-key:<hash>]` is not a key and its value).
        // (match, ...groups, offset, input[, namedGroups]): a custom rule may have named groups.
        const offset = (typeof rest[rest.length - 1] === 'string' ? rest[rest.length - 2] : rest[rest.length - 3]) as number;
        if (insideReplacement(input, offset)) return match;
        let prefix = detector.keepsPrefix === true ? (rest[0] as string) : '';
        let secret = detector.keepsPrefix === true ? (rest[1] as string) : match;
        if (detector.rejectPrefix?.test(prefix) === true) return match;
        if (detector.accept !== undefined && !detector.accept(secret, prefix)) return match;
        if (detector.acceptAt !== undefined && !detector.acceptAt(input, offset)) return match;
        const end = prefix.length + secret.length;
        if (detector.secretSpans !== undefined) return this.replaceSpans(detector, match, prefix, secret, end);
        // A quoted value keeps its quotes, so JSON text stays JSON.
        const quoted = QUOTED.exec(secret);
        if (quoted !== null) {
          prefix += quoted[1];
          secret = quoted[2];
          this.count(detector.name);
          this.replaced?.push({ kind: detector.name, value: secret });
          return prefix + this.mask(detector.name, secret) + quoted[1] + match.slice(end);
        }
        // A quoted value cut off by the end of the line or text (a truncated event) keeps its opening quote.
        const open = detector.keepsPrefix === true ? OPEN_QUOTED.exec(secret) : null;
        if (open !== null) {
          prefix += open[1];
          secret = open[2];
        }
        this.count(detector.name);
        this.replaced?.push({ kind: detector.name, value: secret });
        return prefix + this.mask(detector.name, secret) + match.slice(end);
      });
    }
    return result;
  }

  /**
   * A match whose secret holds several values (a cookie list): each value {@link Detector.secretSpans} finds is
   * replaced and noted on its own, the text between them kept, quotes around the whole kept as for one value.
   */
  private replaceSpans(detector: CompiledDetector, match: string, prefix: string, secret: string, end: number): string {
    const quoted = QUOTED.exec(secret) ?? OPEN_QUOTED.exec(secret);
    const open = quoted === null ? '' : quoted[1];
    const inner = quoted === null ? secret : quoted[2];
    const replaced = this.maskSpans(detector.name, inner, (detector.secretSpans as NonNullable<Detector['secretSpans']>)(inner));
    if (replaced === inner) return match;
    return prefix + open + replaced + secret.slice(open.length + inner.length) + match.slice(end);
  }

  /** `text` with each of `spans` replaced by `kind` (counted, and noted for masking elsewhere). */
  private maskSpans(kind: string, text: string, spans: ReadonlyArray<readonly [number, number]>): string {
    if (spans.length === 0) return text;
    let out = '';
    let from = 0;
    for (const [start, end] of spans) {
      const value = text.slice(start, end);
      this.count(kind);
      this.replaced?.push({ kind, value });
      out += text.slice(from, start) + this.mask(kind, value);
      from = end;
    }
    return out + text.slice(from);
  }

  /**
   * The value of a cookie-named attribute: a cookie list (a string, or an array of them as Node's `set-cookie`) has
   * each cookie's value replaced; a cookie jar (an object of name → value) has every value of at least four characters
   * replaced whole.
   */
  private redactCookies(value: AttributeValue, jar: boolean): AttributeValue {
    if (typeof value === 'string') {
      if (jar) return isCookieSecret(value) && !WHOLE_MARKER.test(value) ? this.maskSpans('cookie', value, [[0, value.length]]) : value;
      return this.redactString(this.maskSpans('cookie', value, cookieValueSpans(value)));
    }
    if (value === null || typeof value !== 'object') return value;
    if (Array.isArray(value)) return mapArray(value, (item) => this.redactCookies(item, jar));
    let copy: Attributes | undefined;
    // A cookie record (`{"name":"sid","value":"…","path":"/"}`, as in a HAR file): only its value is the secret.
    const record = Object.hasOwn(value, 'value') || Object.hasOwn(value, 'Value');
    for (const key in value) {
      if (record && !PAIR_VALUE_KEYS.has(key)) continue;
      const redacted = this.redactCookies(value[key], true);
      if (redacted !== value[key]) {
        copy ??= { ...value };
        Object.defineProperty(copy, key, { value: redacted, enumerable: true, writable: true, configurable: true });
      }
    }
    return copy ?? value;
  }

  private redactAttributes(attributes: Attributes, secret: boolean): Attributes {
    let copy: Attributes | undefined;
    let renamed = false;
    const secretPair = this.secretKeys && !secret && namesSecretPair(attributes);
    const cookiePair = this.cookies && !secret && namesPair(attributes, isCookieName);
    for (const key in attributes) {
      const value = attributes[key];
      // A short integer under `max_token` is a count (see isTokenCount), unless an enclosing secret-named key covers it.
      const secretValue =
        secret ||
        (this.secretKeys && ((isSecretKeyName(key) && !isTokenCount(key, value)) || isPasswordPwd(key, value))) ||
        (secretPair && PAIR_VALUE_KEYS.has(key));
      const cookieValue = !secretValue && this.cookies && (isCookieName(key) || (cookiePair && PAIR_VALUE_KEYS.has(key)));
      const redacted = cookieValue ? this.redactCookies(value, false) : this.redactValue(value, secretValue);
      // A name can hold a secret too: logfmt makes a bare word (`AKIA…`) a key whose value is `true`. Only such names
      // are redacted: running the detectors over every name cost about 5 % on entries that pass the event gate.
      const name = value === true ? this.redactString(key) : key;
      if (redacted !== value || name !== key) {
        copy ??= { ...attributes };
        renamed ||= name !== key;
        // Defined, not assigned: a `__proto__` key (JSON.parse keeps it as an own property) stays a property.
        Object.defineProperty(copy, key, { value: redacted, enumerable: true, writable: true, configurable: true });
      }
    }
    return copy === undefined ? attributes : renamed ? this.renameKeys(copy) : copy;
  }

  /** The attributes in their order, each name redacted (two names redacted alike keep the later value). */
  private renameKeys(attributes: Attributes): Attributes {
    const counts = this.counts;
    this.counts = undefined;
    const renamed: Attributes = {};
    for (const key in attributes) {
      Object.defineProperty(renamed, this.redactString(key), { value: attributes[key], enumerable: true, writable: true, configurable: true });
    }
    // The names were counted (and their secrets noted) in the first pass.
    this.counts = counts;
    return renamed;
  }

  /** `secret`: the value sits under a secret-named key, so every string and number in it is replaced whole. */
  private redactValue(value: AttributeValue, secret: boolean): AttributeValue {
    if (typeof value === 'string') {
      if (!secret) return this.redactString(value);
      if (value === '' || WHOLE_MARKER.test(value)) return value;
      this.count('secret-field');
      this.replaced?.push({ kind: 'secret-field', value });
      return this.mask('secret-field', value);
    }
    if (typeof value === 'number') {
      if (!secret) return value;
      this.count('secret-field');
      this.rawUncheckable = true;
      this.replaced?.push({ kind: 'secret-field', value: String(value) });
      return this.mask('secret-field', String(value));
    }
    if (value === null || typeof value === 'boolean') return value;
    if (Array.isArray(value)) return mapArray(value, (item) => this.redactValue(item, secret));
    return this.redactAttributes(value, secret);
  }

  private count(kind: string): void {
    this.counts ??= {};
    this.counts[kind] = (this.counts[kind] ?? 0) + 1;
  }
}

/** CloudFront's cookie field, and the attribute the parser makes of it (see {@link Redactor.holdsNamelessCookie}). */
const COOKIE_FIELD = 'cs(Cookie)';
const COOKIE_ATTRIBUTE = 'http.request.header.cookie';
const QUOTED = /^(\\?["'])([\s\S]+)\1$/;
const OPEN_QUOTED = /^(\\?["'])([\s\S]+)$/;
const RULE_NAME_ONLY = new RegExp(`^${RULE_NAME}$`);
/** A replacement starting at `lastIndex` (sticky), and one that is a whole value. */
const MARKER_AT = new RegExp(REDACTION_MARKER, 'y');
const MARKER_START = '[REDACTED:';
/** `[REDACTED:` + a 40-character kind + `:` + 16 hex + `]`. */
const MARKER_MAX_LENGTH = MARKER_START.length + 40 + 1 + 16 + 1;
const WHOLE_MARKER = new RegExp(`^${REDACTION_MARKER}$`);

/**
 * True when `offset` of `text` is inside an earlier replacement: the last `[REDACTED:` at or before it starts one with
 * exactly the syntax a replacement has, whose `]` is at or after `offset`. Any other `[REDACTED:` is input like the
 * rest: trusting it up to the next `]` let a line switch detection off for whatever it put in between.
 */
function insideReplacement(text: string, offset: number): boolean {
  // Only the last MARKER_MAX_LENGTH characters can hold the start of one: searching the whole text before every match
  // made a line of many matches quadratic (a megabyte of `secret='a` took 24 s).
  const from = Math.max(0, offset - MARKER_MAX_LENGTH);
  const within = text.slice(from, offset + MARKER_START.length).lastIndexOf(MARKER_START);
  if (within === -1) return false;
  MARKER_AT.lastIndex = from + within;
  return MARKER_AT.test(text) && MARKER_AT.lastIndex > offset;
}

const PAIR_NAME_KEYS = ['name', 'Name', 'key', 'Key'] as const;
const PAIR_VALUE_KEYS: ReadonlySet<string> = new Set(['value', 'Value']);

/**
 * True for a name/value pair whose name is secret-named: `{"name":"DB_PASSWORD","value":…}` (an ECS task definition's
 * environment in CloudTrail), `{"key":"password","value":…}` (tags), `{"Name":"/prod/db/password","Value":…}` (an SSM
 * parameter, whose path is judged by its last segment). Its `value`/`Value` is then replaced whole.
 */
function namesSecretPair(attributes: Attributes): boolean {
  return namesPair(attributes, isSecretKeyName);
}

/**
 * True for a name/value pair whose name (its last path segment) `names` accepts: secret-named (see
 * {@link namesSecretPair}), or a cookie header (`{"name":"Cookie","value":"sid=…"}` in a HAR file's headers).
 */
function namesPair(attributes: Attributes, names: (name: string) => boolean): boolean {
  if (!Object.hasOwn(attributes, 'value') && !Object.hasOwn(attributes, 'Value')) return false;
  for (const key of PAIR_NAME_KEYS) {
    const name = Object.hasOwn(attributes, key) ? attributes[key] : undefined;
    if (typeof name === 'string' && names(name.slice(name.lastIndexOf('/') + 1))) return true;
  }
  return false;
}

/** A value replaced in an entry's parsed fields, with the detector (kind) that replaced it. */
interface ReplacedValue {
  readonly kind: string;
  readonly value: string;
}

/**
 * `text` with every occurrence of each replaced value masked, except inside an earlier replacement. Longer values go
 * first: a value that holds another one (`admin` in `adminZq9v…`) is masked whole before the shorter one can cut it
 * in two. A value of under four characters is masked only where it stands alone (no letter or digit next to it):
 * inside another word it says nothing, and masking it there would garble the text.
 */
function maskValues(text: string, replaced: readonly ReplacedValue[], mask: (kind: string, secret: string) => string): string {
  if (replaced.length === 0) return text;
  let result = text;
  const seen = new Set<string>();
  const longestFirst = replaced.length === 1 ? replaced : [...replaced].sort((a, b) => b.value.length - a.value.length);
  for (const { kind, value } of longestFirst) {
    if (value === '' || seen.has(value) || !result.includes(value)) continue;
    seen.add(value);
    let out = '';
    let from = 0;
    for (let at = result.indexOf(value); at !== -1; at = result.indexOf(value, at + value.length)) {
      if (insideReplacement(result, at)) continue;
      if (value.length < 4 && (isWordCharacter(result.charCodeAt(at - 1)) || isWordCharacter(result.charCodeAt(at + value.length)))) continue;
      out += result.slice(from, at) + mask(kind, value);
      from = at + value.length;
    }
    result = out + result.slice(from);
  }
  return result;
}

/**
 * The attributes with every replaced value masked in each string, at any depth (see {@link maskValues}; names are
 * kept), copied only where something changed.
 */
function maskAttributes(attributes: Attributes, replaced: readonly ReplacedValue[], mask: (kind: string, secret: string) => string): Attributes {
  let copy: Attributes | undefined;
  for (const key in attributes) {
    const value = attributes[key];
    const masked = maskAttributeValue(value, replaced, mask);
    if (masked !== value) {
      copy ??= { ...attributes };
      Object.defineProperty(copy, key, { value: masked, enumerable: true, writable: true, configurable: true });
    }
  }
  return copy ?? attributes;
}

function maskAttributeValue(value: AttributeValue, replaced: readonly ReplacedValue[], mask: (kind: string, secret: string) => string): AttributeValue {
  if (typeof value === 'string') return maskValues(value, replaced, mask);
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    let copy: AttributeValue[] | undefined;
    for (let index = 0; index < value.length; index++) {
      const masked = maskAttributeValue(value[index], replaced, mask);
      if (masked !== value[index]) {
        copy ??= value.slice();
        copy[index] = masked;
      }
    }
    return copy ?? value;
  }
  return maskAttributes(value, replaced, mask);
}

function isWordCharacter(code: number): boolean {
  return (code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a);
}

/**
 * Escapes a parser decodes that could hide one of `triggers` in an event's raw text: JSON `\u0041` and `\/`, and the
 * percent-escapes of the triggers' own characters (`%41` for `A`, `%40` for `@`). The CloudFront parser decodes
 * percent-escapes once, with `decodeURIComponent`; an escape of any other character (`%20`, `%3A`, `%2F`, a multi-byte
 * sequence) decodes to a character no trigger holds, so it cannot complete one, and the event need not be opened for
 * it: URLs and user agents are full of them.
 */
export function hidingEscapes(triggers: readonly string[]): string[] {
  const codes = new Set<number>();
  for (const trigger of triggers) {
    const anyCase = ignoresCase(trigger);
    for (const character of trigger) {
      codes.add(character.charCodeAt(0));
      if (anyCase && /^[a-z]$/.test(character)) codes.add(character.toUpperCase().charCodeAt(0));
    }
  }
  const hex = (digit: string) => (/[a-f]/.test(digit) ? `[${digit}${digit.toUpperCase()}]` : digit);
  const escapes = [...codes].sort((a, b) => a - b).map((code) => {
    if (code > 0x7f) throw new Error(`redaction trigger character U+${code.toString(16)} is not ASCII: its percent-escapes are not covered`);
    const [high, low] = code.toString(16).padStart(2, '0');
    return `${hex(high)}${hex(low)}`;
  });
  return [String.raw`\\[uU/]`, ...(escapes.length === 0 ? [] : [`%(?:${escapes.join('|')})`])];
}

const JSON_ESCAPES: Readonly<Record<string, string>> = { n: '\n', r: '\r', t: '\t', b: '\b', f: '\f' };

/** The text with JSON string escapes and percent-escapes decoded, to look for a value a parser decoded from it. */
function unescapeForSearch(text: string): string {
  return text
    .replace(/\\u([0-9a-fA-F]{4})|\\([\s\S])/g, (_match, hex: string | undefined, escaped: string) =>
      hex === undefined ? (JSON_ESCAPES[escaped] ?? escaped) : String.fromCharCode(Number.parseInt(hex, 16)),
    )
    .replace(/(?:%[0-9a-fA-F]{2})+/g, (run) => {
      try {
        return decodeURIComponent(run);
      } catch {
        return run.replace(/%([0-9a-fA-F]{2})/g, (_match, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
      }
    });
}

/**
 * How many levels of escapes a replaced value is looked for behind: a CloudWatch record holds its message as a JSON
 * string, and that message may be JSON whose strings hold `\u0041KIA…` (two levels); a few more cost nothing on text
 * that has no escapes left.
 */
const MAX_ESCAPE_LEVELS = 4;

/** The text decoded once, twice, … (see {@link unescapeForSearch}), until nothing changes or the levels run out. */
function* decodedLevels(text: string): Generator<string> {
  let current = text;
  for (let level = 0; level < MAX_ESCAPE_LEVELS && /[\\%]/.test(current); level++) {
    const decoded = unescapeForSearch(current);
    if (decoded === current) return;
    yield decoded;
    current = decoded;
  }
}

/** The array with each item mapped, copied only when an item changed (else the same array). */
function mapArray(values: AttributeValue[], map: (value: AttributeValue) => AttributeValue): AttributeValue[] {
  let copy: AttributeValue[] | undefined;
  for (let index = 0; index < values.length; index++) {
    const mapped = map(values[index]);
    if (mapped !== values[index]) {
      copy ??= values.slice();
      copy[index] = mapped;
    }
  }
  return copy ?? values;
}
