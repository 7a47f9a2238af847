import path from 'node:path';
import { expect } from 'chai';
import { runLocalPipeline } from '../../src/local/run-pipeline.js';
import { loadClientAssets } from '../../src/ui/client-assets.js';
import { memoryUiBackend } from '../../src/ui/ui-backend.js';
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
      expect(severity.body.error).to.match(/unknown severity "loud"/);
      expect(where.body.error).to.match(/expected KEY=VALUE/);
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
        expect(cookie).to.match(/^logbatch_ui_token=sesame-123; HttpOnly; SameSite=Strict/);
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
  });
});
