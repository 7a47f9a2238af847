/**
 * The client's only way to build DOM: elements with attributes set one by one and children appended as nodes or
 * as text nodes. Log text (attacker-controlled) never meets an HTML parser: there is no innerHTML anywhere.
 */
export type Child = Node | string | number | null | undefined | false;

export interface Attributes {
  readonly [name: string]: string | number | boolean | undefined | ((event: Event) => void);
}

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attributes: Attributes = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue;
    if (typeof value === 'function') element.addEventListener(name.replace(/^on/, ''), value);
    else if (name === 'href' && typeof value === 'string' && !value.startsWith('/')) throw new Error('only same-origin paths are linked');
    // A tooltip or label is shown to the reader: its bidi controls are written out, as in the text.
    else element.setAttribute(name, value === true ? '' : SHOWN_ATTRIBUTES.has(name) ? escapeBidi(String(value)) : String(value));
  }
  append(element, ...children);
  return element;
}

/**
 * Appends nodes, and strings as text. Every string goes through {@link visibleText}, so no text from a log, a key
 * or a file name can reorder what the page shows around it.
 */
export function append(parent: Node, ...children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === 'object' ? child : visibleText(String(child)));
  }
}

/**
 * Bidi controls: the embeddings and overrides (U+202A–U+202E) and isolates (U+2066–U+2069) the CLI escapes too
 * (src/cli/terminal-text.ts), and the marks (U+200E, U+200F, U+061C). Shown live they reorder text, so that
 * `\u202Egol.exe` reads as `exe.log`.
 */
const BIDI_CONTROLS = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
const HAS_BIDI_CONTROL = new RegExp(BIDI_CONTROLS.source);
const SHOWN_ATTRIBUTES = new Set(['title', 'aria-label', 'placeholder']);

const BIDI_NAMES: Readonly<Record<string, string>> = {
  '\u061c': 'ARABIC LETTER MARK',
  '\u200e': 'LEFT-TO-RIGHT MARK',
  '\u200f': 'RIGHT-TO-LEFT MARK',
  '\u202a': 'LEFT-TO-RIGHT EMBEDDING',
  '\u202b': 'RIGHT-TO-LEFT EMBEDDING',
  '\u202c': 'POP DIRECTIONAL FORMATTING',
  '\u202d': 'LEFT-TO-RIGHT OVERRIDE',
  '\u202e': 'RIGHT-TO-LEFT OVERRIDE',
  '\u2066': 'LEFT-TO-RIGHT ISOLATE',
  '\u2067': 'RIGHT-TO-LEFT ISOLATE',
  '\u2068': 'FIRST STRONG ISOLATE',
  '\u2069': 'POP DIRECTIONAL ISOLATE',
};

function bidiEscape(character: string): string {
  return `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/** `text` with each bidi control written as its escape (`\u202e`): for attributes, and as JSON's own escape in JSON. */
export function escapeBidi(text: string): string {
  return HAS_BIDI_CONTROL.test(text) ? text.replace(BIDI_CONTROLS, bidiEscape) : text;
}

/** `text` as a text node; a bidi control in it as a marked `\u202e` (`span.ctl`), the rest as it is. */
export function visibleText(text: string): Node {
  if (!HAS_BIDI_CONTROL.test(text)) return document.createTextNode(text);
  const fragment = document.createDocumentFragment();
  let start = 0;
  for (const match of text.matchAll(BIDI_CONTROLS)) {
    if (match.index > start) fragment.appendChild(document.createTextNode(text.slice(start, match.index)));
    const marker = document.createElement('span');
    marker.className = 'ctl';
    marker.title = `U+${match[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')} ${BIDI_NAMES[match[0]] ?? 'bidi control'}, shown escaped`;
    marker.textContent = bidiEscape(match[0]);
    fragment.appendChild(marker);
    start = match.index + match[0].length;
  }
  if (start < text.length) fragment.appendChild(document.createTextNode(text.slice(start)));
  return fragment;
}

/** Replaces `element`'s content with `text`, as {@link append} shows it. */
export function setText(element: Element, text: string): void {
  element.replaceChildren(visibleText(text));
}

/** A link the router follows without reloading the page. */
export function link(href: string, ...children: Child[]): HTMLAnchorElement {
  return el('a', { href, 'data-link': true }, ...children);
}

export function formatNumber(value: number | undefined): string {
  return value === undefined ? '–' : value.toLocaleString('en-US');
}

/** `2026-11-26T10:16:39.963Z` → `2026-11-26 10:16:39.963` (UTC, as stored). */
export function formatTime(value: string | undefined): string {
  return value === undefined ? '–' : value.replace('T', ' ').replace(/Z$/, '');
}

const SEVERITY_CLASSES = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;

/** `sev-error` etc. by OpenTelemetry number range; `sev-none` without one. */
export function severityClass(severityNumber: number | undefined): string {
  if (severityNumber === undefined || severityNumber < 1) return 'sev-none';
  return `sev-${SEVERITY_CLASSES[Math.min(5, Math.floor((severityNumber - 1) / 4))]}`;
}

export const FINAL_STATUSES = new Set(['COMPLETED', 'COMPLETED_WITH_ERRORS', 'FAILED']);

export function statusBadge(status: string): HTMLSpanElement {
  return el('span', { class: `badge status-${status.toLowerCase().replace(/_/g, '-')}`, 'data-status': status }, status.replace(/_/g, ' '));
}

/**
 * Progress of a batch: processed / total chunks. `percent` is undefined while the total is unknown (splitting) and
 * for a batch of no chunks (it read nothing: no bar is full for it).
 */
export function progressOf(batch: { processedChunks: number; totalChunks?: number; status: string }): { percent: number | undefined; text: string } {
  if (batch.totalChunks === undefined) {
    const splitting = FINAL_STATUSES.has(batch.status) ? 'splitting did not finish' : 'splitting';
    return { percent: undefined, text: `${formatNumber(batch.processedChunks)} ${batch.processedChunks === 1 ? 'chunk' : 'chunks'} processed, ${splitting}` };
  }
  if (batch.totalChunks === 0) return { percent: undefined, text: 'no chunks: nothing read' };
  const percent = Math.floor((100 * batch.processedChunks) / batch.totalChunks);
  return { percent, text: `${formatNumber(batch.processedChunks)}/${formatNumber(batch.totalChunks)} chunks` };
}

/** The bar: filled to the percent; indeterminate (moving) while a running batch's total is unknown; empty for no chunks. */
export function progressBar(batch: { processedChunks: number; totalChunks?: number; status: string }): HTMLElement {
  const { percent, text } = progressOf(batch);
  const indeterminate = percent === undefined && batch.totalChunks === undefined && !FINAL_STATUSES.has(batch.status);
  const bar = indeterminate
    ? el('progress', { max: 100, 'aria-label': 'total not known yet' })
    : el('progress', { max: 100, value: percent ?? 0, 'aria-label': percent === undefined ? text : `${percent}%` });
  return el(
    'div',
    { class: 'progress', 'data-percent': percent, 'data-indeterminate': indeterminate },
    bar,
    el('span', { class: 'progress-text' }, percent === undefined ? text : `${percent}% · ${text}`),
  );
}

export function errorBox(message: string): HTMLElement {
  return el('p', { class: 'error', role: 'alert' }, message);
}
