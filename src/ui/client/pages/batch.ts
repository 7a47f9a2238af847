import type { Batch, HistogramResponse, LogEntry } from '../../api-types.js';
import { SeverityNumber } from '../../../domain/severity.js';
import { api, ApiError } from '../api.js';
import { el, errorBox, escapeBidi, FINAL_STATUSES, formatNumber, formatTime, link, progressBar, setText, severityClass, statusBadge } from '../dom.js';
import { HistogramChart } from '../histogram.js';
import { navigate, type PageContext } from '../router.js';

const SEVERITIES = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
const PAGE_SIZE = 100;
/** Bodies in the table are cut here (the entry page shows all of it); the cell's CSS cuts the rest of the row. */
const TABLE_BODY_CHARS = 400;
const POLL_MS = 1_000;
/** After a failed request the page tries again after 2 s, 4 s, 8 s … up to this, and at once returns to POLL_MS. */
const MAX_RETRY_MS = 30_000;

/**
 * The select's option for a `severity` from the URL, which the API reads as `query --severity` does (a name in any
 * case, `warning`, or a number from 1 to 24): a name or a range's first number is its option (`WARNING`, `13` →
 * `warn`); another number is an option of its own (`14`, "≥ 14 (warn2)"), so Apply keeps the same filter; a value the
 * API refuses is kept as it is, and the API's error says why.
 */
export function severityOption(raw: string): { value: string; label?: string } {
  const trimmed = raw.trim();
  if (trimmed === '') return { value: '' };
  const lower = trimmed.toLowerCase() === 'warning' ? 'warn' : trimmed.toLowerCase();
  const named = SEVERITIES.find((name) => name === lower);
  if (named !== undefined) return { value: named };
  if (/^\d+$/.test(trimmed) && Number(trimmed) >= 1 && Number(trimmed) <= 24) {
    const number = Number(trimmed);
    const range = SEVERITIES[Math.floor((number - 1) / 4)];
    const step = number - SeverityNumber[range.toUpperCase() as keyof typeof SeverityNumber] + 1;
    return step === 1 ? { value: range } : { value: String(number), label: `≥ ${number} (${range}${step})` };
  }
  return { value: trimmed, label: `≥ ${trimmed}` };
}

