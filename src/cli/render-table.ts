import { displayWidth, padEndTo, terminalText } from './terminal-text.js';

/**
 * A plain text table: left-aligned columns, a rule under the header. Every cell is printed through
 * {@link terminalText} (control characters escaped) and measured in terminal columns, so wide characters stay aligned.
 */
export function renderTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const cells = [header, ...rows].map((row) => header.map((_, index) => terminalText(row[index] ?? '')));
  // Measured once: a page of long bodies is a lot of text to measure.
  const cellWidths = cells.map((row) => row.map(displayWidth));
  const widths = header.map((_, index) => Math.max(...cellWidths.map((row) => row[index])));
  const line = (row: readonly string[], rowWidths: readonly number[]) =>
    row.map((cell, index) => padEndTo(cell, widths[index], rowWidths[index])).join('  ').trimEnd();
  const rule = widths.map((width) => '-'.repeat(width));
  return [line(cells[0], cellWidths[0]), line(rule, widths), ...cells.slice(1).map((row, index) => line(row, cellWidths[index + 1]))].join('\n');
}
