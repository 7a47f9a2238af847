import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Batch } from '../../src/domain/batch.js';
import { type OpenLocalStore, openLocalStore } from '../../src/local/local-store.js';
import { runLocalPipeline } from '../../src/local/run-pipeline.js';
import { loadClientAssets } from '../../src/ui/client-assets.js';
import { type LocalUiBackend, storeUiBackend } from '../../src/ui/ui-backend.js';
import { type RunningUiServer, startUiServer } from '../../src/ui/ui-server.js';

/** Lines of the app fixture: 300 JSON lines, one a minute from 09:00, of known severities, plus 3 that do not parse. */
export const APP_LINES = 300;
export const APP_UNPARSED = [50, 150, 250];
export function appLine(index: number): string {
  const lineNumber = index + 1;
  if (APP_UNPARSED.includes(lineNumber)) return `{"broken": json at line ${lineNumber}`;
  const level = lineNumber % 100 === 0 ? 'fatal' : lineNumber % 20 === 0 ? 'error' : lineNumber % 7 === 0 ? 'warn' : lineNumber % 3 === 0 ? 'debug' : 'info';
  return JSON.stringify({
    time: new Date(Date.UTC(2026, 10, 26, 9, index)).toISOString(),
    level,
    msg: lineNumber % 11 === 0 ? `payment declined for order ${lineNumber}` : `request ${lineNumber} served`,
    'http.response.status_code': level === 'error' || level === 'fatal' ? 500 : 200,
    host: { name: `web-${lineNumber % 3}`, tags: ['blue', { zone: 'eu-west-1a' }] },
  });
}

/** Expected counts of the app fixture, by the same rules as {@link appLine}. */
export function appExpectations() {
  const parsed = Array.from({ length: APP_LINES }, (_, index) => index + 1).filter((line) => !APP_UNPARSED.includes(line));
  const level = (line: number) => (line % 100 === 0 ? 'FATAL' : line % 20 === 0 ? 'ERROR' : line % 7 === 0 ? 'WARN' : line % 3 === 0 ? 'DEBUG' : 'INFO');
  return {
    lines: APP_LINES,
    entries: APP_LINES,
    unparsed: APP_UNPARSED.length,
    errorOrAbove: parsed.filter((line) => ['ERROR', 'FATAL'].includes(level(line))),
    warnOrAbove: parsed.filter((line) => ['WARN', 'ERROR', 'FATAL'].includes(level(line))),
    payment: parsed.filter((line) => line % 11 === 0),
    level,
  };
}

/** Log content that would run if it ever reached an HTML parser: each payload sets `window.__xss`. */
export const XSS_PAYLOADS = [
  '<script>window.__xss = "script"</script>',
  '<img src=x onerror="window.__xss = \'img\'">',
  '<svg onload="window.__xss = \'svg\'"></svg>',
  '"><iframe srcdoc="<script>parent.__xss=\'iframe\'</script>"></iframe>',
];
export const XSS_JAVASCRIPT_URL = "javascript:window.__xss='href'";
export const LONG_LINE_BYTES = 100 * 1024;
/** The lines of the XSS fixture's JSON file: the payloads as messages and user agents, a link, a 100 KB line, one unparsed. */
export const XSS_LINES: readonly string[] = [
  ...XSS_PAYLOADS.map((payload, index) => JSON.stringify({ time: `2026-11-26T10:00:0${index}.000Z`, level: 'error', msg: payload, 'user_agent.original': payload })),
  JSON.stringify({ time: '2026-11-26T10:00:05.000Z', level: 'warn', msg: 'a link', 'url.full': XSS_JAVASCRIPT_URL, nested: { html: XSS_PAYLOADS[1] } }),
  JSON.stringify({ time: '2026-11-26T10:00:06.000Z', level: 'info', msg: `long ${'A<b>'.repeat(LONG_LINE_BYTES / 4)}` }),
  `not json ${XSS_PAYLOADS[0]}`,
];

