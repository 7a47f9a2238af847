import { createHmac } from 'node:crypto';
import { ConfigurationError } from '../errors.js';
import type { AttributeValue, Attributes, LogEntry } from '../log-entry.js';
import { DETECTOR_ALIASES, DETECTOR_NAMES, DETECTORS, type Detector, isSecretKeyName } from './detectors.js';
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
      if (!/^[a-z][a-z0-9_-]{0,39}$/.test(name)) throw new ConfigurationError(`redaction rule name ${JSON.stringify(name)}: use lower-case letters, digits, "-" and "_"`);
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
  private counts: Record<string, number> | undefined;
  /**
   * While an entry with `raw` is redacted: the values replaced in its body and attributes, looked for in its redacted
   * raw text afterwards; `rawUncheckable` when one of them (a number under a secret-named key) has no one text form.
   */
  private replaced: ReplacedValue[] | undefined;
  private rawUncheckable = false;

  private constructor(detectors: CompiledDetector[], settings: RedactionSettings) {
    this.detectors = detectors;
    this.secretKeys = detectors.some((detector) => detector.name === 'secret-field');
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
   * The entry with its secrets replaced and `redactions` set, or the same entry when nothing matched. Its `raw` text
   * goes through the same detectors (see {@link redactRaw}); `redactions` counts each kind once per value, taking the
   * larger of the parsed fields' and the raw text's count.
   */
  redactEntry(entry: LogEntry, rawText: string): LogEntry {
    if (this.eventGate !== undefined && !this.eventGate.test(rawText)) return entry;
    this.counts = undefined;
    // A body that is the event's own text (a JSON line without a message field, a CloudFront line) is redacted last,
    // as raw text is: a value replaced in the parsed fields may sit in it where no detector sees it.
    const bodyIsText = entry.raw === undefined && entry.body === rawText;
    this.replaced = entry.raw === undefined && !bodyIsText ? undefined : [];
    this.rawUncheckable = false;
    let body = bodyIsText ? entry.body : this.redactString(entry.body);
    const attributes = this.redactAttributes(entry.attributes, false);
    let parseError = entry.parseError === undefined ? undefined : this.redactString(entry.parseError);
    const raw = entry.raw === undefined ? undefined : this.redactRaw(entry.raw);
    if (bodyIsText) {
      const found: ReplacedValue[] = [];
      body = this.redactBodyText(entry.body, found);
      // A parser's reason can quote a value of the line (`invalid time "…"`) without the key that made it secret.
      if (parseError !== undefined && found.length > 0) parseError = maskValues(parseError, found, this.mask);
    }
    const counts = this.counts;
    if (counts === undefined) return entry;
    this.counts = undefined;
    return { ...entry, body, ...(entry.raw === undefined ? {} : { raw }), attributes, ...(parseError === undefined ? {} : { parseError }), redactions: counts };
  }

  /**
   * The raw text with the same detectors run over it, or undefined (left out) when a secret may survive in it. The
   * body and attributes were redacted as parsed values, and a value can sit in the raw text where no detector sees it
   * there: nested under a secret-named key, JSON- or percent-escaped. So every value replaced in the parsed fields is
   * looked for in the redacted raw text, as it is and unescaped; one found, or a replaced number (no single text
   * form), leaves the raw text out.
   */
  private redactRaw(raw: string): string | undefined {
    const replaced = this.replaced ?? [];
    this.replaced = undefined;
    const redacted = this.redactTextOnce(raw);
    if (this.rawUncheckable) return undefined;
    if (replaced.length === 0) return redacted;
    const unescaped = /[\\%]/.test(redacted) ? unescapeForSearch(redacted) : redacted;
    return replaced.some(({ value }) => redacted.includes(value) || unescaped.includes(value)) ? undefined : redacted;
  }

  /**
   * A body that is the event's own text, redacted so that no value replaced in the parsed fields survives in it. It
   * cannot be left out as raw text is, so: the detectors run over it, then each replaced value still written in it
   * is masked where it stands; when one remains behind an escape (`\u0041KIA…`, `%40`), the body becomes its decoded
   * text, redacted and masked the same way. A replaced number is masked in its canonical form (`1234`), the only one
   * it can be looked for in. `found` receives every value replaced in the entry, in its fields and in this body.
   */
  private redactBodyText(text: string, found: ReplacedValue[]): string {
    const replaced = this.replaced ?? [];
    // What the detectors replace in the body itself is collected in `found` (with the fields' values, below).
    this.replaced = found;
    let redacted = this.redactTextOnce(text);
    this.replaced = undefined;
    redacted = maskValues(redacted, replaced, this.mask);
    found.push(...replaced);
    if (replaced.length === 0 || !/[\\%]/.test(redacted)) return redacted;
    const unescaped = unescapeForSearch(redacted);
    if (replaced.some(({ value }) => unescaped.includes(value))) redacted = maskValues(this.redactTextOnce(unescaped), replaced, this.mask);
    return redacted;
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
        const marker = input.lastIndexOf('[REDACTED:', offset);
        if (marker !== -1 && input.indexOf(']', marker) >= offset) return match;
        let prefix = detector.keepsPrefix === true ? (rest[0] as string) : '';
        let secret = detector.keepsPrefix === true ? (rest[1] as string) : match;
        if (detector.rejectPrefix?.test(prefix) === true) return match;
        if (detector.accept !== undefined && !detector.accept(secret)) return match;
        const end = prefix.length + secret.length;
        // A quoted value keeps its quotes, so JSON text stays JSON.
        const quoted = QUOTED.exec(secret);
        if (quoted !== null) {
          prefix += quoted[1];
          secret = quoted[2];
          this.count(detector.name);
          this.replaced?.push({ kind: detector.name, value: secret });
          return prefix + this.mask(detector.name, secret) + quoted[1] + match.slice(end);
        }
        this.count(detector.name);
        this.replaced?.push({ kind: detector.name, value: secret });
        return prefix + this.mask(detector.name, secret) + match.slice(end);
      });
    }
    return result;
  }

  private redactAttributes(attributes: Attributes, secret: boolean): Attributes {
    let copy: Attributes | undefined;
    for (const key in attributes) {
      const value = attributes[key];
      const redacted = this.redactValue(value, secret || (this.secretKeys && isSecretKeyName(key)));
      if (redacted !== value) {
        copy ??= { ...attributes };
        // Defined, not assigned: a `__proto__` key (JSON.parse keeps it as an own property) stays a property.
        Object.defineProperty(copy, key, { value: redacted, enumerable: true, writable: true, configurable: true });
      }
    }
    return copy ?? attributes;
  }

  /** `secret`: the value sits under a secret-named key, so every string and number in it is replaced whole. */
  private redactValue(value: AttributeValue, secret: boolean): AttributeValue {
    if (typeof value === 'string') {
      if (!secret) return this.redactString(value);
      if (value === '' || value.startsWith('[REDACTED:')) return value;
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
    if (Array.isArray(value)) {
      let copy: AttributeValue[] | undefined;
      for (let index = 0; index < value.length; index++) {
        const redacted = this.redactValue(value[index], secret);
        if (redacted !== value[index]) {
          copy ??= value.slice();
          copy[index] = redacted;
        }
      }
      return copy ?? value;
    }
    return this.redactAttributes(value, secret);
  }

  private count(kind: string): void {
    this.counts ??= {};
    this.counts[kind] = (this.counts[kind] ?? 0) + 1;
  }
}