/** `/batches/<id>`: counters, the histogram, and the entries as a paged, filtered table (filters in the URL). */
export function batchPage(context: PageContext): void {
  const { root, query, signal } = context;
  const batchId = context.params[0];
  const base = `/batches/${encodeURIComponent(batchId)}`;
  const severityChoice = severityOption(query.get('severity') ?? '');
  const filters = {
    severity: severityChoice.value,
    grep: query.get('grep') ?? '',
    where: query.getAll('where'),
    unparsed: query.get('unparsed') === '1',
  };

  const heading = el('h1', {}, 'Batch');
  const status = el('span');
  const counters = el('dl', { class: 'counters', 'data-testid': 'counters' });
  const chartBox = el('div', { class: 'chart', 'data-testid': 'histogram' });
  const chartNote = el('p', { class: 'muted small' });
  /** The batch's own requests (the live poll): cleared when one succeeds again. */
  const message = el('div');
  /** The table's requests: a filter the API refuses (`where` without `=`) says so above the table. */
  const entriesMessage = el('div');
  const chart = new HistogramChart(chartBox);
  signal.addEventListener('abort', () => chart.destroy());

  // Filters: a form whose submit puts them in the URL (so a filtered view can be linked and reloaded).
  const severity = el(
    'select',
    { name: 'severity', 'aria-label': 'Minimum severity' },
    el('option', { value: '' }, 'any severity'),
    ...SEVERITIES.map((value) => el('option', { value, selected: value === filters.severity }, `≥ ${value}`)),
    severityChoice.label === undefined ? null : el('option', { value: severityChoice.value, selected: true }, severityChoice.label),
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

  const crumbs = () => el('p', { class: 'crumbs' }, link('/', 'Batches'), ' / ', batchId);
  root.replaceChildren(
    crumbs(),
    el('div', { class: 'toolbar' }, heading, status),
    message,
    counters,
    el('section', {}, el('h2', {}, 'Entries over time'), chartBox, chartNote),
    el('section', {}, el('h2', {}, 'Entries'), form),
    entriesMessage,
    el(
      'div',
      { class: 'table-wrap' },
      el(
        'table',
        { class: `grid entries${showParseError ? ' with-parse-error' : ''}`, 'data-testid': 'entries' },
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
      el('td', { class: 'body', title: entry.body.length > 2000 ? undefined : escapeBidi(entry.body) }, body.replace(/\r?\n/g, ' ⏎ ')),
    );
  };

  /** Loads the current page of the table; false when the request failed (said above the table). */
  const loadPage = async (): Promise<boolean> => {
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
      entriesMessage.replaceChildren();
      return true;
    } catch (error) {
      if (!signal.aborted) entriesMessage.replaceChildren(errorBox((error as Error).message));
      return false;
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
    setText(heading, batch.source.key);
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

  /** Draws the histogram; false when the request failed (said under the chart). */
  const drawHistogram = async (batch: Batch): Promise<boolean> => {
    try {
      const histogram = await api.histogram(batchId, Math.max(20, Math.min(120, Math.floor((chartBox.clientWidth || 800) / 12))), signal);
      const empty = histogram.starts.length === 0;
      chartBox.hidden = empty;
      chart.update(histogram);
      chartNote.textContent = histogramNote(histogram, batch);
      return true;
    } catch (error) {
      if (!signal.aborted) chartNote.textContent = `No histogram: ${(error as Error).message}`;
      return false;
    }
  };

  /** Only the error, for a batch there is none of (`/batches/nope`). */
  const showMissing = (error: Error) => root.replaceChildren(crumbs(), errorBox(error.message));

  // The live poll: a failed request is said and tried again with backoff, never the end of the updates; a request
  // that succeeds clears the error. It stops once the batch is final and everything on the page has been drawn.
  const run = async () => {
    let drawnStamp: string | undefined;
    let failures = 0;
    while (!signal.aborted) {
      let final = false;
      try {
        const { batch } = await api.batch(batchId, signal);
        drawBatch(batch);
        final = FINAL_STATUSES.has(batch.status);
        const stamp = `${batch.updatedAt}/${batch.processedChunks}`;
        let drawn = true;
        if (stamp !== drawnStamp) {
          drawn = await drawHistogram(batch);
          // The first page loads once; while a batch runs, it refreshes only if nobody has paged on.
          if (drawnStamp === undefined || pageIndex === 0) drawn = (await loadPage()) && drawn;
          if (drawn) drawnStamp = stamp;
        }
        if (signal.aborted) return;
        message.replaceChildren();
        // A histogram or table that failed (said where it shows) is asked again, with the same backoff.
        failures = drawn ? 0 : failures + 1;
        final &&= drawn;
      } catch (error) {
        if (signal.aborted) return;
        if (error instanceof ApiError && error.status === 404 && drawnStamp === undefined) return showMissing(error);
        failures++;
        const retryMs = Math.min(MAX_RETRY_MS, POLL_MS * 2 ** failures);
        message.replaceChildren(errorBox(`${(error as Error).message} — trying again in ${retryMs / 1000} s`));
        await context.sleep(retryMs);
        continue;
      }
      if (final) return;
      await context.sleep(failures === 0 ? POLL_MS : Math.min(MAX_RETRY_MS, POLL_MS * 2 ** failures));
    }
  };
  void run();
}

/** Readable bucket widths: `500 ms`, `10 s`, `5 min`, `2 h`, `1 day`, `4,190 weeks`. */
export function formatDuration(ms: number): string {
  const units: Array<[number, string]> = [
    [604_800_000, 'week'],
    [86_400_000, 'day'],
    [3_600_000, 'h'],
    [60_000, 'min'],
    [1_000, 's'],
  ];
  for (const [size, unit] of units) {
    if (ms >= size && ms % size === 0) {
      const count = ms / size;
      return `${formatNumber(count)} ${unit}${(unit === 'week' || unit === 'day') && count !== 1 ? 's' : ''}`;
    }
  }
  return `${formatNumber(ms)} ms`;
}

/** What is under the chart: how many entries it counts and how wide a bar is, or plainly why there is no chart. */
function histogramNote(histogram: HistogramResponse, batch: Batch): string {
  const partial = histogram.partial === true ? ` — the first ${formatNumber(histogram.itemsRead)} entries only (read budget)` : '';
  if (histogram.starts.length === 0) {
    const entries = batch.stats.entries;
    if (entries === 0) return FINAL_STATUSES.has(batch.status) ? 'No entries: nothing to chart.' : 'No entries yet: nothing to chart.';
    const none = entries === 1 ? 'The one entry has no time' : `None of the ${formatNumber(entries)} entries has a time`;
    return `${none}: there is nothing to chart over time.${partial}`;
  }
  const entries = `${formatNumber(histogram.total)} ${histogram.total === 1 ? 'entry' : 'entries'} with a time`;
  // The page asks for at least 20 buckets: one bucket of 1 ms means every time is the same instant.
  if (histogram.starts.length === 1 && histogram.bucketMs <= 1) {
    return `${entries}, ${histogram.total === 1 ? 'at' : 'all at the same instant,'} ${formatTime(new Date(histogram.starts[0]).toISOString())} (UTC)${partial}`;
  }
  return `${entries}, ${formatDuration(histogram.bucketMs)} per bar${partial}`;
}