export interface UiFixture {
  readonly directory: string;
  readonly storeFile: string;
  readonly opened: OpenLocalStore;
  readonly backend: LocalUiBackend;
  readonly server: RunningUiServer;
  readonly app: Batch;
  readonly poison: Batch;
  readonly xss: Batch;
  readonly access: Batch;
  close(): Promise<void>;
}

/**
 * A store with known batches, served by the UI server on a free loopback port: `app.jsonl` (300 lines of known
 * severities), `poison.jsonl` (its chunk 2 dead-lettered: the "disk" failed while it ran), and the XSS fixture —
 * JSON and access-log lines carrying markup, a `javascript:` URL and a 100 KB line, in a file whose name is markup.
 */
export async function startUiFixture(): Promise<UiFixture> {
  const directory = await mkdtemp(path.join(tmpdir(), 'logbatch-ui-'));
  const storeFile = path.join(directory, 'ui.db');
  const opened = await openLocalStore(storeFile);

  const appFile = path.join(directory, 'app.jsonl');
  await writeFile(appFile, `${Array.from({ length: APP_LINES }, (_, index) => appLine(index)).join('\n')}\n`);
  await runLocalPipeline({ files: [appFile], store: opened, settings: { maxChunkLines: 50 } });

  const poisonFile = path.join(directory, 'poison.jsonl');
  await writeFile(
    poisonFile,
    `${Array.from({ length: 120 }, (_, index) => JSON.stringify({ time: new Date(Date.UTC(2026, 10, 26, 12, 0, index)).toISOString(), level: index % 10 === 0 ? 'warn' : 'info', msg: `step ${index + 1}` })).join('\n')}\n`,
  );
  let diskDown = true;
  const flaky = Object.create(opened.logRepository) as typeof opened.logRepository;
  flaky.putEntries = async (entries) => {
    if (diskDown && entries.some((entry) => entry.lineNumber === 50)) throw new Error('disk unavailable <b>while writing</b>');
    return opened.logRepository.putEntries(entries);
  };
  Object.defineProperty(flaky, 'entryWrites', { get: () => opened.logRepository.entryWrites });
  await runLocalPipeline({ files: [poisonFile], store: { logRepository: flaky, deadLetterStore: opened.deadLetterStore }, settings: { maxChunkLines: 20 } });
  diskDown = false;

  const xssFile = path.join(directory, '<img src=x onerror=window.__xss=1>.jsonl');
  await writeFile(xssFile, `${XSS_LINES.join('\n')}\n`);
  const accessFile = path.join(directory, 'access.log');
  await writeFile(
    accessFile,
    [
      `203.0.113.9 - - [26/Nov/2026:10:00:00 +0000] "GET /<script>window.__xss='path'</script> HTTP/1.1" 404 12 "${XSS_JAVASCRIPT_URL}" "<img src=x onerror=window.__xss='ua'>"`,
      `203.0.113.9 - - [26/Nov/2026:10:00:01 +0000] "GET /ok HTTP/1.1" 200 12 "-" "Mozilla/5.0 <svg onload=window.__xss='ua2'>"`,
    ].join('\n') + '\n',
  );
  await runLocalPipeline({ files: [xssFile, accessFile], store: opened });

  const batches = await opened.logRepository.listBatches();
  const bySource = (name: string) => {
    const batch = batches.find((candidate) => path.basename(candidate.source.key) === name);
    if (batch === undefined) throw new Error(`fixture batch ${name} missing`);
    return batch;
  };
  const backend = await storeUiBackend(opened);
  const server = await startUiServer({ backend, assets: await loadClientAssets(), port: 0 });
  return {
    directory,
    storeFile,
    opened,
    backend,
    server,
    app: bySource('app.jsonl'),
    poison: bySource('poison.jsonl'),
    xss: bySource(path.basename(xssFile)),
    access: bySource('access.log'),
    async close() {
      await server.close();
      opened.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
