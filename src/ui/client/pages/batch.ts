import type { Batch, LogEntry } from '../../api-types.js';
import { api } from '../api.js';
import { el, errorBox, FINAL_STATUSES, formatNumber, formatTime, link, progressBar, severityClass, statusBadge } from '../dom.js';
import { HistogramChart } from '../histogram.js';
import { navigate, type PageContext } from '../router.js';

const SEVERITIES = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];
const PAGE_SIZE = 100;
/** Bodies in the table are cut here (the entry page shows all of it); the cell's CSS cuts the rest of the row. */
const TABLE_BODY_CHARS = 400;
const POLL_MS = 1_000;

/** `/batches/<id>`: counters, the histogram, and the entries as a paged, filtered table (filters in the URL). */
export function batchPage(context: PageContext): void {
  const { root, query, signal } = context;
  const batchId = context.params[0];
  const base = `/batches/${encodeURIComponent(batchId)}`;
  const filters = {
    severity: query.get('severity') ?? '',
    grep: query.get('grep') ?? '',
    where: query.getAll('where'),
    unparsed: query.get('unparsed') === '1',
  };

  const heading = el('h1', {}, 'Batch');
  const status = el('span');
  const counters = el('dl', { class: 'counters', 'data-testid': 'counters' });
  const chartBox = el('div', { class: 'chart', 'data-testid': 'histogram' });
  const chartNote = el('p', { class: 'muted small' });
  const message = el('div');
  const chart = new HistogramChart(chartBox);
  signal.addEventListener('abort', () => chart.destroy());

  // Filters: a form whose submit puts them in the URL (so a filtered view can be linked and reloaded).
  const severity = el(
    'select',
    { name: 'severity', 'aria-label': 'Minimum severity' },
    el('option', { value: '' }, 'any severity'),
    ...SEVERITIES.map((value) => el('option', { value, selected: value === filters.severity }, `≥ ${value}`)),
  );
  const grep = el('input', { type: 'search', name: 'grep', placeholder: 'text in the body', value: filters.grep, 'aria-label': 'Text' });
  const conditions: string[] = [...filters.where];
  const chips = el('span', { class: 'chips' });
  const whereInput = el('input', { type: 'text', name: 'where', placeholder: 'attribute=value, Enter to add', 'aria-label': 'Attribute equals' });
  const drawChips = () =>
    chips.replaceChildren(
      ...conditions.map((condition, index) =>
        el('span', { class: 'chip', 'data-where': condition }, condition, el('button', { type: 'button', 'aria-label': `remove ${condition}`, onclick: () => (conditions.splice(index, 1), drawChips()) }, '×')),
      ),
    );
  drawChips();
  whereInput.addEventListener('keydown', (event) => {
    if (event.key !== 'Enter' || whereInput.value.trim() === '') return;
    event.preventDefault();
    conditions.push(whereInput.value.trim());
    whereInput.value = '';
    drawChips();
  });
  const unparsed = el('input', { type: 'checkbox', name: 'unparsed', checked: filters.unparsed });
  const form = el(
    'form',
    {
      class: 'filters',
      'data-testid': 'filters',
      onsubmit: (event) => {
        event.preventDefault();
        if (whereInput.value.trim() !== '') conditions.push(whereInput.value.trim());
        const next = new URLSearchParams();
        if (severity.value !== '') next.set('severity', severity.value);
        if (grep.value !== '') next.set('grep', grep.value);
        for (const condition of conditions) next.append('where', condition);
        if (unparsed.checked) next.set('unparsed', '1');
        const text = next.toString();
        navigate(text === '' ? base : `${base}?${text}`);
      },
    },
    severity,
    grep,
    whereInput,
    chips,
    el('label', {}, unparsed, ' unparsed only'),
    el('button', { type: 'submit' }, 'Apply'),
    link(base, 'Clear'),
  );

  // The table, page by page: the cursor of each page seen, so Previous goes back without re-reading from the start.
  const tableBody = el('tbody');
  const showParseError = filters.unparsed;
  const pageInfo = el('span', { class: 'muted', 'data-testid': 'page-info' });
  const previous = el('button', { type: 'button', disabled: true }, '← Previous');
  const next = el('button', { type: 'button', disabled: true }, 'Next →');
  const cursors: Array<string | undefined> = [undefined];
  let pageIndex = 0;
  let nextCursor: string | undefined;

  root.replaceChildren(
    el('p', { class: 'crumbs' }, link('/', 'Batches'), ' / ', batchId),
    el('div', { class: 'toolbar' }, heading, status),
    message,
    counters,
    el('section', {}, el('h2', {}, 'Entries over time'), chartBox, chartNote),
    el('section', {}, el('h2', {}, 'Entries'), form),
    el(
      'div',
      { class: 'table-wrap' },
      el(
        'table',
        { class: 'grid entries', 'data-testid': 'entries' },
        el('colgroup', {}, el('col', { class: 'c-time' }), el('col', { class: 'c-sev' }), el('col', { class: 'c-line' }), showParseError ? el('col', { class: 'c-error' }) : null, el('col', { class: 'c-body' })),
        el('thead', {}, el('tr', {}, el('th', {}, 'Time (UTC)'), el('th', {}, 'Severity'), el('th', { class: 'num' }, 'Line'), showParseError ? el('th', {}, 'Parse error') : null, el('th', {}, 'Body'))),
        tableBody,
      ),
    ),
    el('div', { class: 'pager' }, previous, pageInfo, next),
  );

  const row = (entry: LogEntry) => {
    const body = entry.body.length > TABLE_BODY_CHARS ? `${entry.body.slice(0, TABLE_BODY_CHARS)}…` : entry.body;
    return el(
      'tr',
      { 'data-line': entry.lineNumber, class: `row-${severityClass(entry.severityNumber)}` },
      el('td', { class: 'time' }, formatTime(entry.timestamp)),
      el('td', {}, el('span', { class: `sev ${severityClass(entry.severityNumber)}` }, entry.severityText ?? '–')),
      el('td', { class: 'num' }, link(`${base}/entries/${entry.lineNumber}`, String(entry.lineNumber))),
      showParseError ? el('td', { class: 'parse-error' }, entry.parseError ?? '') : null,
      el('td', { class: 'body', title: entry.body.length > 2000 ? undefined : entry.body }, body.replace(/\r?\n/g, ' ⏎ ')),
    );
  };

  const loadPage = async () => {
    const params = new URLSearchParams();
    if (filters.severity !== '') params.set('severity', filters.severity);
    if (filters.grep !== '') params.set('grep', filters.grep);
    for (const condition of filters.where) params.append('where', condition);
    if (filters.unparsed) params.set('unparsed', '1');
    params.set('limit', String(PAGE_SIZE));
    const cursor = cursors[pageIndex];
    if (cursor !== undefined) params.set('cursor', cursor);
    try {
      const page = await api.entries(batchId, params, signal);
      nextCursor = page.cursor;
      tableBody.replaceChildren(...page.items.map(row));
      if (page.items.length === 0) tableBody.replaceChildren(el('tr', {}, el('td', { colspan: showParseError ? 5 : 4, class: 'muted' }, 'No matching entries.')));
      const first = pageIndex * PAGE_SIZE + 1;
      pageInfo.textContent =
        page.items.length === 0 ? '' : `entries ${formatNumber(first)}–${formatNumber(first + page.items.length - 1)}${page.itemsRead === undefined ? '' : ` (${formatNumber(page.itemsRead)} read)`}`;
      previous.disabled = pageIndex === 0;
      next.disabled = nextCursor === undefined;
    } catch (error) {
      if (!signal.aborted) message.replaceChildren(errorBox((error as Error).message));
    }
  };
  previous.addEventListener('click', () => {
    if (pageIndex === 0) return;
    pageIndex--;
    void loadPage();
  });
  next.addEventListener('click', () => {
    if (nextCursor === undefined) return;
    pageIndex++;
    cursors[pageIndex] = nextCursor;
    void loadPage();
  });

  const drawBatch = (batch: Batch) => {
    heading.textContent = batch.source.key;
    status.replaceChildren(statusBadge(batch.status), progressBar(batch));
    const facts: Array<[string, string]> = [
      ['Batch', batch.batchId],
      ['Format', batch.format ?? '–'],
      ['Lines', formatNumber(batch.totalLines ?? batch.stats.lines)],
      ['Entries', formatNumber(batch.stats.entries)],
      ['Unparsed', formatNumber(batch.stats.unparsed)],
      ['Blank', formatNumber(batch.stats.blank)],
      ['Continuation', formatNumber(batch.stats.continuation)],
      ['Truncated', formatNumber(batch.stats.truncated)],
      // Filtered lines are not stored; redacted entries are, with their secrets replaced.
      ['Filtered', formatNumber(batch.stats.filtered ?? 0)],
      ['Redacted', formatNumber(batch.stats.redacted ?? 0)],
      ['Chunks', `${formatNumber(batch.processedChunks)} / ${formatNumber(batch.totalChunks)}`],
      ['Dead-lettered chunks', batch.deadLetteredChunks.length === 0 ? 'none' : batch.deadLetteredChunks.map((chunk) => `#${chunk}`).join(', ')],
      ['Created', formatTime(batch.createdAt)],
      ['Completed', formatTime(batch.completedAt)],
    ];
    if (batch.reason !== undefined) facts.push(['Reason', `${batch.failureCode ?? ''} ${batch.reason}`.trim()]);
    counters.replaceChildren(...facts.flatMap(([label, value]) => [el('div', { 'data-counter': label.toLowerCase() }, el('dt', {}, label), el('dd', {}, value))]));
  };

  const drawHistogram = async () => {
    try {
      const histogram = await api.histogram(batchId, Math.max(20, Math.min(120, Math.floor((chartBox.clientWidth || 800) / 12))), signal);
      chart.update(histogram);
      chartNote.textContent =
        `${formatNumber(histogram.total)} entries with a time, ${histogram.bucketMs >= 1000 ? `${histogram.bucketMs / 1000} s` : `${histogram.bucketMs} ms`} per bar` +
        (histogram.partial === true ? ` — the first ${formatNumber(histogram.itemsRead)} entries only (read budget)` : '');
    } catch (error) {
      if (!signal.aborted) chartNote.textContent = `No histogram: ${(error as Error).message}`;
    }
  };

  const run = async () => {
    let lastStamp = '';
    let first = true;
    while (!signal.aborted) {
      let final = true;
      try {
        const { batch } = await api.batch(batchId, signal);
        drawBatch(batch);
        final = FINAL_STATUSES.has(batch.status);
        const stamp = `${batch.updatedAt}/${batch.processedChunks}`;
        if (stamp !== lastStamp) {
          lastStamp = stamp;
          await drawHistogram();
          // The first page loads once; while a batch runs, it refreshes only if nobody has paged on.
          if (first || pageIndex === 0) await loadPage();
        }
        first = false;
      } catch (error) {
        if (signal.aborted) return;
        message.replaceChildren(errorBox((error as Error).message));
        return;
      }
      if (final) return;
      await context.sleep(POLL_MS);
    }
  };
  void run();
}
