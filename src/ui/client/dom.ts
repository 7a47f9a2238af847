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
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  append(element, ...children);
  return element;
}

export function append(parent: Node, ...children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
  }
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

/** Progress of a batch: processed / total chunks (total known once splitting ends). */
export function progressOf(batch: { processedChunks: number; totalChunks?: number; status: string }): { percent: number; text: string } {
  if (batch.totalChunks === undefined) return { percent: 0, text: `${batch.processedChunks} chunks, splitting` };
  if (batch.totalChunks === 0) return { percent: 100, text: '0/0 chunks' };
  const percent = Math.floor((100 * batch.processedChunks) / batch.totalChunks);
  return { percent, text: `${batch.processedChunks}/${batch.totalChunks} chunks` };
}

export function progressBar(batch: { processedChunks: number; totalChunks?: number; status: string }): HTMLElement {
  const { percent, text } = progressOf(batch);
  const bar = el('progress', { max: 100, value: percent, 'aria-label': `${percent}%` });
  return el('div', { class: 'progress', 'data-percent': percent }, bar, el('span', { class: 'progress-text' }, `${percent}% · ${text}`));
}

export function errorBox(message: string): HTMLElement {
  return el('p', { class: 'error', role: 'alert' }, message);
}
