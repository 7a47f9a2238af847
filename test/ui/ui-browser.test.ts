import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { SqliteEntryQuery } from '../../src/adapters/sqlite/sqlite-entry-query.js';
import { type Batch, BatchStatus, decideCompletion } from '../../src/domain/batch.js';
import type { BatchesResponse } from '../../src/ui/api-types.js';
import { runLocalPipeline } from '../../src/local/run-pipeline.js';
import { closeSharedBrowser, sharedBrowser } from './browser.js';
import { APP_UNPARSED, appExpectations, appLine, LONG_LINE_BYTES, startUiFixture, type UiFixture, XSS_JAVASCRIPT_URL, XSS_LINES, XSS_PAYLOADS } from './fixtures.js';

// Functions given to page.evaluate/waitForFunction run in the browser; this file is type-checked without lib.dom
// (which would change Node's globals for the whole project), so the browser's globals are declared loosely here.
declare const document: any;
declare const window: any;
declare const location: any;

/** `npm run screenshots` sets this: the tests then save the four pages where docs/images wants them. */
const SCREENSHOT_DIR = process.env.LOGBATCH_SCREENSHOTS;

describe('logbatch ui in a real Chromium', function () {
  this.timeout(90_000);
  let fixture: UiFixture;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const pageErrors: string[] = [];
  const dialogs: string[] = [];
  const url = (pathname: string) => new URL(pathname, fixture.server.url).toString();
  const screenshot = async (name: string) => {
    if (SCREENSHOT_DIR === undefined) return;
    await mkdir(SCREENSHOT_DIR, { recursive: true });
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`), fullPage: false });
  };
  const lineNumbers = async () => page.$$eval('table[data-testid=entries] tbody tr[data-line]', (rows) => rows.map((row) => Number(row.getAttribute('data-line'))));

  before(async () => {
    [fixture, browser] = await Promise.all([startUiFixture(), sharedBrowser()]);
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      // Only the redrive's confirmation is expected; anything else (an alert from a payload) is refused.
      void (dialog.type() === 'confirm' ? dialog.accept() : dialog.dismiss());
    });
  });
  after(async () => {
    await context?.close();
    await closeSharedBrowser();
    await fixture?.close();
  });
  afterEach(() => {
    expect(pageErrors, 'errors in the page').to.deep.equal([]);
  });

  it('shows every batch with the right counts on /', async () => {
    await page.goto(url('/'));
    await page.waitForSelector(`tr[data-batch-id="${fixture.poison.batchId}"]`);
    const cells = (batchId: string) =>
      page.$eval(`tr[data-batch-id="${batchId}"]`, (row) =>
        Object.fromEntries([...row.querySelectorAll('td[data-col]')].map((cell) => [cell.getAttribute('data-col'), cell.textContent?.trim()])),
      );

    const app = await cells(fixture.app.batchId);
    const poison = await cells(fixture.poison.batchId);
    await screenshot('batches');

    expect(app).to.deep.include({ status: 'COMPLETED WITH ERRORS', format: 'json', lines: '300', entries: '300', unparsed: '3', blank: '0', continuation: '0', deadLettered: '0' });
    expect(app.progress).to.match(/^100% · 6\/6 chunks/);
    expect(poison).to.deep.include({ status: 'FAILED', lines: '120', entries: '100', unparsed: '0', deadLettered: '1' });
    expect(poison.progress).to.match(/^83% · 5\/6 chunks/);
    expect(poison.reason).to.match(/^DEAD_LETTERED_CHUNKS/);
    expect(await page.textContent('[data-testid=batches-summary]')).to.equal('4 of 4 batches');
  });

  it('filters batches by status and sorts them by a column, in the URL', async () => {
    await page.goto(url('/'));
    await page.waitForSelector('tr[data-batch-id]');

    await page.selectOption('select[name=status]', 'FAILED');
    await page.waitForFunction(() => document.querySelectorAll('tr[data-batch-id]').length === 1);
    const failed = await page.$$eval('tr[data-batch-id]', (rows) => rows.map((row) => row.getAttribute('data-batch-id')));
    await page.selectOption('select[name=status]', '');
    await page.click('button[data-sort=entries]');
    await page.waitForFunction(() => location.search.includes('sort=entries'));
    const byEntries = await page.$$eval('tr[data-batch-id] td[data-col=entries]', (cells) => cells.map((cell) => Number(cell.textContent!.replace(/,/g, ''))));

    expect(failed).to.deep.equal([fixture.poison.batchId]);
    expect(byEntries).to.deep.equal([...byEntries].sort((a, b) => a - b));
  });

  it("advances a running batch's progress bar to 100% without a reload", async () => {
    const repository = fixture.opened.logRepository;
    const batchId = 'live0000000000000000000a';
    await repository.createBatch({ batchId, source: { bucket: 'local', key: '/var/log/live.jsonl', etag: '1-1' }, format: 'json', createdAt: new Date().toISOString() });
    await repository.finishSplitting(batchId, { totalLines: 40, totalChunks: 4, format: 'json' });
    await page.goto(url('/'));
    const progress = () => page.$eval(`tr[data-batch-id="${batchId}"] .progress`, (element) => Number(element.getAttribute('data-percent')));
    await page.waitForSelector(`tr[data-batch-id="${batchId}"]`);
    await page.evaluate(() => ((window as unknown as { samePage: boolean }).samePage = true));

    const seen = [await progress()];
    for (let chunk = 0; chunk < 4; chunk++) {
      await repository.recordChunkProcessed(batchId, chunk, { lines: 10, entries: 10, unparsed: 0, blank: 0, continuation: 0, truncated: 0, filtered: 0, redacted: 0 });
      const expected = (chunk + 1) * 25;
      // Each step shows within one live poll (1 s); the margin is for a stalled CI machine.
      await page.waitForFunction(([id, percent]) => document.querySelector(`tr[data-batch-id="${id}"] .progress`)?.getAttribute('data-percent') === String(percent), [batchId, expected] as const, { timeout: 15_000 });
      seen.push(await progress());
    }
    const batch = (await repository.getBatch(batchId))!;
    await repository.completeBatch(batch, decideCompletion(batch)!);
    await page.waitForSelector(`tr[data-batch-id="${batchId}"] [data-status=COMPLETED]`, { timeout: 15_000 });

    expect(seen).to.deep.equal([0, 25, 50, 75, 100]);
    expect(await page.evaluate(() => (window as unknown as { samePage?: boolean }).samePage)).to.equal(true);
    expect(await page.$eval(`tr[data-batch-id="${batchId}"] progress`, (bar) => (bar as unknown as { value: number }).value)).to.equal(100);
  });

  it('filters entries by severity, by text, by attribute and to unparsed lines', async () => {
    const expected = appExpectations();
    await page.goto(url(`/batches/${fixture.app.batchId}`));
    await page.waitForSelector('tr[data-line="100"]');
    await page.waitForSelector('[data-testid=histogram] canvas');
    await screenshot('batch');

    await page.selectOption('select[name=severity]', 'error');
    await page.click('form[data-testid=filters] button[type=submit]');
    await page.waitForFunction(() => location.search === '?severity=error' && document.querySelectorAll('tr[data-line]').length === 15);
    const errors = await lineNumbers();
    const severities = await page.$$eval('tr[data-line] .sev', (cells) => [...new Set(cells.map((cell) => cell.textContent))]);

    await page.selectOption('select[name=severity]', '');
    await page.fill('input[name=grep]', 'payment');
    await page.click('form[data-testid=filters] button[type=submit]');
    await page.waitForFunction(() => location.search === '?grep=payment');
    await page.waitForFunction((count) => document.querySelectorAll('tr[data-line]').length === count, expected.payment.length);
    const payments = await lineNumbers();

    await page.fill('input[name=grep]', '');
    await page.fill('input[name=where]', 'http.response.status_code=500');
    await page.press('input[name=where]', 'Enter');
    await page.selectOption('select[name=severity]', 'fatal');
    await page.click('form[data-testid=filters] button[type=submit]');
    await page.waitForFunction(() => location.search === '?severity=fatal&where=http.response.status_code%3D500');
    await page.waitForSelector('tr[data-line]');
    const byAttributes = await lineNumbers();

    await page.goto(url(`/batches/${fixture.app.batchId}?unparsed=1`));
    await page.waitForFunction(() => document.querySelectorAll('tr[data-line]').length === 3);
    const unparsed = await lineNumbers();
    const parseErrors = await page.$$eval('td.parse-error', (cells) => cells.map((cell) => cell.textContent));

    expect(errors).to.deep.equal(expected.errorOrAbove);
    expect(severities).to.have.members(['ERROR', 'FATAL']);
    expect(payments).to.deep.equal(expected.payment);
    expect(byAttributes).to.deep.equal([100, 200, 300]);
    expect(unparsed).to.deep.equal([50, 150, 250]);
    expect(parseErrors.every((text) => text !== null && text.length > 0)).to.equal(true);
  });

  it('pages through the entries by cursor', async () => {
    await page.goto(url(`/batches/${fixture.app.batchId}`));
    await page.waitForSelector('tr[data-line="1"]');

    await page.click('text=Next →');
    await page.waitForSelector('tr[data-line="101"]');
    const second = await lineNumbers();
    await page.click('text=← Previous');
    await page.waitForSelector('tr[data-line="1"]');

    expect(second).to.deep.equal(Array.from({ length: 100 }, (_, index) => index + 101));
    expect(await page.textContent('[data-testid=page-info]')).to.equal('entries 1–100');
  });

  it('opens an entry with its attributes, nested values expandable', async () => {
    await page.goto(url(`/batches/${fixture.app.batchId}?severity=fatal`));
    await page.click('tr[data-line="100"] a');
    await page.waitForSelector('[data-testid=attributes]');
    await screenshot('entry');

    const status = await page.textContent('[data-testid=attributes] tr[data-key="http.response.status_code"] > td');
    await page.click('[data-testid=attributes] tr[data-key=host] > td > details > summary');
    const hostName = await page.textContent('[data-testid=attributes] tr[data-key=host] tr[data-key=name] > td');
    const facts = await page.$$eval('[data-testid=entry-facts] > div', (items) => Object.fromEntries(items.map((item) => [item.getAttribute('data-fact'), item.querySelector('dd')!.textContent])));

    expect(new URL(page.url()).pathname).to.equal(`/batches/${fixture.app.batchId}/entries/100`);
    expect(status).to.equal('500');
    expect(hostName).to.equal('web-1');
    expect(await page.isVisible('[data-testid=attributes] tr[data-key=host] tr[data-key=name]')).to.equal(true);
    expect(facts).to.deep.include({ severity: 'FATAL (21)', lines: 'line 100', truncated: 'no', format: 'json' });
    expect(await page.textContent('[data-testid=entry-body]')).to.equal('request 100 served');
    expect(await page.textContent('[data-testid=entry-raw]')).to.equal(appLine(99));
  });

  it('shows the raw line of a parsed entry as text, and none apart from the body of an unparsed one', async () => {
    await page.goto(url(`/batches/${fixture.xss.batchId}/entries/1`));
    await page.waitForSelector('[data-testid=entry-raw]');
    const raw = await page.textContent('[data-testid=entry-raw]');
    const children = await page.$eval('[data-testid=entry-raw]', (pre) => pre.children.length);
    await page.goto(url(`/batches/${fixture.app.batchId}/entries/${APP_UNPARSED[0]}`));
    await page.waitForSelector('[data-testid=entry-body]');

    expect(raw).to.equal(XSS_LINES[0]);
    expect(children).to.equal(0);
    expect(await page.textContent('[data-testid=entry-body]')).to.equal(appLine(APP_UNPARSED[0] - 1));
    expect(await page.$('[data-testid=entry-raw]')).to.equal(null);
  });

  it('shows Not found for an address with a malformed %-escape, instead of staying on Loading…', async () => {
    const shown: Array<string | null> = [];
    for (const pathname of ['/batches/%E0%A4%A', '/batches/%E0%A4%A/entries/3', `/batches/${fixture.app.batchId}%ZZ`]) {
      await page.goto(url(pathname));
      await page.waitForSelector('main#app h1', { timeout: 10_000 });
      shown.push(await page.textContent('main#app'));
    }

    expect(shown).to.deep.equal([1, 2, 3].map(() => 'Not foundThe address has a malformed %-escape.'));
  });

  it('redrives a dead-lettered chunk from /dlq after confirmation, and the batch ends COMPLETED with exact counters', async () => {
    await page.goto(url('/dlq'));
    await page.waitForSelector(`tr[data-batch-id="${fixture.poison.batchId}"][data-chunk="2"]`);
    const reason = await page.textContent(`tr[data-batch-id="${fixture.poison.batchId}"] td.reason`);
    await screenshot('dlq');

    await page.click('[data-testid=redrive]');
    await page.waitForSelector(`[data-testid=redrive-result] .followed[data-batch-id="${fixture.poison.batchId}"] [data-status=COMPLETED]`, { timeout: 30_000 });
    const summary = await page.textContent('[data-testid=redrive-summary]');
    await page.waitForSelector('text=The dead-letter queue is empty.');
    const batch = (await fixture.opened.logRepository.getBatch(fixture.poison.batchId))!;
    const stored = await new SqliteEntryQuery(fixture.opened.store).count({ batchId: fixture.poison.batchId });

    expect(dialogs).to.deep.equal(['Move 1 dead-lettered chunk(s) back to the chunk queue?']);
    expect(reason).to.match(/disk unavailable <b>while writing<\/b>/);
    expect(summary).to.equal('Moved 1 chunk(s) back.');
    expect(batch).to.deep.include({ status: 'COMPLETED', processedChunks: 6, totalChunks: 6, totalLines: 120, deadLetteredChunks: [] });
    expect(batch.stats).to.deep.equal({ lines: 120, entries: 120, unparsed: 0, blank: 0, continuation: 0, truncated: 0, filtered: 0, redacted: 0 });
    expect(stored).to.deep.equal({ total: 120, bySeverity: { INFO: 108, WARN: 12 } });
  });

  describe('XSS fixture', () => {
    const marker = () => page.evaluate(() => (window as unknown as { __xss?: unknown }).__xss);
    /** No payload left an element behind, and the only script is the bundle. */
    const foreignElements = () =>
      page.evaluate(() => ({
        scripts: [...document.scripts].map((script) => script.getAttribute('src')),
        injected: document.querySelectorAll('main img, main svg, main iframe, main object, main embed, a[href^="javascript"]').length,
      }));
    /** Nothing is wider than the window: the page does not scroll sideways. */
    const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);

    it('shows markup in batches, entries and attributes as text, and runs none of it', async () => {
      await page.goto(url('/'));
      await page.waitForSelector(`tr[data-batch-id="${fixture.xss.batchId}"]`);
      const source = await page.textContent(`tr[data-batch-id="${fixture.xss.batchId}"] td[data-col=source] a`);
      const onBatches = { marker: await marker(), ...(await foreignElements()) };

      await page.goto(url(`/batches/${fixture.xss.batchId}`));
      await page.waitForSelector('tr[data-line="7"]');
      const bodies = await page.$$eval('tr[data-line] td.body', (cells) => cells.map((cell) => cell.textContent));
      const onBatch = { marker: await marker(), ...(await foreignElements()), overflow: await overflow() };
      const tableFits = await page.$eval('table[data-testid=entries]', (table) => table.getBoundingClientRect().width <= table.parentElement!.clientWidth + 1);

      const entryPages: Array<{ line: number; marker: unknown; injected: number; overflow: number }> = [];
      for (let line = 1; line <= 7; line++) {
        await page.goto(url(`/batches/${fixture.xss.batchId}/entries/${line}`));
        await page.waitForSelector('[data-testid=entry-body]');
        entryPages.push({ line, marker: await marker(), injected: (await foreignElements()).injected, overflow: await overflow() });
      }
      await page.goto(url(`/batches/${fixture.xss.batchId}/entries/5`));
      await page.waitForSelector('[data-testid=attributes]');
      const javascriptUrl = await page.textContent('[data-testid=attributes] tr[data-key="url.full"] > td');
      await page.goto(url(`/batches/${fixture.xss.batchId}/entries/1`));
      await page.waitForSelector('[data-testid=attributes]');
      const userAgent = await page.textContent('[data-testid=attributes] tr[data-key="user_agent.original"] > td');

      await page.goto(url(`/batches/${fixture.access.batchId}/entries/1`));
      await page.waitForSelector('[data-testid=attributes]');
      const access = await page.$$eval('[data-testid=attributes] tr[data-key] > td', (cells) => cells.map((cell) => cell.textContent));
      const onAccess = { marker: await marker(), ...(await foreignElements()) };

      expect(source).to.equal('<img src=x onerror=window.__xss=1>.jsonl');
      expect(bodies.slice(0, 4)).to.deep.equal(XSS_PAYLOADS);
      expect(bodies[6]).to.equal(`not json ${XSS_PAYLOADS[0]}`);
      expect(javascriptUrl).to.equal(XSS_JAVASCRIPT_URL);
      expect(userAgent).to.equal(XSS_PAYLOADS[0]);
      expect(access).to.include(XSS_JAVASCRIPT_URL);
      expect(access.some((text) => text?.includes("<img src=x onerror=window.__xss='ua'>"))).to.equal(true);
      for (const state of [onBatches, onBatch, onAccess]) {
        expect(state.marker).to.equal(undefined);
        expect(state.injected).to.equal(0);
        expect(state.scripts).to.deep.equal(['/assets/app.js']);
      }
      expect(entryPages.filter((state) => state.marker !== undefined || state.injected !== 0 || state.overflow > 0)).to.deep.equal([]);
      expect(onBatch.overflow).to.be.at.most(0);
      expect(tableFits).to.equal(true);
      expect(dialogs.filter((message) => !message.startsWith('Move '))).to.deep.equal([]);
    });

    it('holds the layout with a 100 KB line: one table row, a bounded box on the entry page', async () => {
      await page.goto(url(`/batches/${fixture.xss.batchId}`));
      await page.waitForSelector('tr[data-line="6"]');
      const rowHeights = await page.$$eval('tr[data-line]', (rows) => rows.map((row) => row.getBoundingClientRect().height));

      await page.goto(url(`/batches/${fixture.xss.batchId}/entries/6`));
      await page.waitForSelector('[data-testid=entry-body]');
      const box = await page.$eval('[data-testid=entry-body]', (pre) => ({
        length: pre.textContent!.length,
        height: pre.getBoundingClientRect().height,
        width: pre.getBoundingClientRect().width,
        sideways: pre.scrollWidth - pre.clientWidth,
      }));
      const attributesTop = await page.$eval('section:nth-of-type(2) h2', (heading) => heading.getBoundingClientRect().top);

      expect(Math.max(...rowHeights) - Math.min(...rowHeights)).to.be.below(2);
      expect(box.length).to.equal('long '.length + LONG_LINE_BYTES);
      expect(box.height).to.be.at.most(440);
      expect(box.width).to.be.at.most(1280);
      expect(box.sideways).to.equal(0);
      expect(attributesTop).to.be.below(800);
      expect(await overflow()).to.be.at.most(0);
    });
  });
  describe('batch page', () => {
    /** Runs one file into the fixture's store (a name of its own each time) and returns its batch. */
    const runFile = async (name: string, content: string, repository = fixture.opened.logRepository): Promise<Batch> => {
      const file = path.join(fixture.directory, name);
      await writeFile(file, content);
      await runLocalPipeline({ files: [file], store: { logRepository: repository, deadLetterStore: fixture.opened.deadLetterStore } });
      const batch = (await fixture.opened.logRepository.listBatches()).find((candidate) => candidate.source.key === file);
      if (batch === undefined) throw new Error(`batch of ${name} missing`);
      return batch;
    };
    const jsonLine = (time: string, level: string, msg: string) => JSON.stringify({ time, level, msg });
    /** Waits for the note under the chart to say something, then returns it. */
    const chartNote = async () => {
      await page.waitForFunction(() => (document.querySelector('[data-testid=histogram] + p')?.textContent ?? '') !== '');
      return page.textContent('[data-testid=histogram] + p');
    };
    /**
     * What the histogram's canvas shows: per level colour, the pixel columns it covers, and the dark (label) pixels
     * below the plot, right of the y axis.
     */
    const chartPixels = () =>
      page.$eval('[data-testid=histogram] canvas', (canvas: any) => {
        const { width, height } = canvas;
        const data: Uint8ClampedArray = canvas.getContext('2d').getImageData(0, 0, width, height).data;
        const colours: Record<string, number[]> = { fatal: [123, 44, 191], error: [214, 39, 40], warn: [240, 162, 2], other: [143, 163, 184] };
        const columns: Record<string, number[]> = { fatal: [], error: [], warn: [], other: [] };
        let labelPixels = 0;
        for (let x = 0; x < width; x++) {
          const seen = new Set<string>();
          for (let y = 0; y < height; y++) {
            const at = (y * width + x) * 4;
            const [r, g, b, a] = [data[at], data[at + 1], data[at + 2], data[at + 3]];
            for (const [level, [cr, cg, cb]] of Object.entries(colours)) {
              if (a > 250 && Math.abs(r - cr) < 6 && Math.abs(g - cg) < 6 && Math.abs(b - cb) < 6) seen.add(level);
            }
            if (y > height - 40 && x > 70 && a > 200 && r < 90 && g < 90 && b < 90) labelPixels++;
          }
          for (const level of seen) columns[level].push(x);
        }
        return { columns, labelPixels };
      });

    it('draws every bucket of the histogram, the last one as wide as the others', async () => {
      const batch = await runFile(
        'last-bucket.jsonl',
        [jsonLine('2026-11-26T09:00:00Z', 'info', 'first'), ...[0, 1, 2, 3, 4].map((second) => jsonLine(`2026-11-26T09:10:0${second}Z`, 'error', `e${second}`))].join('\n') + '\n',
      );

      await page.goto(url(`/batches/${batch.batchId}`));
      await page.waitForSelector('[data-testid=histogram] canvas');
      const note = await chartNote();
      const { columns } = await chartPixels();

      expect(note).to.equal('6 entries with a time, 10 s per bar');
      expect(columns.other.length, 'the INFO bar').to.be.above(3);
      expect(columns.error.length, 'the last bucket: 5 errors').to.be.above(3);
      expect(Math.abs(columns.error.length - columns.other.length)).to.be.at.most(2);
      expect(Math.min(...columns.error)).to.be.above(Math.max(...columns.other));
    });

    it('charts entries all at one instant as one bar, and says so', async () => {
      const batch = await runFile('one-instant.jsonl', ['info', 'warn', 'error'].map((level) => jsonLine('2026-11-26T09:00:00Z', level, level)).join('\n') + '\n');

      await page.goto(url(`/batches/${batch.batchId}`));
      await page.waitForSelector('[data-testid=histogram] canvas');
      const note = await chartNote();
      const { columns } = await chartPixels();

      expect(note).to.equal('3 entries with a time, all at the same instant, 2026-11-26 09:00:00.000 (UTC)');
      for (const level of ['other', 'warn', 'error']) expect(columns[level].length, level).to.be.above(100);
    });

    it('labels the time axis of a batch whose times run from 1970 to 9999', async () => {
      const batch = await runFile('wide-range.jsonl', [jsonLine('1970-01-01T00:00:00Z', 'info', 'epoch'), jsonLine('9999-12-31T23:59:59Z', 'error', 'end')].join('\n') + '\n');

      await page.goto(url(`/batches/${batch.batchId}`));
      await page.waitForSelector('[data-testid=histogram] canvas');
      await chartNote();
      const { columns, labelPixels } = await chartPixels();

      expect(labelPixels, 'dark pixels of axis labels under the plot').to.be.above(50);
      expect(columns.other.length).to.be.above(0);
      expect(columns.error.length).to.be.above(0);
    });

    it('says plainly that a log without times has nothing to chart, and draws no chart', async () => {
      const batch = await runFile('no-times.txt', 'plain text line one\nINFO  [main]  two   spaces\nthird\n');

      await page.goto(url(`/batches/${batch.batchId}`));
      await page.waitForSelector('tr[data-line="3"]');
      const note = await chartNote();

      expect(note).to.equal('None of the 3 entries has a time: there is nothing to chart over time.');
      expect(await page.isVisible('[data-testid=histogram]')).to.equal(false);
    });

    it('keeps runs of spaces in the Body cells', async () => {
      const batch = (await fixture.opened.logRepository.listBatches()).find((candidate) => path.basename(candidate.source.key) === 'no-times.txt')!;

      await page.goto(url(`/batches/${batch.batchId}`));
      await page.waitForSelector('tr[data-line="2"]');
      const shown = await page.$eval('tr[data-line="2"] td.body', (cell: any) => cell.innerText);

      expect(shown).to.equal('INFO  [main]  two   spaces');
    });

    it('keeps updating a running batch after a failed request, and clears the error once one succeeds', async () => {
      const repository = fixture.opened.logRepository;
      const batchId = 'retry000000000000000000a';
      await repository.createBatch({ batchId, source: { bucket: 'local', key: '/var/log/retry.jsonl', etag: '1-1' }, format: 'json', createdAt: new Date().toISOString() });
      await repository.finishSplitting(batchId, { totalLines: 20, totalChunks: 2, format: 'json' });
      let failed = 0;
      const isBatchRequest = (address: URL) => address.pathname === `/api/batches/${batchId}`;
      await page.route(isBatchRequest, (route) => {
        if (failed >= 1) return route.continue();
        failed++;
        return route.fulfill({ status: 503, contentType: 'application/json', body: JSON.stringify({ error: 'store busy' }) });
      });

      try {
        await page.goto(url(`/batches/${batchId}`));
        await page.waitForSelector('[role=alert]:has-text("store busy")');
        await repository.recordChunkProcessed(batchId, 0, { lines: 10, entries: 10, unparsed: 0, blank: 0, continuation: 0, truncated: 0, filtered: 0, redacted: 0 });
        await page.waitForSelector('.toolbar .progress[data-percent="50"]', { timeout: 15_000 });
        await page.waitForFunction(() => document.querySelector('[role=alert]') === null, undefined, { timeout: 15_000 });
      } finally {
        await page.unroute(isBatchRequest);
      }

      expect(failed).to.equal(1);
      expect(await page.textContent('[data-counter=entries] dd')).to.equal('10');
    });

    it('gives the Body column a usable width on a 390×844 screen, the table scrolling sideways in its box', async () => {
      const narrow = await browser.newContext({ viewport: { width: 390, height: 844 } });
      try {
        const phone = await narrow.newPage();
        await phone.goto(url(`/batches/${fixture.app.batchId}`));
        await phone.waitForSelector('tr[data-line="1"]');
        const bodyWidth = await phone.$eval('tr[data-line="1"] td.body', (cell) => cell.getBoundingClientRect().width);
        const pageOverflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);

        expect(bodyWidth).to.be.at.least(250);
        expect(pageOverflow).to.be.at.most(0);
      } finally {
        await narrow.close();
      }
    });

    it('shows bidi controls from file names, bodies, attributes, raw lines and dead-letter reasons escaped, and keeps them in the JSON', async () => {
      const rlo = '\u202e';
      const controls = '\u202a\u202b\u202c\u202d\u2066\u2067\u2068\u2069\u200e\u200f\u061c';
      const line = JSON.stringify({ time: '2026-11-26T09:00:00Z', level: 'info', msg: `run ${rlo}gol.exe ${controls}`, [`${rlo}key`]: `val${rlo}ue` });
      const batch = await runFile(`bidi${rlo}gol.exe.jsonl`, `${line}\n`);
      const flaky = Object.create(fixture.opened.logRepository) as typeof fixture.opened.logRepository;
      flaky.putEntries = async () => {
        throw new Error(`disk ${rlo}gol.exe`);
      };
      await runFile('bidi-dead.jsonl', `${line}\n`, flaky);
      const hasBidi = (text: string | null) => /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/.test(text ?? '');

      await page.goto(url('/'));
      await page.waitForSelector(`tr[data-batch-id="${batch.batchId}"]`);
      const source = await page.textContent(`tr[data-batch-id="${batch.batchId}"] td[data-col=source] a`);
      const onBatches = await page.evaluate(() => document.querySelector('main').innerText);
      await page.goto(url(`/batches/${batch.batchId}`));
      await page.waitForSelector('tr[data-line="1"]');
      const body = await page.textContent('tr[data-line="1"] td.body');
      const onBatch = await page.evaluate(() => ({ text: document.querySelector('main').innerText, titles: [...document.querySelectorAll('[title]')].map((element: any) => element.title).join('') }));
      await page.goto(url(`/batches/${batch.batchId}/entries/1`));
      await page.waitForSelector('[data-testid=attributes]');
      const onEntry = await page.evaluate(() => document.querySelector('main').innerText);
      const key = await page.textContent('[data-testid=attributes] tr[data-key] > th');
      const value = await page.textContent('[data-testid=attributes] tr[data-key] > td');
      const raw = await page.textContent('[data-testid=entry-raw]');
      const json = (await page.textContent('[data-testid=entry-json]'))!;
      await page.goto(url('/dlq'));
      await page.waitForSelector('td.reason:has-text("gol.exe")');
      const reason = await page.textContent('td.reason:has-text("gol.exe")');
      const onDlq = await page.evaluate(() => document.querySelector('main').innerText);
      const markers = await page.$$eval('td.reason .ctl', (elements) => elements.map((element) => element.textContent));

      expect(source).to.equal('bidi\\u202egol.exe.jsonl');
      expect(body).to.equal('run \\u202egol.exe \\u202a\\u202b\\u202c\\u202d\\u2066\\u2067\\u2068\\u2069\\u200e\\u200f\\u061c');
      expect(key).to.equal('\\u202ekey');
      expect(value).to.equal('val\\u202eue');
      expect(raw).to.equal(line.replace(/\u202e/g, '\\u202e').replace(/[\u061c\u200e\u200f\u202a-\u202d\u2066-\u2069]/g, (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`));
      expect(reason).to.include('disk \\u202egol.exe');
      expect(markers).to.include('\\u202e');
      for (const text of [onBatches, onBatch.text, onBatch.titles, onEntry, onDlq, json]) expect(hasBidi(text), text.slice(0, 200)).to.equal(false);
      expect(JSON.parse(json).attributes).to.deep.equal({ [`${rlo}key`]: `val${rlo}ue` });
      expect(JSON.parse(json).body).to.equal(`run ${rlo}gol.exe ${controls}`);
    });

    it('puts a severity from the URL in the select, and Apply keeps it', async () => {
      const expected = appExpectations();
      const selected: Record<string, string> = {};
      for (const severity of ['WARNING', '13', 'Warn', '14']) {
        await page.goto(url(`/batches/${fixture.app.batchId}?severity=${severity}`));
        await page.waitForSelector('tr[data-line]');
        selected[severity] = await page.$eval('select[name=severity]', (select: any) => `${select.value} ${select.selectedOptions[0].textContent}`);
      }
      await page.goto(url(`/batches/${fixture.app.batchId}?severity=WARNING`));
      await page.waitForSelector('tr[data-line]');
      await page.fill('input[name=grep]', 'payment');
      await page.click('form[data-testid=filters] button[type=submit]');
      await page.waitForFunction(() => location.search === '?severity=warn&grep=payment');
      const warnPayments = expected.warnOrAbove.filter((line) => expected.payment.includes(line));
      await page.waitForFunction((count) => document.querySelectorAll('tr[data-line]').length === count, warnPayments.length);

      expect(selected).to.deep.equal({ WARNING: 'warn ≥ warn', 13: 'warn ≥ warn', Warn: 'warn ≥ warn', 14: '14 ≥ 14 (warn2)' });
      expect(await lineNumbers()).to.deep.equal(warnPayments);
    });

    it('shows only the error for a batch that does not exist', async () => {
      await page.goto(url('/batches/nope'));
      await page.waitForSelector('[role=alert]');
      await page.waitForTimeout(300);
      const shown = await page.evaluate(() => ({
        text: document.querySelector('main').innerText,
        layout: document.querySelectorAll('[data-testid=histogram], [data-testid=filters], [data-testid=entries], .pager, [data-testid=counters]').length,
      }));

      expect(shown).to.deep.equal({ text: 'Batches / nope\n\nno batch nope', layout: 0 });
    });
  });

  describe('progress bar', () => {
    it('is indeterminate while the total is unknown, and not full for a failed batch that read nothing', async () => {
      const repository = fixture.opened.logRepository;
      const splitting = 'splitting000000000000000';
      const empty = 'emptyfailed0000000000000';
      await repository.createBatch({ batchId: splitting, source: { bucket: 'local', key: '/var/log/splitting.jsonl', etag: '1-1' }, format: 'json', createdAt: new Date().toISOString() });
      await repository.recordChunkProcessed(splitting, 0, { lines: 10, entries: 10, unparsed: 0, blank: 0, continuation: 0, truncated: 0, filtered: 0, redacted: 0 });
      await repository.createBatch({ batchId: empty, source: { bucket: 'local', key: '/var/log/gone.jsonl', etag: '1-1' }, format: 'json', createdAt: new Date().toISOString() });
      await repository.failBatch(empty, 'UNREADABLE_OBJECT', 'the object is gone', { totalLines: 0, totalChunks: 0 });

      await page.goto(url('/'));
      await page.waitForSelector(`tr[data-batch-id="${empty}"]`);
      const progress = (batchId: string) =>
        page.$eval(`tr[data-batch-id="${batchId}"] .progress`, (element: any) => ({
          text: element.querySelector('.progress-text').textContent,
          indeterminate: element.querySelector('progress').position === -1,
          value: element.querySelector('progress').value,
        }));

      expect(await progress(splitting)).to.deep.equal({ text: '1 chunk processed, splitting', indeterminate: true, value: 0 });
      expect(await progress(empty)).to.deep.equal({ text: 'no chunks: nothing read', indeterminate: false, value: 0 });
    });
  });

  describe('batches page with more batches than it lists', () => {
    it('filters by status over the 1,000 most recent, and says so rather than that no batch has the status', async () => {
      // The API's answer for a full list: as many COMPLETED batches as asked for, so an older FAILED one is beyond it.
      const real = ((await (await fetch(url('/api/batches'))).json()) as BatchesResponse).batches[0];
      const asked: string[] = [];
      await page.route('**/api/batches*', async (route) => {
        const limit = Number(new URL(route.request().url()).searchParams.get('limit') ?? '100');
        asked.push(String(limit));
        const batches = Array.from({ length: limit }, (_, index) => ({ ...real, batchId: `full${String(index).padStart(20, '0')}`, status: BatchStatus.COMPLETED }));
        await route.fulfill({ json: { batches, live: false, backend: 'store test' } satisfies BatchesResponse });
      });
      try {
        await page.goto(url('/'));
        await page.waitForSelector('tr[data-batch-id]');
        const listed = await page.textContent('[data-testid=batches-summary]');
        await page.goto(url('/?status=FAILED'));
        await page.waitForFunction(() => document.querySelector('[data-testid=batches-summary]')?.textContent?.startsWith('0 of'));
        const filtered = { summary: await page.textContent('[data-testid=batches-summary]'), empty: await page.textContent('table[data-testid=batches] tbody td') };

        expect(listed).to.equal('100 of the 100 most recent batches');
        expect(filtered).to.deep.equal({ summary: '0 of the 1,000 most recent batches', empty: 'No batch among the 1,000 most recent has this status.' });
        expect(asked).to.include.members(['100', '1000']);
      } finally {
        await page.unroute('**/api/batches*');
      }
    });
  });
});
