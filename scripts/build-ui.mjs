// Bundles the page's client (src/ui/client/main.ts, its CSS and uPlot's) for the browser: dist/ui/app.js, app.css
// and index.html. Imported by build-cli.mjs (so `npm ci` and `npm run build` make it), and by the UI server when it
// runs from the sources and the bundle is older than them (write: false, kept in memory).
import { copyFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const UI_CLIENT_DIR = path.join(root, 'src/ui/client');
export const UI_OUT_DIR = path.join(root, 'dist/ui');

/** @param {{ write?: boolean }} [options] */
export async function buildUi(options = {}) {
  const write = options.write ?? true;
  const result = await build({
    entryPoints: { app: path.join(UI_CLIENT_DIR, 'main.ts') },
    outdir: UI_OUT_DIR,
    bundle: true,
    platform: 'browser',
    target: ['chrome110', 'firefox110', 'safari16'],
    format: 'esm',
    minify: true,
    legalComments: 'none',
    write,
    logLevel: 'warning',
  });
  if (write) {
    await mkdir(UI_OUT_DIR, { recursive: true });
    await copyFile(path.join(UI_CLIENT_DIR, 'index.html'), path.join(UI_OUT_DIR, 'index.html'));
  }
  return result.outputFiles ?? [];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildUi();
