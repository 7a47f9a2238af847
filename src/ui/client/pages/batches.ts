import type { Batch } from '../../api-types.js';
import { api } from '../api.js';
import { el, errorBox, FINAL_STATUSES, formatNumber, link, progressBar, progressOf, statusBadge } from '../dom.js';
import { navigate, type PageContext } from '../router.js';

const STATUSES = ['SPLITTING', 'SPLIT', 'COMPLETED', 'COMPLETED_WITH_ERRORS', 'FAILED'];
/** While anything moves: the page refreshes every second (the issue asks ≤ 2 s); idle, every 10 s. */
const LIVE_POLL_MS = 1_000;
const IDLE_POLL_MS = 10_000;
/** Batches the list asks for: the API's default, and its most (`MAX_BATCHES`) when a status filter is on. */
const LIST_LIMIT = 100;
const FILTERED_LIST_LIMIT = 1_000;

interface Column {
  readonly key: string;
  readonly label: string;
  readonly numeric?: boolean;
  readonly sortValue: (batch: Batch) => string | number;
  readonly cell: (batch: Batch) => Node | string;
}

const COLUMNS: readonly Column[] = [
  { key: 'source', label: 'Source', sortValue: (b) => b.source.key, cell: (b) => sourceCell(b) },
  { key: 'status', label: 'Status', sortValue: (b) => b.status, cell: (b) => statusBadge(b.status) },
  { key: 'format', label: 'Format', sortValue: (b) => b.format ?? '', cell: (b) => b.format ?? '–' },
  { key: 'progress', label: 'Progress', sortValue: (b) => progressOf(b).percent ?? -1, cell: (b) => progressBar(b) },
  { key: 'lines', label: 'Lines', numeric: true, sortValue: (b) => b.totalLines ?? b.stats.lines, cell: (b) => formatNumber(b.totalLines ?? b.stats.lines) },
  { key: 'entries', label: 'Entries', numeric: true, sortValue: (b) => b.stats.entries, cell: (b) => formatNumber(b.stats.entries) },
  { key: 'unparsed', label: 'Unparsed', numeric: true, sortValue: (b) => b.stats.unparsed, cell: (b) => formatNumber(b.stats.unparsed) },
  { key: 'blank', label: 'Blank', numeric: true, sortValue: (b) => b.stats.blank, cell: (b) => formatNumber(b.stats.blank) },
  { key: 'continuation', label: 'Cont.', numeric: true, sortValue: (b) => b.stats.continuation, cell: (b) => formatNumber(b.stats.continuation) },
  { key: 'filtered', label: 'Filtered', numeric: true, sortValue: (b) => b.stats.filtered ?? 0, cell: (b) => formatNumber(b.stats.filtered ?? 0) },
  { key: 'redacted', label: 'Redacted', numeric: true, sortValue: (b) => b.stats.redacted ?? 0, cell: (b) => formatNumber(b.stats.redacted ?? 0) },
  { key: 'deadLettered', label: 'Dead-lett.', numeric: true, sortValue: (b) => b.deadLetteredChunks.length, cell: (b) => formatNumber(b.deadLetteredChunks.length) },
  { key: 'created', label: 'Created', sortValue: (b) => b.createdAt, cell: (b) => el('div', {}, shortTime(b.createdAt), el('span', { class: 'dir muted', 'data-col': 'completed' }, b.completedAt === undefined ? '' : '→ ', shortTime(b.completedAt))) },
  { key: 'reason', label: 'Reason', sortValue: (b) => b.reason ?? '', cell: (b) => (b.reason === undefined ? '' : `${b.failureCode ?? ''} ${b.reason}`.trim()) },
];

