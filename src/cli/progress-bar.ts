import type { EmulatorProgress } from '../local/run-emulator-pipeline.js';
import type { RunProgress } from '../local/run-pipeline.js';

/** Hides the cursor while the line shows; {@link SHOW_CURSOR} brings it back. */
export const HIDE_CURSOR = '\x1b[?25l';
export const SHOW_CURSOR = '\x1b[?25h';
/** From the cursor to the end of the screen. */
export const ERASE_DOWN = '\x1b[J';
/** Line wrapping off and on again (DECAWM): around each draw only, never left off. */
export const WRAP_OFF = '\x1b[?7l';
export const WRAP_ON = '\x1b[?7h';

/** What {@link ProgressLine} needs of a stream: `process.stderr`, or a fake in tests. */
export interface TerminalStream {
  readonly columns?: number;
  write(text: string): unknown;
  on(event: 'resize', listener: () => void): unknown;
  removeListener(event: 'resize', listener: () => void): unknown;
}

/** A run shorter than this finishes before a progress bar helps: the memory backend shows none below it. */
export const MIN_BAR_BYTES = 20e6;

/**
 * One line of progress on a terminal, redrawn in place at most every `intervalMs` and at once when the terminal is
 * resized, always fitted to the terminal's current width (one column spare, so it never wraps).
 *
 * Between draws the cursor waits, hidden, at the start of the line. A terminal that reflows its lines when it gets
 * narrower (tmux, GNOME Terminal, iTerm2, kitty, ...) moves the start of a line with its text, so each draw, which
 * erases from there to the end of the screen, removes every row an old line became: a resize leaves no fragments,
 * and neither does {@link close}. A draw can still come after the terminal got narrower and before this process
 * hears of it (SIGWINCH): line wrapping is off for the draw, so the line is cut at the edge instead of wrapping below
 * the cursor's row. It is on again within the same write, never left off: the cursor is all there is to restore.
 */
export class ProgressLine {
  private shown = false;
  private closed = false;
  private drawn: { line: string; columns: number } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly onResize = () => this.draw();

  /** `render` gives the line for a terminal of that many columns, or undefined while there is nothing to show. */
  constructor(
    private readonly stream: TerminalStream,
    private readonly render: (columns: number) => string | undefined,
    private readonly intervalMs = 100,
  ) {}

  /** Draws the line now if it changed (the first draw hides the cursor and starts the periodic redraw). */
  draw(): void {
    if (this.closed) return;
    const columns = Math.max(2, this.stream.columns ?? 80);
    const text = this.render(columns);
    if (text === undefined) return;
    const line = truncate(text, columns - 1);
    if (!this.shown) {
      this.shown = true;
      this.stream.write(HIDE_CURSOR);
      this.stream.on('resize', this.onResize);
      this.timer = setInterval(() => this.draw(), this.intervalMs);
      this.timer.unref();
    }
    if (this.drawn?.line === line && this.drawn.columns === columns) return;
    this.drawn = { line, columns };
    this.stream.write(`\r${ERASE_DOWN}${WRAP_OFF}${line}${WRAP_ON}\r`);
  }

  /** Shows the line if it is not showing yet; after that the periodic redraw keeps it current. */
  poke(): void {
    if (!this.shown) this.draw();
  }

