import type { LogEntry } from '../../api-types.js';
import { api } from '../api.js';
import { el, errorBox, formatNumber, formatTime, link, severityClass } from '../dom.js';
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

/** `/batches/<id>/entries/<line>`: one entry, its attributes, its lines and flags, and the stored record. */
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
        el(
          'section',
          {},
          el('details', {}, el('summary', {}, 'Stored record (JSON)'), el('pre', { class: 'body-text', 'data-testid': 'entry-json' }, JSON.stringify(entry, null, 2))),
        ),
      );
    } catch (error) {
      if (!signal.aborted) root.replaceChildren(el('p', { class: 'crumbs' }, link('/', 'Batches'), ' / ', link(batchPath, batchId)), errorBox((error as Error).message));
    }
  };
  void load();
}
