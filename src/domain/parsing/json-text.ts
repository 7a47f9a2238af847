/**
 * Source-level rewrites of a JSON line before `JSON.parse`, for what `JSON.parse` alone would lose or what
 * storage cannot hold: number literals a double cannot keep exactly, and values nested too deep.
 */

/**
 * How many levels of maps and lists an attribute value may have below `attributes`: in `{"a":{"b":[1]}}`, `a` is a
 * map at level 1 and `a.b` a list at level 2. DynamoDB allows 32 levels of nesting in an item, which is level 1
 * with `attributes` at level 2, so 16 more (18 in all) leaves room for an adapter that wraps attributes in a map or
 * two. A map or list at level 17 or deeper is kept as its JSON source text.
 */
export const MAX_ATTRIBUTE_DEPTH = 16;

const QUOTE = 34;
const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;
const MINUS = 45;
const COLON = 58;
const BACKSLASH = 92;
const DOT = 46;
const PLUS = 43;

/**
 * Which number literals `JSON.parse` may not keep exactly, and how each is caught cheaply:
 * - 16 or more significant digits (64-bit ids, long fractions): only the text shows them, so the line is screened
 *   for a run of 16 digits and dots, and each such run's literal is checked ({@link findInexactLongNumbers});
 * - a value outside the double's normal range (`1e400` → Infinity, `1e-400` → 0, subnormals) or a negative zero:
 *   visible in the parsed value ({@link isSuspectNumber}), so lines are not screened for them.
 * A literal with at most 15 significant digits and a normal magnitude always survives a double exactly.
 */
const LONG_RUN = 16;

/** 2^53 − 1, the largest integer every integer up to which a double holds: 16 digits. */
const MAX_SAFE_INTEGER_TEXT = String(Number.MAX_SAFE_INTEGER);

/** Smallest positive normal double (2^-1022); below it a double has fewer than 15 significant digits. */
const MIN_NORMAL = 2.2250738585072014e-308;

/** An exponent of three digits (`1e-400`): how a literal that parsed to +0 can have been something else. */
const THREE_DIGIT_EXPONENT = /\d[eE][+-]?\d{3}/;

function isDigitOrDot(code: number): boolean {
  return (code >= 48 && code <= 57) || code === 46;
}

/**
 * Where the line has number literals of 16 or more digits and dots that {@link isExactJsonNumber} rejects
 * (`12345678901234567890`): `[start, end, start, end...]`, or undefined when there are none (the common case, which
 * allocates nothing). Probes every 16th character: a run that long covers one of them, so a line of short runs costs
 * about length / 16 reads. A run next to a `"` is text in a string (`"id":"12345678901234567890"`), and a run followed
 * by `:` is where a key belongs; both are skipped. Runs elsewhere in strings (`"order 12345678901234567890"`) are
 * found too: quoting them makes the line invalid JSON, which sends it to the full scan ({@link rewriteJsonText}).
 */
export function findInexactLongNumbers(line: string): number[] | undefined {
  const length = line.length;
  let spans: number[] | undefined;
  let probe = LONG_RUN - 1;
  while (probe < length) {
    if (!isDigitOrDot(line.charCodeAt(probe))) {
      probe += LONG_RUN;
      continue;
    }
    // Walk back over the run: if it does not reach 16 characters, the next run starts after the character that
    // stopped the walk, and can only reach 16 characters 16 places later.
    let start = probe - 1;
    const farthest = probe - LONG_RUN;
    while (start > farthest && isDigitOrDot(line.charCodeAt(start))) start--;
    if (start > farthest) {
      probe = start + LONG_RUN;
      continue;
    }
    // 16 digits and dots in a row: widen to the whole literal (sign, exponent). Text that is not a JSON number is
    // not a number token.
    while (start >= 0 && isNumberCharacter(line.charCodeAt(start))) start--;
    let end = probe + 1;
    while (end < length && isNumberCharacter(line.charCodeAt(end))) end++;
    if (
      line.charCodeAt(start) !== QUOTE &&
      line.charCodeAt(end) !== QUOTE &&
      !isExactJsonNumber(line.slice(start + 1, end)) &&
      !isFollowedByColon(line, end)
    ) {
      spans ??= [];
      spans.push(start + 1, end);
    }
    probe = end + LONG_RUN;
  }
  return spans;
}

/**
 * The line with each `[start, end)` of {@link findInexactLongNumbers} in double quotes. A span that was inside a
 * string leaves a string, a number and a string side by side, which `JSON.parse` rejects: the caller then falls
 * back to {@link rewriteJsonText}.
 */