  /**
   * Erases what was drawn and shows the cursor again; nothing is drawn after it (a late progress update included).
   * Safe to call more than once, and from a signal handler.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (!this.shown) return;
    if (this.timer !== undefined) clearInterval(this.timer);
    this.stream.removeListener('resize', this.onResize);
    this.stream.write(`\r${ERASE_DOWN}${SHOW_CURSOR}`);
  }
}

/** `text` cut to `width` characters, the last one `…` when cut. */
function truncate(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1))}…`;
}

/** A part of a progress line, and how soon it goes when the line does not fit (lowest `keep` first). */
export interface LinePart {
  readonly text: string;
  readonly keep: number;
}

const BAR_MAX = 40;
const BAR_MIN = 10;

/**
 * ` ======------ 45% | part | part` fitted to `width` columns. The bar is at most {@link BAR_MAX} wide and narrows
 * with the terminal; below {@link BAR_MIN} the parts that matter least (lowest `keep`) make room for it, but never
 * the last one: then the bar goes, and the percentage shows with as many parts as fit.
 */
export function formatBarLine(fraction: number, parts: readonly LinePart[], width: number): string {
  const clamped = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0));
  const tail = (kept: readonly LinePart[]) => [`${Math.floor(clamped * 100)}%`, ...kept.map((part) => part.text)].join(' | ');
  const withoutLeast = (kept: readonly LinePart[]) => {
    const least = kept.reduce((lowest, part, index) => (part.keep < kept[lowest].keep ? index : lowest), 0);
    return kept.filter((_, index) => index !== least);
  };
  const room = (kept: readonly LinePart[]) => width - tail(kept).length - 2;
  let kept: readonly LinePart[] = parts;
  while (kept.length > 1 && room(kept) < BAR_MIN) kept = withoutLeast(kept);
  if (room(kept) >= BAR_MIN) {
    const size = Math.min(BAR_MAX, room(kept));
    const complete = Math.round(clamped * size);
    return ` ${'='.repeat(complete)}${'-'.repeat(size - complete)} ${tail(kept)}`;
  }
  kept = parts;
  while (kept.length > 0 && tail(kept).length + 1 > width) kept = withoutLeast(kept);
  return ` ${tail(kept)}`;
}

/** `7s`, `3m05s`, `1h02m`. */
export function formatEta(seconds: number): string {
  const total = Math.max(0, Math.round(seconds));
  if (total < 60) return `${total}s`;
  if (total < 3600) return `${Math.floor(total / 60)}m${String(total % 60).padStart(2, '0')}s`;
  return `${Math.floor(total / 3600)}h${String(Math.floor((total % 3600) / 60)).padStart(2, '0')}m`;
}

/** Seconds left at the average rate since `startedMs`; undefined until there is a rate to go by. */
function etaSeconds(fraction: number, startedMs: number, nowMs: number): number | undefined {
  const elapsed = (nowMs - startedMs) / 1000;
  if (fraction <= 0.005 || elapsed < 1) return undefined;
  return (elapsed * (1 - fraction)) / fraction;
}

const megabytes = (bytes: number) => Math.round(bytes / 1e6);

/** The progress `logbatch run` shows on a terminal: the memory backend's (and `--store`'s), or the emulator backend's. */
export interface RunProgressDisplay {
  /** Memory backend and `--store`: bytes read of the files and chunks processed; shown for runs of {@link MIN_BAR_BYTES} or more. */
  readonly memory: (progress: RunProgress) => void;
  /** Emulator backend: what it is doing (starting, uploading, processing, ...), whatever the run's size. */
  readonly emulator: (progress: EmulatorProgress) => void;
  /** Erases the line and restores the cursor; nothing shows after it. */
  close(): void;
}

export function runProgressDisplay(stream: TerminalStream, options: { now?: () => number; intervalMs?: number } = {}): RunProgressDisplay {
  const now = options.now ?? Date.now;
  let state: { readonly kind: 'memory'; readonly progress: RunProgress } | { readonly kind: 'emulator'; readonly progress: EmulatorProgress } | undefined;
  let phaseStarted = now();
  const line = new ProgressLine(stream, (columns) => (state === undefined ? undefined : renderProgress(state, columns, phaseStarted, now())), options.intervalMs);
  return {
    memory(progress) {
      if (progress.totalBytes < MIN_BAR_BYTES) return;
      if (state === undefined) phaseStarted = now();
      state = { kind: 'memory', progress };
      line.poke();
    },
    emulator(progress) {
      const phaseChanged = state?.kind !== 'emulator' || state.progress.phase !== progress.phase;
      if (phaseChanged) phaseStarted = now();
      state = { kind: 'emulator', progress };
      // A new phase shows at once; numbers within a phase at the next redraw.
      if (phaseChanged) line.draw();
      else line.poke();
    },
    close: () => line.close(),
  };
}

function renderProgress(
  state: { readonly kind: 'memory'; readonly progress: RunProgress } | { readonly kind: 'emulator'; readonly progress: EmulatorProgress },
  columns: number,
  phaseStarted: number,
  nowMs: number,
): string {
  const width = columns - 1;
  const eta = (fraction: number): LinePart[] => {
    const seconds = etaSeconds(fraction, phaseStarted, nowMs);
    return seconds === undefined ? [] : [{ text: `ETA ${formatEta(seconds)}`, keep: 3 }];
  };
  const elapsed = formatEta((nowMs - phaseStarted) / 1000);
  if (state.kind === 'memory') {
    const { bytesRead, totalBytes, chunksProcessed } = state.progress;
    const fraction = totalBytes === 0 ? 1 : bytesRead / totalBytes;
    return formatBarLine(
      fraction,
      [{ text: `${megabytes(bytesRead)}/${megabytes(totalBytes)} MB read`, keep: 2 }, { text: `${chunksProcessed} chunks processed`, keep: 1 }, ...eta(fraction)],
      width,
    );
  }
  const progress = state.progress;
  switch (progress.phase) {
    case 'starting':
      return `starting the emulators (fauxqs, DynamoDB Local)... ${elapsed}`;
    case 'uploading': {
      const fraction = progress.totalBytes === 0 ? 1 : progress.bytesUploaded / progress.totalBytes;
      return formatBarLine(fraction, [{ text: `${megabytes(progress.bytesUploaded)}/${megabytes(progress.totalBytes)} MB uploaded`, keep: 2 }, ...eta(fraction)], width);
    }
    case 'processing': {
      if (!progress.splitDone) {
        return `splitting: ${progress.chunksQueued} chunks so far, ${progress.chunksProcessed} processed... ${elapsed}`;
      }
      const fraction = progress.chunksQueued === 0 ? 1 : progress.chunksProcessed / progress.chunksQueued;
      return formatBarLine(fraction, [{ text: `${progress.chunksProcessed}/${progress.chunksQueued} chunks processed`, keep: 2 }, ...eta(fraction)], width);
    }
    case 'reading-back': {
      const fraction = progress.totalEntries === 0 ? 1 : progress.entriesRead / progress.totalEntries;
      return formatBarLine(fraction, [{ text: `${progress.entriesRead}/${progress.totalEntries} entries read back for --out`, keep: 2 }, ...eta(fraction)], width);
    }
    case 'stopping':
      return `stopping the emulators... ${elapsed}`;
  }
}
