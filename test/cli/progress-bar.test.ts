import { EventEmitter } from 'node:events';
import { expect } from 'chai';
import {
  ERASE_DOWN,
  formatBarLine,
  formatEta,
  HIDE_CURSOR,
  MIN_BAR_BYTES,
  ProgressLine,
  runProgressDisplay,
  SHOW_CURSOR,
  WRAP_OFF,
  WRAP_ON,
} from '../../src/cli/progress-bar.js';

/** A terminal's stream as the progress line sees it: what was written, and a width that can change (`resize`). */
class FakeTerminal extends EventEmitter {
  readonly writes: string[] = [];
  constructor(public columns: number) {
    super();
  }
  write(text: string): boolean {
    this.writes.push(text);
    return true;
  }
  resize(columns: number): void {
    this.columns = columns;
    this.emit('resize');
  }
  get output(): string {
    return this.writes.join('');
  }
}

/** The text a draw puts on the screen, without the control sequences around it. */
function visible(draw: string): string {
  // eslint-disable-next-line no-control-regex
  return draw.replace(/\x1b\[[?0-9;]*[A-Za-z]/g, '').replace(/\r/g, '');
}

/** The last setting of a DEC private mode (25: cursor shown, 7: line wrapping) in `output`, or undefined if never set. */
function lastMode(output: string, mode: number): 'h' | 'l' | undefined {
  const settings = [...output.matchAll(new RegExp(`\\x1b\\[\\?${mode}([hl])`, 'g'))];
  return settings.at(-1)?.[1] as 'h' | 'l' | undefined;
}

const big = { bytesRead: 46e6, totalBytes: 102e6, chunksProcessed: 284 };

describe('the progress line of logbatch run', () => {
  const displays: Array<{ close(): void }> = [];
  afterEach(() => {
    for (const display of displays.splice(0)) display.close();
  });
  function display(terminal: FakeTerminal, now = () => 0) {
    const shown = runProgressDisplay(terminal, { now, intervalMs: 60_000 });
    displays.push(shown);
    return shown;
  }

  it('fits every width: no draw is wider than the terminal less one column', () => {
    for (let columns = 8; columns <= 200; columns++) {
      const terminal = new FakeTerminal(columns);
      let clock = 0;
      const shown = display(terminal, () => clock);
      shown.memory({ ...big, bytesRead: 1e6 });
      clock = 30_000;
      terminal.resize(columns);
      shown.memory(big);
      for (const progress of [
        { phase: 'starting' },
        { phase: 'uploading', bytesUploaded: 40e6, totalBytes: 84e6 },
        { phase: 'processing', chunksQueued: 300, chunksProcessed: 120, splitDone: false },
        { phase: 'processing', chunksQueued: 336, chunksProcessed: 120, splitDone: true },
        { phase: 'reading-back', entriesRead: 12_000, totalEntries: 200_000 },
        { phase: 'stopping' },
      ] as const) {
        shown.emulator(progress);
      }
      shown.close();
      const draws = terminal.writes.filter((write) => write.startsWith(`\r${ERASE_DOWN}${WRAP_OFF}`));
      expect(draws.length, `${columns} columns`).to.be.greaterThan(5);
      for (const draw of draws) expect(visible(draw).length, `${columns} columns: ${JSON.stringify(draw)}`).to.be.at.most(columns - 1);
    }
  });

  it('keeps the bar 40 wide at 100 columns and narrows it, dropping the least useful parts first, as the terminal narrows', () => {
    expect(formatBarLine(0.45, [{ text: '46/102 MB read', keep: 2 }, { text: '284 chunks processed', keep: 1 }, { text: 'ETA 3s', keep: 3 }], 99)).to.equal(
      ` ${'='.repeat(18)}${'-'.repeat(22)} 45% | 46/102 MB read | 284 chunks processed | ETA 3s`,
    );
    const at60 = formatBarLine(0.45, [{ text: '46/102 MB read', keep: 2 }, { text: '284 chunks processed', keep: 1 }, { text: 'ETA 3s', keep: 3 }], 59);
    expect(at60).to.match(/^ =+-+ 45% \| 46\/102 MB read \| ETA 3s$/);
    expect(at60.length).to.be.at.most(59);
    expect(formatBarLine(0.45, [{ text: '46/102 MB read', keep: 2 }, { text: 'ETA 3s', keep: 3 }], 20)).to.equal(' 45% | ETA 3s');
  });

  it('keeps the cursor at the start of the line between draws, and line wrapping on after each draw', () => {
    const terminal = new FakeTerminal(100);
    const shown = display(terminal);
    shown.memory(big);
    terminal.resize(60);
    terminal.resize(45);

    const draws = terminal.writes.filter((write) => write.includes(WRAP_OFF));
    expect(draws).to.have.length(3);
    for (const draw of draws) {
      // Erased from the start of the line to the end of the screen (every row an old, reflowed line became), drawn
      // with wrapping off (a terminal narrower than this process knows yet cuts it), wrapping on, back to the start.
      expect(draw.startsWith(`\r${ERASE_DOWN}${WRAP_OFF}`)).to.equal(true);
      expect(draw.endsWith(`${WRAP_ON}\r`)).to.equal(true);
    }
    expect(visible(draws[1]).length).to.be.at.most(59);
    expect(visible(draws[2]).length).to.be.at.most(44);
    expect(lastMode(terminal.output, 7)).to.equal('h');
    expect(lastMode(terminal.output, 25)).to.equal('l');
  });

  it('erases what it drew and shows the cursor again on close, and draws nothing after it', () => {
    const terminal = new FakeTerminal(100);
    const shown = display(terminal);
    shown.memory(big);
    shown.close();
    const written = terminal.writes.length;
    shown.memory({ ...big, bytesRead: 90e6 });
    terminal.resize(80);
    shown.close();

    expect(terminal.writes[0]).to.equal(HIDE_CURSOR);
    expect(terminal.writes.at(-1)).to.equal(`\r${ERASE_DOWN}${SHOW_CURSOR}`);
    expect(terminal.writes).to.have.length(written);
    expect(terminal.listenerCount('resize')).to.equal(0);
    expect(lastMode(terminal.output, 25)).to.equal('h');
    // Wrapping is switched off only within a draw: never left off, and nothing to restore at the end.
    expect(lastMode(terminal.output, 7)).to.equal('h');
  });

  it('writes nothing at all for a memory run under 20 MB, not even on close', () => {
    const terminal = new FakeTerminal(100);
    const shown = display(terminal);
    shown.memory({ bytesRead: 1e6, totalBytes: MIN_BAR_BYTES - 1, chunksProcessed: 3 });
    shown.close();

    expect(terminal.writes).to.deep.equal([]);
  });

  it('says what an emulator run is doing in each phase, whatever its size', () => {
    const terminal = new FakeTerminal(120);
    let clock = 0;
    const shown = display(terminal, () => clock);
    const lines: string[] = [];
    const last = () => visible(terminal.writes.at(-1) ?? '');
    shown.emulator({ phase: 'starting' });
    lines.push(last());
    shown.emulator({ phase: 'uploading', bytesUploaded: 0, totalBytes: 84e6 });
    clock = 2000;
    terminal.resize(119);
    shown.emulator({ phase: 'uploading', bytesUploaded: 42e6, totalBytes: 84e6 });
    terminal.resize(120);
    lines.push(last());
    shown.emulator({ phase: 'processing', chunksQueued: 40, chunksProcessed: 0, splitDone: false });
    lines.push(last());
    shown.emulator({ phase: 'processing', chunksQueued: 336, chunksProcessed: 84, splitDone: true });
    clock = 12_000;
    terminal.resize(119);
    lines.push(last());
    shown.emulator({ phase: 'reading-back', entriesRead: 0, totalEntries: 1000 });
    lines.push(last());
    shown.emulator({ phase: 'stopping' });
    lines.push(last());

    expect(lines).to.deep.equal([
      'starting the emulators (fauxqs, DynamoDB Local)... 0s',
      ` ${'='.repeat(20)}${'-'.repeat(20)} 50% | 42/84 MB uploaded | ETA 2s`,
      'splitting: 40 chunks so far, 0 processed... 0s',
      ` ${'='.repeat(10)}${'-'.repeat(30)} 25% | 84/336 chunks processed | ETA 30s`,
      ` ${'-'.repeat(40)} 0% | 0/1000 entries read back for --out`,
      'stopping the emulators... 0s',
    ]);
  });

  it('redraws on its own while it shows, so a figure like the elapsed time moves between updates', async () => {
    const terminal = new FakeTerminal(100);
    let text = 'one';
    const line = new ProgressLine(terminal, () => text, 5);
    try {
      line.draw();
      text = 'two';
      await new Promise((resolve) => setTimeout(resolve, 40));
      expect(terminal.writes.map(visible)).to.include('two');
    } finally {
      line.close();
    }
  });

  it('formats times left as s, m and h', () => {
    expect([formatEta(0), formatEta(7.4), formatEta(185), formatEta(3720)]).to.deep.equal(['0s', '7s', '3m05s', '1h02m']);
  });
});