export function quoteSpans(line: string, spans: readonly number[]): string {
  let text = '';
  let copiedUpTo = 0;
  for (let index = 0; index < spans.length; index += 2) {
    text += `${line.slice(copiedUpTo, spans[index])}"${line.slice(spans[index], spans[index + 1])}"`;
    copiedUpTo = spans[index + 1];
  }
  return text + line.slice(copiedUpTo);
}

/**
 * Whether a parsed number may come from a literal it does not equal, on a line without long digit runs: -0,
 * Infinity, a subnormal, or +0 on a line with a three-digit exponent (`1e-400`). Ordinary numbers cost one
 * comparison.
 */
export function isSuspectNumber(value: number, line: string): boolean {
  const magnitude = value < 0 ? -value : value;
  if (magnitude >= MIN_NORMAL && magnitude <= Number.MAX_VALUE) return false;
  if (value !== 0) return true;
  return Object.is(value, -0) || THREE_DIGIT_EXPONENT.test(line);
}

/**
 * Whether a parsed map or list at `level` below `attributes` needs the slow path: a map or list deeper than
 * {@link MAX_ATTRIBUTE_DEPTH}, or a suspect number ({@link isSuspectNumber}). Descends only into maps and lists, so
 * the recursion is bounded by the depth limit; strings are not looked at.
 */
export function needsRewrite(container: object, level: number, line: string): boolean {
  if (level > MAX_ATTRIBUTE_DEPTH) return true;
  if (Array.isArray(container)) {
    for (const element of container as unknown[]) {
      if (typeof element === 'object') {
        if (element !== null && needsRewrite(element, level + 1, line)) return true;
      } else if (typeof element === 'number' && isSuspectNumber(element, line)) return true;
    }
    return false;
  }
  const record = container as Record<string, unknown>;
  for (const key in record) {
    const child = record[key];
    if (typeof child === 'object') {
      if (child !== null && needsRewrite(child, level + 1, line)) return true;
    } else if (typeof child === 'number' && isSuspectNumber(child, line)) return true;
  }
  return false;
}

/**
 * Whether `JSON.parse` keeps a number literal exactly. An integer written without fraction or exponent stays a
 * number only when it is a safe integer (|n| ≤ 2^53 − 1), so a 64-bit id is always a string, not a number for
 * some values and a string for others. Any other literal stays a number when its decimal value equals that of
 * the double it parses to (in its shortest round-trip form): `0.1`, `1.50`, `1e3` do; `1e400` (Infinity),
 * `1e-400` (0), `-0` (0 once stored) and `0.1000000000000000055511` do not. Text that is not a JSON number is
 * left for `JSON.parse` to reject.
 */
export function isExactJsonNumber(literal: string): boolean {
  const shape = numberShape(literal);
  if (shape === undefined) return true;
  if (shape.plainInteger) {
    // No leading zeros in JSON: 16 digits may be safe, 17 or more never are.
    const digits = literal.length - (literal.charCodeAt(0) === MINUS ? 1 : 0);
    if (digits === 1) return literal !== '-0';
    if (digits !== 16) return digits < 16;
    return literal.slice(-16) <= MAX_SAFE_INTEGER_TEXT;
  }
  const value = Number(literal);
  if (Object.is(value, -0)) return false;
  const magnitude = value < 0 ? -value : value;
  // Up to 15 significant digits always survive a double in its normal range; more than 17 never are its shortest form.
  if (shape.significantDigits <= 15 && magnitude >= MIN_NORMAL && magnitude <= Number.MAX_VALUE) return true;
  if (shape.significantDigits > 17 || !Number.isFinite(value)) return false;
  const shortest = String(value);
  return shortest === literal || decimalKey(literal) === decimalKey(shortest);
}

/**
 * A JSON number literal's significant digits (leading and trailing zeros aside) and whether it is a plain integer
 * (no fraction, no exponent); undefined when the text is not a JSON number (RFC 8259 grammar). One pass, no regex.
 */
