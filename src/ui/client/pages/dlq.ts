import type { Batch, DeadLetterItem } from '../../api-types.js';
import { api } from '../api.js';
import { el, errorBox, FINAL_STATUSES, formatNumber, link, progressBar, statusBadge } from '../dom.js';
import type { PageContext } from '../router.js';

/** `/dlq`: dead-lettered chunks and why, with a Redrive that asks first and then follows the batches to the end. */
export function dlqPage(context: PageContext): void {
  const { root, signal } = context;
  const body = el('tbody');
  const message = el('div');
  const result = el('section', { 'data-testid': 'redrive-result' });
  const redrive = el('button', { type: 'button', class: 'danger', disabled: true, 'data-testid': 'redrive' }, 'Redrive all');
  root.replaceChildren(
    el('div', { class: 'toolbar' }, el('h1', {}, 'Dead letters'), redrive),
    el('p', { class: 'muted' }, 'Chunks that failed on every receive and sit on the dead-letter queue. Redrive moves them back to the chunk queue.'),
    message,
    el(
      'div',
      { class: 'table-wrap' },
      el(
        'table',
        { class: 'grid dlq', 'data-testid': 'dead-letters' },
        el('thead', {}, el('tr', {}, el('th', {}, 'Batch'), el('th', { class: 'num' }, 'Chunk'), el('th', {}, 'Reason'), el('th', { class: 'num' }, 'Receives'), el('th', {}, 'Batch status'))),
        body,
      ),
    ),
    result,
  );

  const row = (item: DeadLetterItem) =>
    el(
      'tr',
      { 'data-batch-id': item.batchId ?? '', 'data-chunk': item.chunk ?? '' },
      el('td', {}, item.batchId === undefined ? '?' : link(`/batches/${encodeURIComponent(item.batchId)}`, item.batchId)),
      el('td', { class: 'num' }, item.chunk === undefined ? '?' : `#${item.chunk}`),
      el('td', { class: 'reason' }, item.reason),
      el('td', { class: 'num' }, formatNumber(item.receiveCount)),
      el('td', {}, item.batchStatus === undefined ? '–' : statusBadge(item.batchStatus)),
    );

  const load = async () => {
    try {
      const { deadLetters } = await api.deadLetters(signal);
      body.replaceChildren(...deadLetters.map(row));
      if (deadLetters.length === 0) body.replaceChildren(el('tr', {}, el('td', { colspan: 5, class: 'muted' }, 'The dead-letter queue is empty.')));
      redrive.disabled = deadLetters.length === 0;
      return deadLetters;
    } catch (error) {
      if (!signal.aborted) message.replaceChildren(errorBox((error as Error).message));
      return [];
    }
  };

  const follow = async (batches: readonly Batch[]) => {
    const rows = new Map<string, HTMLElement>();
    const draw = (batch: Batch) => {
      const line = el(
        'div',
        { class: 'followed', 'data-batch-id': batch.batchId },
        link(`/batches/${encodeURIComponent(batch.batchId)}`, batch.source.key),
        ' ',
        statusBadge(batch.status),
        progressBar(batch),
        el('span', { class: 'muted' }, `${formatNumber(batch.stats.entries)} entries, ${formatNumber(batch.stats.unparsed)} unparsed, ${batch.deadLetteredChunks.length} chunk(s) dead-lettered`),
      );
      const old = rows.get(batch.batchId);
      if (old === undefined) result.appendChild(line);
      else old.replaceWith(line);
      rows.set(batch.batchId, line);
    };
    let pending = [...batches];
    for (const batch of pending) draw(batch);
    while (!signal.aborted && pending.length > 0) {
      await context.sleep(1_000);
      const latest = await Promise.all(pending.map((batch) => api.batch(batch.batchId, signal).then((response) => response.batch)));
      for (const batch of latest) draw(batch);
      pending = latest.filter((batch) => !FINAL_STATUSES.has(batch.status));
    }
  };

  redrive.addEventListener('click', async () => {
    const count = body.querySelectorAll('tr[data-chunk]').length;
    if (!confirm(`Move ${count} dead-lettered chunk(s) back to the chunk queue?`)) return;
    redrive.disabled = true;
    result.replaceChildren(el('p', { class: 'muted' }, 'Redriving…'));
    try {
      const outcome = await api.redrive();
      result.replaceChildren(
        el('h2', {}, 'Redrive'),
        el('p', { 'data-testid': 'redrive-summary' }, `Moved ${outcome.moved} chunk(s) back.${outcome.stillDeadLettered ? ` ${outcome.stillDeadLettered} dead-lettered again.` : ''}`),
      );
      await load();
      await follow(outcome.batches ?? []);
    } catch (error) {
      result.replaceChildren(errorBox(`Redrive failed: ${(error as Error).message}`));
      redrive.disabled = false;
    }
  });
  void load();
}
