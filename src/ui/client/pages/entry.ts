import type { LogEntry } from '../../api-types.js';
import { api } from '../api.js';
import { el, errorBox, escapeBidi, formatNumber, formatTime, link, severityClass } from '../dom.js';
import type { PageContext } from '../router.js';

type AttributeValue = LogEntry['attributes'][string];

/** A value as text; objects and arrays as an expandable tree of the same. */
function valueView(value: AttributeValue): Node {
  if (value === null) return el('span', { class: 'v-null' }, 'null');
  if (Array.isArray(value) || typeof value === 'object') {
    const entries: Array<[string, AttributeValue]> = Array.isArray(value) ? value.map((item, index) => [String(index), item]) : Object.entries(value);
    return el(
      'details',
      { class: 'nested' },
      el('summary', {}, Array.isArray(value) ? `[${entries.length} items]` : `{${entries.length} keys}`),
      attributeTable(entries),
    );
  }
  return el('span', { class: `v-${typeof value}` }, typeof value === 'string' ? value : JSON.stringify(value));
}

function attributeTable(entries: ReadonlyArray<[string, AttributeValue]>): HTMLElement {
  return el(
    'table',
    { class: 'kv' },
    el('tbody', {}, ...entries.map(([key, value]) => el('tr', { 'data-key': key }, el('th', { scope: 'row' }, key), el('td', {}, valueView(value))))),
  );
}

/**
 * The line as read, for a parsed entry (an unparsed entry's body already is its raw line). Shown after the
 * attributes, so a long line does not push them down; as text, like every log-derived string.
 */
function rawSection(entry: LogEntry): HTMLElement[] {
  if (entry.parseError !== undefined) return [];
  const heading = (entry.lineCount ?? 1) > 1 ? `Raw event (${entry.lineCount} lines)` : 'Raw line';
  if (entry.raw !== undefined) return [el('section', {}, el('h2', {}, heading), el('pre', { class: 'body-text', 'data-testid': 'entry-raw' }, entry.raw))];
  const why =
    entry.truncated === true
      ? 'Not kept: the line was longer than the event budget and was cut.'
      : 'Not stored apart from the body: for this format the body is the whole line, or the raw text was left out (redaction could not show it clean, or the store had no room for it).';
  return [el('section', {}, el('h2', {}, heading), el('p', { class: 'muted', 'data-testid': 'entry-raw-missing' }, why))];
}

/** `/batches/<id>/entries/<line>`: one entry, its attributes, its raw line, its lines and flags, and the stored record. */
export function entryPage(context: PageContext): void {
  const { root, signal } = context;
  const [batchId, lineText] = context.params;
  const lineNumber = Number(lineText);
  const batchPath = `/batches/${encodeURIComponent(batchId)}`;
  root.replaceChildren(el('p', { class: 'crumbs' }, link('/', 'Batches'), ' / ', link(batchPath, batchId), ' / ', `line ${lineNumber}`), el('p', { class: 'muted' }, 'Loading…'));

  const load = async () => {
    try {
      const [{ entry, lines }, { batch }] = await Promise.all([api.entry(batchId, lineNumber, signal), api.batch(batchId, signal)]);
      const facts: Array<[string, Node | string]> = [
        ['Time (UTC)', formatTime(entry.timestamp)],
        ['Observed', formatTime(entry.observedTimestamp)],
        ['Severity', el('span', { class: `sev ${severityClass(entry.severityNumber)}` }, entry.severityText ?? '–', entry.severityNumber === undefined ? '' : ` (${entry.severityNumber})`)],
        ['Format', entry.format],
        ['Lines', lines.first === lines.last ? `line ${formatNumber(lines.first)}` : `lines ${formatNumber(lines.first)}–${formatNumber(lines.last)} (${lines.last - lines.first + 1} lines)`],
        ['Truncated', entry.truncated === true ? `yes — ${formatNumber(entry.originalLength)} bytes before truncation` : 'no'],
      ];
      if (entry.parseError !== undefined) facts.push(['Parse error', entry.parseError]);
      const attributes = Object.entries(entry.attributes);
      root.replaceChildren(
        el('p', { class: 'crumbs' }, link('/', 'Batches'), ' / ', link(batchPath, batch.source.key), ' / ', `line ${lineNumber}`),
        el('h1', {}, `Line ${formatNumber(lineNumber)}`, el('span', { class: 'muted' }, ` of ${batch.source.key}`)),
        el('dl', { class: 'counters', 'data-testid': 'entry-facts' }, ...facts.map(([label, value]) => el('div', { 'data-fact': label.toLowerCase() }, el('dt', {}, label), el('dd', {}, value)))),
        el('section', {}, el('h2', {}, entry.parseError === undefined ? 'Body' : 'Raw line (did not parse)'), el('pre', { class: 'body-text', 'data-testid': 'entry-body' }, entry.body)),
        el(
          'section',
          {},
          el('h2', {}, `Attributes (${attributes.length})`),
          attributes.length === 0 ? el('p', { class: 'muted' }, 'none') : el('div', { 'data-testid': 'attributes' }, attributeTable(attributes)),
        ),
        ...rawSection(entry),
        // The record as JSON, exact: a bidi control in it is written as JSON's own escape (`\u202e`), which reads
        // back as the same character.
        el(
          'section',
          {},
          el('details', {}, el('summary', {}, 'Stored record (JSON)'), el('pre', { class: 'body-text', 'data-testid': 'entry-json' }, escapeBidi(JSON.stringify(entry, null, 2)))),
        ),
      );
    } catch (error) {
      if (!signal.aborted) root.replaceChildren(el('p', { class: 'crumbs' }, link('/', 'Batches'), ' / ', link(batchPath, batchId)), errorBox((error as Error).message));
    }
  };
  void load();
}
