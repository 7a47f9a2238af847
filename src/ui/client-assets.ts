import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface ClientAsset {
  readonly body: Buffer;
  readonly contentType: string;
  readonly etag: string;
}

/** The page's files: the HTML shell every page URL answers with, and `/assets/<name>`. */
export interface ClientAssets {
  readonly indexHtml: Buffer;
  readonly files: ReadonlyMap<string, ClientAsset>;
}

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/** The project root: where package.json is, above src/ui/ (sources) or dist/ (bundle). */
function projectRoot(): string {
  let directory = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(directory, 'package.json'))) {
    const parent = path.dirname(directory);
    if (parent === directory) throw new Error('logbatch ui: cannot find the project root');
    directory = parent;
  }
  return directory;
}

function newestMtime(target: string): number {
  const info = statSync(target);
  if (!info.isDirectory()) return info.mtimeMs;
  return Math.max(0, ...readdirSync(target).map((name) => newestMtime(path.join(target, name))));
}

/**
 * Loads the client bundle from dist/ui/ (made by `npm ci` / `npm run build`), or, when the client's sources are
 * newer (a developer's edit) or the bundle is missing, bundles it in memory with esbuild, as bin/logbatch.js runs
 * the sources rather than a stale CLI bundle.
 */
export async function loadClientAssets(): Promise<ClientAssets> {
  const root = projectRoot();
  const outDir = path.join(root, 'dist/ui');
  const clientDir = path.join(root, 'src/ui/client');
  const names = ['app.js', 'app.css', 'index.html'];
  const built = names.every((name) => existsSync(path.join(outDir, name)));
  const sourcesNewer = existsSync(clientDir) && built && newestMtime(clientDir) > Math.min(...names.map((name) => statSync(path.join(outDir, name)).mtimeMs));
  const contents = new Map<string, Buffer>();
  if (built && !sourcesNewer) {
    for (const name of names) contents.set(name, readFileSync(path.join(outDir, name)));
  } else {
    const { buildUi } = (await import(pathToFileURL(path.join(root, 'scripts/build-ui.mjs')).href)) as {
      buildUi(options: { write: boolean }): Promise<Array<{ path: string; contents: Uint8Array }>>;
    };
    for (const file of await buildUi({ write: false })) contents.set(path.basename(file.path), Buffer.from(file.contents));
    contents.set('index.html', readFileSync(path.join(clientDir, 'index.html')));
  }
  const files = new Map<string, ClientAsset>();
  for (const [name, body] of contents) {
    const contentType = CONTENT_TYPES[path.extname(name)];
    if (contentType === undefined) continue;
    files.set(name, { body, contentType, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 16)}"` });
  }
  return { indexHtml: contents.get('index.html')!, files };
}
