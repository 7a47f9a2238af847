import stringWidth from 'string-width';
import { shellWord } from './store-option.js';

/**
 * Characters a terminal acts on instead of showing: C0 controls (ESC starts colour, title, clear-screen and cursor
 * sequences; BEL ends a title; CR and BS move back over text), DEL, C1 controls (U+009B is a one-character CSI), and
 * the bidi embeddings, overrides and isolates that reorder what follows them (U+202A–U+202E, U+2066–U+2069).
 */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/gu;
const HAS_UNSAFE = new RegExp(UNSAFE.source, 'u');
const NAMED: Readonly<Record<string, string>> = { '\t': '\\t', '\n': '\\n', '\r': '\\r' };

function escapeCharacter(character: string): string {
  const code = character.codePointAt(0)!;
  return NAMED[character] ?? (code < 0x80 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`);
}

/**
 * Text from logs, object keys or file names as it may be printed to a terminal: every control character and bidi
 * override written as a visible escape (`\x1b`, `\r`, `\t`, `\n`, `\u009b`, `\u202e`), the rest as it is. The escapes
 * are those of a shell's `$'…'` and of JavaScript; backslashes already in the text are kept as they are, so a
 * Windows path still reads as one (`--json` has the exact text). Escaping twice changes nothing.
 */
export function terminalText(text: string): string {
  return text.replace(UNSAFE, escapeCharacter);
}

/** `word` for a command line printed to a terminal: as {@link shellWord}, or `$'…'` with escapes when it holds control characters. */
export function terminalShellWord(word: string): string {
  if (!HAS_UNSAFE.test(word)) return shellWord(word);
  return `$'${word.replace(/[\\']/g, '\\$&').replace(UNSAFE, escapeCharacter)}'`;
}

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
/**
 * An emoji as it is written: a keycap (`1️⃣`), or a pictograph or regional indicator followed by what joins it into one
 * (ZWJ, variation selectors, skin tones, hair, tags, more pictographs), from the runtime's Unicode properties.
 */
const EMOJI_SEQUENCE =
  /[#*0-9]\uFE0F?\u20E3|[\p{Extended_Pictographic}\p{Regional_Indicator}][\p{Extended_Pictographic}\p{Regional_Indicator}\u200D\uFE0E\uFE0F\u20E3\u{1F3FB}-\u{1F3FF}\u{1F9B0}-\u{1F9B3}\u{E0020}-\u{E007F}]*/gu;
const EMOJI_PRESENTATION = /^\p{Emoji_Presentation}|[\uFE0F\u200D\u20E3]/u;

/** Columns of one emoji sequence: 2 per grapheme shown as an emoji, else what string-width says (`❤` alone is 1). */
function emojiSequenceWidth(sequence: string): number {
  if (sequence.length === String.fromCodePoint(sequence.codePointAt(0)!).length) return EMOJI_PRESENTATION.test(sequence) ? 2 : stringWidth(sequence);
  let width = 0;
  for (const { segment } of graphemes.segment(sequence)) width += EMOJI_PRESENTATION.test(segment) && !segment.includes('\uFE0E') ? 2 : stringWidth(segment);
  return width;
}

/**
 * The columns `text` takes on a terminal: 2 for wide (East Asian) characters and emoji, 0 for combining marks and
 * controls. string-width measures the text; emoji sequences are measured from the runtime's Unicode data instead, as
 * string-width 4 is too old to know the emoji of Unicode 13 and later (`🫠`).
 */
export function displayWidth(text: string): number {
  if (PRINTABLE_ASCII.test(text)) return text.length;
  let emojiWidth = 0;
  const rest = text.replace(EMOJI_SEQUENCE, (sequence) => {
    emojiWidth += emojiSequenceWidth(sequence);
    return '';
  });
  return stringWidth(rest) + emojiWidth;
}

/** Widths of graphemes already measured: log text repeats its characters. */
const graphemeWidths = new Map<string, number>();
const MAX_REMEMBERED_GRAPHEMES = 4096;

function graphemeWidth(grapheme: string): number {
  if (grapheme.length === 1 && grapheme >= ' ' && grapheme <= '~') return 1;
  let width = graphemeWidths.get(grapheme);
  if (width === undefined) {
    width = displayWidth(grapheme);
    if (graphemeWidths.size < MAX_REMEMBERED_GRAPHEMES) graphemeWidths.set(grapheme, width);
  }
  return width;
}

const ELLIPSIS = '…';

/** `text` in at most `width` columns: whole when it fits, else its start and `…` (never half a character). */
export function cutEnd(text: string, width: number): string {
  if (PRINTABLE_ASCII.test(text)) return text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1))}${ELLIPSIS}`;
  let used = 0;
  let kept = '';
  let cut = '';
  // Only as far as the cut: a long body is never measured whole.
  for (const { segment } of graphemes.segment(text)) {
    used += graphemeWidth(segment);
    if (used > width) return `${cut}${ELLIPSIS}`;
    kept += segment;
    if (used <= width - 1) cut = kept;
  }
  return text;
}

/** `text` in at most `width` columns: whole when it fits, else `…` and its end (a path's file name, a line number). */
export function cutStart(text: string, width: number): string {
  if (displayWidth(text) <= width) return text;
  const parts = [...graphemes.segment(text)].map(({ segment }) => segment);
  let used = 0;
  let start = parts.length;
  while (start > 0 && used + graphemeWidth(parts[start - 1]) <= width - 1) {
    start -= 1;
    used += graphemeWidth(parts[start]);
  }
  return `${ELLIPSIS}${parts.slice(start).join('')}`;
}

/** `text` padded with spaces on the right to `width` columns (`textWidth`: its own width, when known already). */
export function padEndTo(text: string, width: number, textWidth = displayWidth(text)): string {
  return text + ' '.repeat(Math.max(0, width - textWidth));
}

/** `text` padded with spaces on the left to `width` columns. */
export function padStartTo(text: string, width: number): string {
  return ' '.repeat(Math.max(0, width - displayWidth(text))) + text;
}

/** The width of the terminal stdout is, or undefined when stdout is a pipe or a file (then nothing is cut to fit). */
export function terminalColumns(stream: NodeJS.WriteStream = process.stdout): number | undefined {
  return stream.isTTY === true && stream.columns > 0 ? stream.columns : undefined;
}