function numberShape(literal: string): { significantDigits: number; plainInteger: boolean } | undefined {
  const length = literal.length;
  let index = literal.charCodeAt(0) === MINUS ? 1 : 0;
  const integerStart = index;
  while (index < length && isDigit(literal.charCodeAt(index))) index++;
  const integerEnd = index;
  if (integerEnd === integerStart || (integerEnd - integerStart > 1 && literal.charCodeAt(integerStart) === 48)) return undefined;
  let plainInteger = true;
  if (index < length && literal.charCodeAt(index) === DOT) {
    plainInteger = false;
    index++;
    while (index < length && isDigit(literal.charCodeAt(index))) index++;
    if (index === integerEnd + 1) return undefined;
  }
  const mantissaEnd = index;
  if (index < length && (literal.charCodeAt(index) | 32) === 101 /* e or E */) {
    plainInteger = false;
    index++;
    if (index < length && (literal.charCodeAt(index) === PLUS || literal.charCodeAt(index) === MINUS)) index++;
    const exponentStart = index;
    while (index < length && isDigit(literal.charCodeAt(index))) index++;
    if (index === exponentStart) return undefined;
  }
  if (index !== length) return undefined;
  // Significant digits: from the first to the last non-zero digit of the mantissa, not counting the dot.
  let first = integerStart;
  while (first < mantissaEnd && isZeroOrDot(literal.charCodeAt(first))) first++;
  if (first === mantissaEnd) return { significantDigits: 0, plainInteger };
  let last = mantissaEnd - 1;
  while (isZeroOrDot(literal.charCodeAt(last))) last--;
  const significantDigits = last - first + 1 - (first < integerEnd && last > integerEnd ? 1 : 0);
  return { significantDigits, plainInteger };
}

