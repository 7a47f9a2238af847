import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import { openLocalStore } from '../../src/local/local-store.js';
import { runLocalPipeline } from '../../src/local/run-pipeline.js';
import { loadClientAssets } from '../../src/ui/client-assets.js';
import { type LocalUiBackend, memoryUiBackend, storeUiBackend } from '../../src/ui/ui-backend.js';
import { startUiServer } from '../../src/ui/ui-server.js';
import type { BatchesResponse, DeadLettersResponse, EntriesResponse, EntryResponse, HistogramResponse } from '../../src/ui/api-types.js';
import { appExpectations, appLine, startUiFixture, type UiFixture } from './fixtures.js';

describe('UI HTTP API (startUiServer on a SQLite store)', function () {
  this.timeout(60_000);
  let fixture: UiFixture;
  const get = async <T>(path: string, init?: RequestInit): Promise<{ status: number; body: T; headers: Headers }> => {
    const response = await fetch(new URL(path, fixture.server.url), init);
    return { status: response.status, body: (await response.json()) as T, headers: response.headers };
  };
  /** Every page of an entries query, following cursors. */
  const allEntries = async (batchId: string, query: string) => {
    const lines: number[] = [];
    let cursor: string | undefined;
    do {
      const { body } = await get<EntriesResponse>(`/api/batches/${batchId}/entries?${query}&limit=7${cursor === undefined ? '' : `&cursor=${cursor}`}`);
      lines.push(...body.items.map((entry) => entry.lineNumber));
      cursor = body.cursor;
    } while (cursor !== undefined);
    return lines;
  };

  before(async () => {
    fixture = await startUiFixture();
  });
  after(async () => {
    await fixture.close();
  });

  describe('GET /api/batches', () => {
    it('lists every batch of the store with its counters', async () => {
      const { status, body } = await get<BatchesResponse>('/api/batches');

      expect(status).to.equal(200);
      expect(body.live).to.equal(false);
      expect(body.backend).to.equal(`store ${fixture.storeFile}`);
      const app = body.batches.find((batch) => batch.batchId === fixture.app.batchId)!;
      expect(app).to.deep.include({ status: 'COMPLETED_WITH_ERRORS', totalLines: 300, totalChunks: 6, processedChunks: 6 });
      expect(app.stats).to.deep.include({ entries: 300, unparsed: 3 });
      expect(body.batches).to.have.length(4);
    });
  });

  describe('GET /api/batches/:id', () => {
    it('answers 404 with a JSON error for an unknown batch', async () => {
      const { status, body } = await get<{ error: string }>('/api/batches/nope');

      expect(status).to.equal(404);
      expect(body.error).to.equal('no batch nope');
    });
  });

  describe('GET /api/batches/:id/entries', () => {
    const expected = appExpectations();

    it('pages through every entry in line order by cursor', async () => {
      const lines = await allEntries(fixture.app.batchId, '');

      expect(lines).to.deep.equal(Array.from({ length: 300 }, (_, index) => index + 1));
    });

    it('leaves the raw line of each entry out of the list (the table does not show it; the entry page asks for it)', async () => {
      const { body } = await get<EntriesResponse>(`/api/batches/${fixture.app.batchId}/entries?limit=5`);

      expect(body.items).to.have.length(5);
      expect(body.items.map((entry) => 'raw' in entry)).to.deep.equal([false, false, false, false, false]);
    });

    it('filters by minimum severity, text, attribute and unparsed, as logbatch query does', async () => {
      expect(await allEntries(fixture.app.batchId, 'severity=error')).to.deep.equal(expected.errorOrAbove);
      expect(await allEntries(fixture.app.batchId, 'severity=warn')).to.deep.equal(expected.warnOrAbove);
      expect(await allEntries(fixture.app.batchId, 'grep=payment')).to.deep.equal(expected.payment);
      expect(await allEntries(fixture.app.batchId, 'where=http.response.status_code%3D500&severity=fatal')).to.deep.equal([100, 200, 300]);
      expect(await allEntries(fixture.app.batchId, 'unparsed=1')).to.deep.equal([50, 150, 250]);
    });

    it('refuses a bad filter with 400 and the query use case message', async () => {
      const severity = await get<{ error: string }>(`/api/batches/${fixture.app.batchId}/entries?severity=loud`);
      const where = await get<{ error: string }>(`/api/batches/${fixture.app.batchId}/entries?where=novalue`);
      const limit = await get<{ error: string }>(`/api/batches/${fixture.app.batchId}/entries?limit=5000`);

      expect([severity.status, where.status, limit.status]).to.deep.equal([400, 400, 400]);
      expect(severity.body.error).to.match(/^severity "loud": unknown severity/);
      expect(where.body.error).to.match(/expected KEY=VALUE/);
    });

    it('reads severity and the time range as logbatch query does: warning or a number is a minimum, since must be before until', async () => {
      const entries = (query: string) => get<EntriesResponse>(`/api/batches/${fixture.app.batchId}/entries?limit=1000&${query}`);
      const [named, warning, number] = await Promise.all([entries('severity=warn'), entries('severity=Warning'), entries('severity=13')]);
      const reversed = await get<{ error: string; code: string }>(`/api/batches/${fixture.app.batchId}/entries?since=2026-01-02&until=2026-01-01`);

      expect(named.status).to.equal(200);
      expect(named.body.items.length).to.be.greaterThan(0);
      expect([warning.status, number.status]).to.deep.equal([200, 200]);
      expect(warning.body).to.deep.equal(named.body);
      expect(number.body).to.deep.equal(named.body);
      expect(reversed.status).to.equal(400);
      expect(reversed.body).to.deep.equal({ error: 'since must be before until', code: 'INVALID_QUERY' });
    });

    it('refuses an age reaching past any date, and a date that does not exist, with 400', async () => {
      const age = await get<{ error: string; code: string }>(`/api/batches/${fixture.app.batchId}/entries?until=99999999999d`);
      const day = await get<{ error: string; code: string }>(`/api/batches/${fixture.app.batchId}/entries?since=2026-02-30T00:00:00Z`);

      expect([age.status, day.status]).to.deep.equal([400, 400]);
      expect(age.body).to.deep.equal({ error: 'until "99999999999d": an age reaching back before the year 0000: give a shorter age (15m, 2h, 7d) or an ISO 8601 instant', code: 'INVALID_QUERY' });
      expect(day.body.error).to.match(/^since "2026-02-30T00:00:00Z": give an ISO 8601 instant/);
    });
  });

  describe('GET /api/batches/:id/entries/:line', () => {
    it('returns the entry that starts at the line, with its line span', async () => {
      const { status, body } = await get<EntryResponse>(`/api/batches/${fixture.app.batchId}/entries/100`);

      expect(status).to.equal(200);
      expect(body.entry).to.deep.include({ lineNumber: 100, severityText: 'FATAL', body: 'request 100 served', raw: appLine(99) });
      expect(body.entry.attributes).to.deep.include({ 'http.response.status_code': 500 });
      expect(body.lines).to.deep.equal({ first: 100, last: 100 });
    });

    it('answers 404 past the last line', async () => {
      expect((await get(`/api/batches/${fixture.app.batchId}/entries/301`)).status).to.equal(404);
    });

    it('answers 404 for line 0 and for a line past any a batch can have, in its own words', async () => {
      const zero = await get<{ error: string }>(`/api/batches/${fixture.app.batchId}/entries/0`);
      const huge = await get<{ error: string }>(`/api/batches/${fixture.app.batchId}/entries/99999999999999999999`);

      expect([zero.status, huge.status]).to.deep.equal([404, 404]);
      expect(zero.body.error).to.equal(`no entry starts at line 0 of batch ${fixture.app.batchId}`);
      expect(huge.body.error).to.equal(`no entry starts at line 99999999999999999999 of batch ${fixture.app.batchId}`);
    });
  });

  describe('GET /api/batches/:id/histogram', () => {
    const expected = appExpectations();

    it('counts every timed entry once, stacked by severity, in readable buckets', async () => {
      const { body } = await get<HistogramResponse>(`/api/batches/${fixture.app.batchId}/histogram?buckets=30`);

      const sum = (level: string) => body.counts[body.levels.indexOf(level as never)].reduce((a, b) => a + b, 0);
      expect(body.levels).to.deep.equal(['FATAL', 'ERROR', 'WARN', 'OTHER']);
      expect(body.starts.length).to.be.at.most(30);
      expect(body.bucketMs).to.equal(600_000);
      expect(body.total).to.equal(297);
      expect(sum('FATAL') + sum('ERROR')).to.equal(expected.errorOrAbove.length);
      expect(sum('FATAL')).to.equal(3);
      expect(sum('WARN')).to.equal(expected.warnOrAbove.length - expected.errorOrAbove.length);
    });

    it('counts entries up to 9999-12-31, on the store and in memory', async () => {
      const file = path.join(fixture.directory, 'year-9999.jsonl');
      await writeFile(
        file,
        [
          { time: '2026-03-01T00:00:00Z', level: 'error', msg: 'a' },
          { time: '9999-06-01T00:00:00Z', level: 'error', msg: 'june' },
          { time: '9999-12-31T23:59:59Z', level: 'error', msg: 'sentinel' },
        ]
          .map((line) => JSON.stringify(line))
          .join('\n') + '\n',
      );
      const opened = await openLocalStore(path.join(fixture.directory, 'year-9999.db'));
      const backends: Array<[string, LocalUiBackend]> = [['memory', memoryUiBackend()], ['store', await storeUiBackend(opened)]];
      try {
        for (const [name, backend] of backends) {
          await runLocalPipeline({ files: [file], store: backend.adapters });
          const server = await startUiServer({ backend, assets: await loadClientAssets(), port: 0 });
          try {
            const [batch] = await backend.repository.listBatches();
            for (const buckets of [1, 60]) {
              const histogram = (await (await fetch(new URL(`/api/batches/${batch.batchId}/histogram?buckets=${buckets}`, server.url))).json()) as HistogramResponse;

              expect(histogram.total, `${name}, ${buckets} buckets`).to.equal(3);
              expect(histogram.starts.length, `${name}, ${buckets} buckets`).to.be.within(1, buckets);
            }
          } finally {
            await server.close();
          }
        }
      } finally {
        opened.close();
      }
    });

    it('never answers more buckets than asked, over a span of more weeks than buckets', async () => {
      const file = path.join(fixture.directory, 'eight-days.jsonl');
      await writeFile(file, ['2026-03-01T00:00:00Z', '2026-03-04T12:00:00Z', '2026-03-09T00:00:00Z'].map((time) => JSON.stringify({ time, level: 'info', msg: time })).join('\n') + '\n');
      const backend = memoryUiBackend();
      await runLocalPipeline({ files: [file], store: backend.adapters });
      const server = await startUiServer({ backend, assets: await loadClientAssets(), port: 0 });
      try {
        const [batch] = await backend.repository.listBatches();
        const histogram = (await (await fetch(new URL(`/api/batches/${batch.batchId}/histogram?buckets=1`, server.url))).json()) as HistogramResponse;

        expect(histogram.starts).to.have.length(1);
        expect(histogram.total).to.equal(3);
      } finally {
        await server.close();
      }
    });

    it('refuses buckets out of range', async () => {
      expect((await get(`/api/batches/${fixture.app.batchId}/histogram?buckets=0`)).status).to.equal(400);
      expect((await get(`/api/batches/${fixture.app.batchId}/histogram?buckets=501`)).status).to.equal(400);
    });
  });

  describe('GET /api/dlq', () => {
    it('lists the dead-lettered chunk with its batch and reason', async () => {
      const { body } = await get<DeadLettersResponse>('/api/dlq');

      expect(body.deadLetters).to.have.length(1);
      expect(body.deadLetters[0]).to.deep.include({ batchId: fixture.poison.batchId, chunk: 2, batchStatus: 'FAILED' });
      expect(body.deadLetters[0].reason).to.match(/disk unavailable/);
    });
  });

  describe('malformed requests', () => {
    it('answers 400, not 500, for a malformed percent-encoding in an API path', async () => {
      const batch = await get<{ error: string }>('/api/batches/%E0%A4%A');
      const entry = await get<{ error: string }>(`/api/batches/${fixture.app.batchId}/entries/%ZZ`);

      expect([batch.status, entry.status]).to.deep.equal([400, 400]);
      expect(batch.body.error).to.equal('malformed percent-encoding in the path: "%E0%A4%A"');
      expect(entry.body.error).to.equal('malformed percent-encoding in the path: "%ZZ"');
    });

    it('serves the page at /dlq/ as the client routes it, like /dlq', async () => {
      const statuses = [];
      for (const page of ['/dlq', '/dlq/', `/batches/${fixture.app.batchId}/`]) {
        const response = await fetch(new URL(page, fixture.server.url));
        statuses.push([response.status, response.headers.get('content-type')]);
        await response.arrayBuffer();
      }

      expect(statuses).to.deep.equal([1, 2, 3].map(() => [200, 'text/html; charset=utf-8']));
    });
  });

  describe('security', () => {
    it('sends the CSP and no CORS header on pages, assets and the API', async () => {
      for (const path of ['/', '/assets/app.js', '/api/batches', '/batches/x/entries/1']) {
        const response = await fetch(new URL(path, fixture.server.url), { headers: { Origin: 'http://evil.example' } });
        await response.arrayBuffer();
        expect(response.headers.get('content-security-policy'), path).to.match(/^default-src 'self'(;|$)/);
        expect([...(response.headers as unknown as Map<string, string>).keys()].filter((name) => name.startsWith('access-control-')), path).to.deep.equal([]);
      }
    });

    it('serves a page with no inline script', async () => {
      const html = await (await fetch(fixture.server.url)).text();

      expect(html).to.match(/<script type="module" src="\/assets\/app.js"><\/script>/);
      expect(html).not.to.match(/<script(?![^>]*\bsrc=)[^>]*>/);
      expect(html).not.to.match(/\son\w+=/);
    });

    it('refuses a POST without a same-origin Origin, and a GET of a mutation', async () => {
      const url = new URL('/api/dlq/redrive', fixture.server.url);
      const noOrigin = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
      const crossOrigin = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json', Origin: 'http://evil.example' }, body: '{}' });
      const form = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: fixture.server.url.replace(/\/$/, '') }, body: 'a=1' });
      const asGet = await fetch(url);
      const asPut = await fetch(url, { method: 'PUT' });

      expect([noOrigin.status, crossOrigin.status, form.status, asGet.status, asPut.status]).to.deep.equal([403, 403, 415, 404, 405]);
      expect((await get<DeadLettersResponse>('/api/dlq')).body.deadLetters).to.have.length(1);
    });

    it('refuses a Host that is not loopback (DNS rebinding) when bound to loopback', async () => {
      const { request } = await import('node:http');
      const status = await new Promise<number>((resolve, reject) => {
        const outgoing = request(new URL('/api/batches', fixture.server.url), { headers: { Host: 'rebind.example:80' } }, (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        });
        outgoing.on('error', reject);
        outgoing.end();
      });

      expect(status).to.equal(403);
    });
  });

  describe('with an access token', () => {
    it('refuses the API without it, and sets an HttpOnly cookie from the printed URL', async () => {
      const server = await startUiServer({ backend: fixture.backend, assets: await loadClientAssets(), port: 0, token: 'sesame-123' });
      try {
        const without = await fetch(new URL('/api/batches', server.url));
        const bearer = await fetch(new URL('/api/batches', server.url), { headers: { Authorization: 'Bearer sesame-123' } });
        const wrong = await fetch(new URL('/api/batches', server.url), { headers: { Authorization: 'Bearer sesame-124' } });
        const printed = await fetch(new URL('/?token=sesame-123', server.url), { redirect: 'manual' });
        const cookie = printed.headers.get('set-cookie') ?? '';
        const withCookie = await fetch(new URL('/api/batches', server.url), { headers: { Cookie: cookie.split(';')[0] } });

        expect([without.status, bearer.status, wrong.status, printed.status, withCookie.status]).to.deep.equal([401, 200, 401, 303, 200]);
        expect(printed.headers.get('location')).to.equal('/');
        expect(cookie).to.match(new RegExp(`^logbatch_ui_token_${server.port}=sesame-123; HttpOnly; SameSite=Strict`));
      } finally {
        await server.close();
      }
    });

    it("keeps each server's token in a cookie of its own port: a second server on the host neither overwrites nor receives it", async () => {
      const first = await startUiServer({ backend: fixture.backend, assets: await loadClientAssets(), port: 0, token: 'first-token' });
      const second = await startUiServer({ backend: fixture.backend, assets: await loadClientAssets(), port: 0, token: 'second-token' });
      try {
        const login = async (url: string, token: string) => ((await fetch(new URL(`/?token=${token}`, url), { redirect: 'manual' })).headers.get('set-cookie') ?? '').split(';')[0];
        // A browser keeps both cookies for the host 127.0.0.1 and sends both to either port.
        const jar = `${await login(first.url, 'first-token')}; ${await login(second.url, 'second-token')}`;
        const [atFirst, atSecond] = await Promise.all([first.url, second.url].map((url) => fetch(new URL('/api/batches', url), { headers: { Cookie: jar } })));
        const crossed = await fetch(new URL('/api/batches', first.url), { headers: { Cookie: `logbatch_ui_token_${second.port}=first-token` } });
        await Promise.all([atFirst.arrayBuffer(), atSecond.arrayBuffer(), crossed.arrayBuffer()]);

        expect(jar.split('; ').map((cookie) => cookie.split('=')[0])).to.deep.equal([`logbatch_ui_token_${first.port}`, `logbatch_ui_token_${second.port}`]);
        expect([atFirst.status, atSecond.status, crossed.status]).to.deep.equal([200, 200, 401]);
      } finally {
        await Promise.all([first.close(), second.close()]);
      }
    });

    it('answers 401, not 500, to a token cookie whose percent-encoding is malformed', async () => {
      const server = await startUiServer({ backend: fixture.backend, assets: await loadClientAssets(), port: 0, token: 'sesame-123' });
      try {
        const name = `logbatch_ui_token_${server.port}`;
        const api = await fetch(new URL('/api/batches', server.url), { headers: { Cookie: `${name}=%E0%A4%A` } });
        const page = await fetch(new URL('/', server.url), { headers: { Cookie: `other=1; ${name}=%E0%A4%A` } });
        const valid = await fetch(new URL('/api/batches', server.url), { headers: { Cookie: `${name}=%E0%A4%A; ${name}=sesame-123` } });

        expect([api.status, page.status, valid.status]).to.deep.equal([401, 401, 200]);
        expect(await api.json()).to.deep.equal({ error: 'access token required' });
        await Promise.all([page.arrayBuffer(), valid.arrayBuffer()]);
      } finally {
        await server.close();
      }
    });
  });

  describe('on the memory backend', () => {
    it('answers entries and the histogram as the store does', async () => {
      const backend = memoryUiBackend();
      await runLocalPipeline({ files: [path.join(fixture.directory, 'app.jsonl')], store: backend.adapters, settings: { maxChunkLines: 50 } });
      const server = await startUiServer({ backend, assets: await loadClientAssets(), port: 0 });
      try {
        const fetchJson = async (url: string) => (await fetch(new URL(url, server.url))).json();
        const memoryErrors = (await fetchJson(`/api/batches/${fixture.app.batchId}/entries?severity=error&limit=1000`)) as EntriesResponse;
        const memoryHistogram = (await fetchJson(`/api/batches/${fixture.app.batchId}/histogram?buckets=30`)) as HistogramResponse;
        const storeHistogram = (await get<HistogramResponse>(`/api/batches/${fixture.app.batchId}/histogram?buckets=30`)).body;
        const memoryEntry = (await fetchJson(`/api/batches/${fixture.app.batchId}/entries/100`)) as EntryResponse;

        expect(memoryErrors.items.map((entry) => entry.lineNumber)).to.deep.equal(appExpectations().errorOrAbove);
        expect(memoryHistogram).to.deep.equal(storeHistogram);
        expect(memoryEntry.entry.raw).to.equal(appLine(99));
      } finally {
        await server.close();
      }
    });

    it('refuses a tampered cursor with 400, as the store does', async () => {
      const backend = memoryUiBackend();
      await runLocalPipeline({ files: [path.join(fixture.directory, 'app.jsonl')], store: backend.adapters, settings: { maxChunkLines: 50 } });
      const server = await startUiServer({ backend, assets: await loadClientAssets(), port: 0 });
      try {
        const answers = [];
        for (const s of [-3, 1.5]) {
          const cursor = Buffer.from(JSON.stringify({ b: 0, s, k: `batch:${fixture.app.batchId}` })).toString('base64url');
          for (const base of [server.url, fixture.server.url]) {
            const response = await fetch(new URL(`/api/batches/${fixture.app.batchId}/entries?cursor=${cursor}`, base));
            answers.push({ status: response.status, body: await response.json() });
          }
        }

        expect(answers).to.deep.equal([1, 2, 3, 4].map(() => ({ status: 400, body: { error: 'cursor is not a cursor an earlier page returned', code: 'INVALID_QUERY' } })));
      } finally {
        await server.close();
      }
    });
  });
});