const QUOTED = /^(\\?["'])([\s\S]+)\1$/;

/** A value replaced in an entry's parsed fields, with the detector (kind) that replaced it. */
interface ReplacedValue {
  readonly kind: string;
  readonly value: string;
}

/**
 * `text` with every occurrence of each replaced value masked, except inside an earlier replacement. A value of under
 * four characters is masked only where it stands alone (no letter or digit next to it): inside another word it says
 * nothing, and masking it there would garble the text.
 */
function maskValues(text: string, replaced: readonly ReplacedValue[], mask: (kind: string, secret: string) => string): string {
  let result = text;
  const seen = new Set<string>();
  for (const { kind, value } of replaced) {
    if (value === '' || seen.has(value) || !result.includes(value)) continue;
    seen.add(value);
    let out = '';
    let from = 0;
    for (let at = result.indexOf(value); at !== -1; at = result.indexOf(value, at + value.length)) {
      const marker = result.lastIndexOf('[REDACTED:', at);
      if (marker !== -1 && result.indexOf(']', marker) >= at) continue;
      if (value.length < 4 && (isWordCharacter(result.charCodeAt(at - 1)) || isWordCharacter(result.charCodeAt(at + value.length)))) continue;
      out += result.slice(from, at) + mask(kind, value);
      from = at + value.length;
    }
    result = out + result.slice(from);
  }
  return result;
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
