import type { RunSummary } from '../local/run-summary.js';

const COLUMNS = ['file', 'status', 'format', 'lines', 'entries', 'unparsed', 'blank', 'cont.', 'filtered', 'redacted', 'chunks'] as const;

/** The human summary of a run: one row per file, a total row, then throughput and the reasons of failures. */
export function renderSummary(summary: RunSummary, cwd = process.cwd()): string {
  const rows: string[][] = summary.batches.map((batch) => [
    relative(batch.source, cwd),
    batch.status,
    batch.format ?? '-',
    String(batch.totalLines),
    String(batch.entries),
    String(batch.unparsed),
    String(batch.blank),
    String(batch.continuation),
    String(batch.filtered),
    String(batch.redacted),
    String(batch.chunks),
  ]);
  const t = summary.totals;
  rows.push([
    `total (${t.files} file${t.files === 1 ? '' : 's'})`,
    '',
    '',
    String(t.lines),
    String(t.entries),
    String(t.unparsed),
    String(t.blank),
    String(t.continuation),
    String(t.filtered),
    String(t.redacted),
    String(t.chunks),
  ]);
  const widths = COLUMNS.map((title, index) => Math.max(title.length, ...rows.map((row) => row[index].length)));
  const line = (cells: readonly string[]) =>
    cells.map((cell, index) => (index === 0 || index <= 2 ? cell.padEnd(widths[index]) : cell.padStart(widths[index]))).join('  ').trimEnd();
  const out = [line(COLUMNS), line(widths.map((width) => '-'.repeat(width)))];
  rows.forEach((row, index) => {
    if (index === rows.length - 1) out.push(line(widths.map((width) => '-'.repeat(width))));
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
  for (const note of duplicateNotes(summary, cwd)) out.push(`note: ${note}`);
  for (const batch of summary.batches) {
    if (batch.reason !== undefined) out.push(`${relative(batch.source, cwd)}: ${batch.status}: ${batch.reason}`);
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