/** `/`: every batch with its status and progress, filtered and sorted by the URL (`?status=&sort=&dir=`). */
export function batchesPage(context: PageContext): void {
  const { root, query, signal } = context;
  const status = query.get('status') ?? '';
  const sort = COLUMNS.find((column) => column.key === query.get('sort')) ?? COLUMNS.find((column) => column.key === 'created')!;
  const descending = (query.get('dir') ?? (query.has('sort') ? 'asc' : 'desc')) === 'desc';

  const setQuery = (changes: Record<string, string | undefined>) => {
    const next = new URLSearchParams(query);
    for (const [name, value] of Object.entries(changes)) {
      if (value === undefined || value === '') next.delete(name);
      else next.set(name, value);
    }
    const text = next.toString();
    navigate(text === '' ? '/' : `/?${text}`, { replace: true });
  };

  const statusSelect = el(
    'select',
    { name: 'status', 'aria-label': 'Filter by status', onchange: (event) => setQuery({ status: (event.target as HTMLSelectElement).value }) },
    el('option', { value: '' }, 'All statuses'),
    ...STATUSES.map((value) => el('option', { value, selected: value === status }, value.replace(/_/g, ' '))),
  );
  const summary = el('span', { class: 'muted', 'data-testid': 'batches-summary' });
  const headRow = el(
    'tr',
    {},
    ...COLUMNS.map((column) =>
      el(
        'th',
        { class: column.numeric === true ? 'num' : undefined, 'aria-sort': column === sort ? (descending ? 'descending' : 'ascending') : undefined },
        el(
          'button',
          {
            type: 'button',
            class: 'sort',
            'data-sort': column.key,
            onclick: () => setQuery({ sort: column.key, dir: column === sort && !descending ? 'desc' : 'asc' }),
          },
          column.label,
          column === sort ? (descending ? ' ▼' : ' ▲') : '',
        ),
      ),
    ),
  );
  const body = el('tbody');
  const message = el('div');
  root.replaceChildren(
    el('div', { class: 'toolbar' }, el('h1', {}, 'Batches'), statusSelect, summary),
    message,
    el('div', { class: 'table-wrap' }, el('table', { class: 'grid batches', 'data-testid': 'batches' }, el('thead', {}, headRow), body)),
  );

  // A status filter looks through as many batches as the API gives (1,000); the plain list shows the latest 100.
  const limit = status === '' ? LIST_LIMIT : FILTERED_LIST_LIMIT;
  const render = (batches: readonly Batch[]) => {
    const shown = batches.filter((batch) => status === '' || batch.status === status);
    const sign = descending ? -1 : 1;
    shown.sort((a, b) => {
      const x = sort.sortValue(a);
      const y = sort.sortValue(b);
      return sign * (typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y))) || a.batchId.localeCompare(b.batchId);
    });
    body.replaceChildren(
      ...shown.map((batch) =>
        el('tr', { 'data-batch-id': batch.batchId }, ...COLUMNS.map((column) => el('td', { class: column.numeric === true ? 'num' : undefined, 'data-col': column.key }, column.cell(batch)))),
      ),
    );
    // The API lists the most recent batches only: when the list is full, there may be older ones it left out.
    const among = batches.length >= limit ? `the ${limit.toLocaleString('en-US')} most recent` : undefined;
    if (shown.length === 0) {
      const none = batches.length === 0 ? 'No batches yet.' : among === undefined ? 'No batch has this status.' : `No batch among ${among} has this status.`;
      body.replaceChildren(el('tr', {}, el('td', { colspan: COLUMNS.length, class: 'muted' }, none)));
    }
    summary.textContent = among === undefined ? `${shown.length} of ${batches.length} batches` : `${shown.length} of ${among} batches`;
  };

  const poll = async () => {
    while (!signal.aborted) {
      let live = false;
      try {
        const response = await api.batches(signal, limit);
        context.setBackend(response.backend);
        render(response.batches);
        message.replaceChildren();
        live = response.live || response.batches.some((batch) => !FINAL_STATUSES.has(batch.status));
      } catch (error) {
        if (signal.aborted) return;
        message.replaceChildren(errorBox(`Could not load batches: ${(error as Error).message}`));
      }
      await context.sleep(live ? LIVE_POLL_MS : IDLE_POLL_MS);
    }
  };
  void poll();
}

/** The file's name as the link, its folder (or bucket) below it. */
function sourceCell(batch: Batch): Node {
  const key = batch.source.key;
  const slash = key.lastIndexOf('/');
  const folder = batch.source.bucket === 'local' ? key.slice(0, slash + 1) : `s3://${batch.source.bucket}/${key.slice(0, slash + 1)}`;
  return el('div', {}, link(`/batches/${encodeURIComponent(batch.batchId)}`, key.slice(slash + 1) || key), el('span', { class: 'dir muted' }, folder));
}

/** `11-26 08:12:32` (UTC); the full instant in the tooltip. */
function shortTime(value: string | undefined): Node | string {
  if (value === undefined) return '–';
  return el('span', { title: value }, value.slice(5, 19).replace('T', ' '));
}
