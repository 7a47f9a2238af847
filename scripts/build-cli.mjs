// Bundles the CLI's own TypeScript into dist/logbatch.mjs (dependencies stay in node_modules), so `logbatch`
// starts without compiling the sources on every run. Run by `npm ci` (prepare) and `npm run build`.
import { build } from 'esbuild';

await build({
  // dist/logbatch.mjs, and one chunk per subcommand under dist/chunks/ that main.ts imports when that subcommand runs.
  entryPoints: { logbatch: 'src/cli/main.ts' },
  outdir: 'dist',
  chunkNames: 'chunks/[name]-[hash]',
  splitting: true,
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  packages: 'external',
  sourcemap: 'linked',
  logLevel: 'warning',
});

// The page `logbatch ui` serves: dist/ui/.
const { buildUi } = await import('./build-ui.mjs');
await buildUi();