function isZeroOrDot(code: number): boolean {
  return code === 48 || code === DOT;
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

/**
 * A number's decimal value as sign, significant digits and exponent (`-15e-1` for `-1.50`), so two spellings of
 * one value compare equal. Text that is not a finite number (`Infinity`) is returned as is.
 */
function decimalKey(text: string): string {
  const match = /^(-?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (match === null) return text;
  const [, sign, integerDigits, fractionDigits = '', exponentText = '0'] = match;
  let digits = integerDigits + fractionDigits;
  // value = 0.<digits> × 10^exponent
  let exponent = Number(exponentText) + integerDigits.length;
  let start = 0;
  while (start < digits.length && digits.charCodeAt(start) === 48) start++;
  let end = digits.length;
  while (end > start && digits.charCodeAt(end - 1) === 48) end--;
  if (start === end) return `${sign}0`;
  exponent -= start;
  digits = digits.slice(start, end);
  return `${sign}${digits}e${exponent}`;
}

/**
 * Rewrites a JSON text so that `JSON.parse` loses nothing and nests nothing too deep:
 * - a number literal {@link isExactJsonNumber} rejects becomes a JSON string of its source text
 *   (`12345678901234567890` → `"12345678901234567890"`);
 * - with `limitDepth`, a map or list deeper than {@link MAX_ATTRIBUTE_DEPTH} below `attributes` becomes a JSON
 *   string of its source text, exactly as written (numbers inside it included). An object at the top is
 *   `attributes` itself (level 0); any other top-level value is `log.json.value` (level 1).
 *
 * A scan over the text that keeps no stack, so 10,000 levels cost no more than 10,000 characters. Valid JSON stays
 * valid and invalid JSON stays invalid: a literal followed by `:` (a number where a key belongs) is left alone, and
 * `limitDepth` must only be used on text `JSON.parse` accepts (a deep span is replaced only when it is closed).
 * Returns the text and whether any value was cut at the depth limit.
 */
export function rewriteJsonText(text: string, limitDepth: boolean): { text: string; depthLimited: boolean } {
  const length = text.length;
  let out = '';
  let copiedUpTo = 0;
  let depthLimited = false;
  let depth = 0;
  let levelOffset = -1;
  let index = 0;
  while (index < length) {
    const code = text.charCodeAt(index);
    if (code === QUOTE) {
      const close = endOfString(text, index + 1);
      if (close < 0) break;
      index = close + 1;
    } else if (code === OPEN_BRACE || code === OPEN_BRACKET) {
      if (levelOffset < 0) levelOffset = depth === 0 && code === OPEN_BRACE ? 0 : 1;
      if (limitDepth && depth + levelOffset > MAX_ATTRIBUTE_DEPTH) {
        const end = endOfContainer(text, index);
        if (end < 0) break;
        out += text.slice(copiedUpTo, index) + JSON.stringify(text.slice(index, end));
        copiedUpTo = end;
        depthLimited = true;
        index = end;
      } else {
        depth++;
        index++;
      }
    } else if (code === CLOSE_BRACE || code === CLOSE_BRACKET) {
      depth--;
      index++;
    } else if (code === MINUS || (code >= 48 && code <= 57)) {
      if (levelOffset < 0) levelOffset = 1;
      let end = index + 1;
      while (end < length && isNumberCharacter(text.charCodeAt(end))) end++;
      const literal = text.slice(index, end);
      if (!isExactJsonNumber(literal) && !isFollowedByColon(text, end)) {
        out += `${text.slice(copiedUpTo, index)}"${literal}"`;
        copiedUpTo = end;
      }
      index = end;
    } else {
      index++;
    }
  }
  if (copiedUpTo === 0) return { text, depthLimited };
  return { text: out + text.slice(copiedUpTo), depthLimited };
}

/** The index of the `"` that closes a string whose text starts at `from` (after backslash escapes); -1 if none. */
function endOfString(text: string, from: number): number {
  let index = from;
  for (;;) {
    const quote = text.indexOf('"', index);
    if (quote < 0) return -1;
    let backslashes = 0;
    for (let back = quote - 1; back >= from && text.charCodeAt(back) === BACKSLASH; back--) backslashes++;
    if (backslashes % 2 === 0) return quote;
    index = quote + 1;
  }
}

/** Characters a JSON number literal is made of; a run of them is checked against the grammar as a whole. */
function isNumberCharacter(code: number): boolean {
  return (code >= 48 && code <= 57) || code === 46 || code === 101 || code === 69 || code === 43 || code === MINUS;
}

function isJsonWhitespace(code: number): boolean {
  return code === 32 || code === 9 || code === 10 || code === 13;
}

function isFollowedByColon(text: string, from: number): boolean {
  let index = from;
  while (index < text.length) {
    const code = text.charCodeAt(index);
    if (!isJsonWhitespace(code)) return code === COLON;
    index++;
  }
  return false;
}

/** The index just past the bracket that closes the map or list opened at `open`; -1 if it is never closed. */
function endOfContainer(text: string, open: number): number {
  let depth = 0;
  let index = open;
  while (index < text.length) {
    const code = text.charCodeAt(index);
    if (code === QUOTE) {
      const close = endOfString(text, index + 1);
      if (close < 0) return -1;
      index = close + 1;
      continue;
    }
    if (code === OPEN_BRACE || code === OPEN_BRACKET) depth++;
    else if (code === CLOSE_BRACE || code === CLOSE_BRACKET) {
      depth--;
      if (depth === 0) return index + 1;
    }
    index++;
  }
  return -1;
}

/** V8's message for an unexpected token: the token, then the text from 10 characters before it to 10 after its start. */
const UNEXPECTED_TOKEN = /^Unexpected token '([\s\S]{1,2})', (\.\.\.)?"([\s\S]*)"(\.\.\.)? is not valid JSON$/;
const CONTEXT_CHARACTERS = 10;

/**
 * `JSON.parse`'s message for `text`, with no piece of `text` in it. For an unexpected token V8 quotes up to ten
 * characters on each side of it, and those can be the end of a secret the redactor replaces elsewhere in the entry
 * (`..."8fQQ","a":x}"`), cut where no detector can recognise it. The token and its position are kept; the
 * position is left out when the quoted piece does not place the token in `text` exactly once.
 */
export function jsonErrorMessage(error: unknown, text: string): string {
  const message = error instanceof Error ? error.message : String(error);
  const quoted = UNEXPECTED_TOKEN.exec(message);
  if (quoted === null) return message;
  const [, token, cutBefore, piece, cutAfter] = quoted;
  const position = tokenPosition(text, token, piece, cutBefore !== undefined, cutAfter !== undefined);
  return `Unexpected token '${token}' in JSON${position === undefined ? '' : ` at position ${position}`}`;
}

/** Where V8's quoted `piece` puts the unexpected `token` in `text`, or undefined when that is not one place. */
function tokenPosition(text: string, token: string, piece: string, cutBefore: boolean, cutAfter: boolean): number | undefined {
  let start: number;
  if (!cutBefore) start = 0;
  else if (!cutAfter) start = text.length - piece.length;
  else {
    start = text.indexOf(piece);
    if (start === -1 || text.indexOf(piece, start + 1) !== -1) return undefined;
  }
  if (!text.startsWith(piece, start) || (!cutAfter && start + piece.length !== text.length)) return undefined;
  let position: number;
  if (cutBefore) position = start + CONTEXT_CHARACTERS;
  else if (cutAfter) position = piece.length - CONTEXT_CHARACTERS;
  else {
    position = text.indexOf(token);
    if (text.indexOf(token, position + 1) !== -1) return undefined;
  }
  return position >= 0 && text.startsWith(token, position) ? position : undefined;
}
