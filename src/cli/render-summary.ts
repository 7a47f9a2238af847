import type { RunSummary, RunTotals } from '../local/run-summary.js';
import { cutStart, displayWidth, padEndTo, padStartTo, terminalColumns, terminalText } from './terminal-text.js';

type Counts = Pick<RunTotals, 'entries' | 'unparsed' | 'blank' | 'continuation' | 'filtered' | 'redacted' | 'chunks'> & { readonly lines: number };

/**
 * The counters, in order. `lines`, `entries` and `chunks` always show; the others only when one file has some, so a
 * typical run fits 80 columns (`entries + blank + cont. + filtered = lines` still holds: what is left out is 0).
 */
const COUNTERS: ReadonlyArray<{ readonly title: string; readonly of: (counts: Counts) => number; readonly always?: true }> = [
  { title: 'lines', of: (counts) => counts.lines, always: true },
  { title: 'entries', of: (counts) => counts.entries, always: true },
  { title: 'unparsed', of: (counts) => counts.unparsed },
  { title: 'blank', of: (counts) => counts.blank },
  { title: 'cont.', of: (counts) => counts.continuation },
  { title: 'filtered', of: (counts) => counts.filtered },
  { title: 'redacted', of: (counts) => counts.redacted },
  { title: 'chunks', of: (counts) => counts.chunks, always: true },
];

/** How the summary is laid out: `width` is the terminal's, when the output is one (then long file names are cut to fit it). */
export interface SummaryLayout {
  readonly width?: number;
}

/**
 * The human summary of a run: one row per file, a total row, then throughput and the reasons of failures. File names,
 * reasons and notes are printed through {@link terminalText}; on a terminal (`layout.width`) file names are cut from the
 * left with `…` so the table fits its width, never when the output is a pipe or a file.
 */
export function renderSummary(summary: RunSummary, cwd = process.cwd(), layout: SummaryLayout = { width: terminalColumns() }): string {
  const t = summary.totals;
  const counted: Array<{ file: string; status: string; format: string; counts: Counts }> = summary.batches.map((batch) => ({
    file: terminalText(relative(batch.source, cwd)),
    status: terminalText(batch.status),
    format: terminalText(batch.format ?? '-'),
    counts: { ...batch, lines: batch.totalLines },
  }));
  counted.push({ file: `total (${t.files} file${t.files === 1 ? '' : 's'})`, status: '', format: '', counts: t });
  const counters = COUNTERS.filter((counter) => counter.always === true || counted.some(({ counts }) => counter.of(counts) !== 0));
  const header = ['file', 'status', 'format', ...counters.map((counter) => counter.title)];
  const rows = counted.map(({ file, status, format, counts }) => [file, status, format, ...counters.map((counter) => String(counter.of(counts)))]);
  const widths = header.map((title, index) => Math.max(displayWidth(title), ...rows.map((row) => displayWidth(row[index]))));
  const tableWidth = widths.reduce((sum, width) => sum + width, 2 * (widths.length - 1));
  if (layout.width !== undefined && tableWidth > layout.width) {
    // Only file names give way, from the left (the name's end tells files apart), and never below the total's label.
    const fileWidth = Math.max(widths[0] - (tableWidth - layout.width), displayWidth(rows[rows.length - 1][0]), displayWidth(header[0]));
    for (const row of rows.slice(0, -1)) row[0] = cutStart(row[0], fileWidth);
    widths[0] = Math.max(fileWidth, ...rows.map((row) => displayWidth(row[0])));
  }
  const line = (cells: readonly string[]) =>
    cells.map((cell, index) => (index <= 2 ? padEndTo(cell, widths[index]) : padStartTo(cell, widths[index]))).join('  ').trimEnd();
  const rule = line(widths.map((width) => '-'.repeat(width)));
  const out = [line(header), rule];
  rows.forEach((row, index) => {
    if (index === rows.length - 1) out.push(rule);
    out.push(line(row));
  });
  out.push('');
  const megabytes = summary.bytesRead / 1e6;
  out.push(
    `${t.lines} lines in ${(summary.elapsedMs / 1000).toFixed(2)} s (${summary.linesPerSecond.toLocaleString('en-US')} lines/s, ` +
      `${megabytes.toFixed(1)} MB read) on the ${summary.backend} backend`,
  );
  if (t.deadLettered > 0) out.push(`${t.deadLettered} message(s) on the dead-letter queue`);
  if (t.truncated > 0) out.push(`${t.truncated} event(s) stored truncated`);
  for (const note of duplicateNotes(summary, cwd)) out.push(`note: ${terminalText(note)}`);
  for (const batch of summary.batches) {
    if (batch.reason !== undefined) out.push(terminalText(`${relative(batch.source, cwd)}: ${batch.status}: ${batch.reason}`));
  }
  return `${out.join('\n')}\n`;
}

/** One note per file given more than once: how often, by which other names, and that it ran once. */
function duplicateNotes(summary: RunSummary, cwd: string): string[] {
  const aliases = new Map<string, string[]>();
  for (const { file, sameAs } of summary.duplicateInputs ?? []) aliases.set(sameAs, [...(aliases.get(sameAs) ?? []), file]);
  return [...aliases].map(([file, others]) => {
    const otherNames = [...new Set(others.filter((other) => other !== file))].map((other) => relative(other, cwd));
    const alias = otherNames.length === 0 ? '' : ` (also as ${otherNames.join(', ')})`;
    return `${relative(file, cwd)} was given ${others.length + 1} times${alias}; processed once`;
  });
}

function relative(file: string, cwd: string): string {
  return file.startsWith(`${cwd}/`) ? file.slice(cwd.length + 1) : file;
}
