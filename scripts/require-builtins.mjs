// Rewrites a handler bundle's `import ... from "node:<module>"` statements into `require()` calls at the top of the
// file. On Node.js 22 (the Lambda runtime), importing `node:http` as an ES module builds its ESM facade, which reads
// every export, including the lazy getters that load undici: ~35 ms of CPU per cold start that `require` does not
// pay (docs/performance.md, "Cold start"). Node's built-ins do not depend on the bundle, so evaluating them first, as
// ES module hoisting already does, keeps the order. Run by the CDK bundling's afterBundling hook:
//
//   node scripts/require-builtins.mjs <bundle.mjs>
import { readFileSync, writeFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';

/** The bundle's banner defines `require` (createRequire); the requires go right after it. */
const BANNER_END = 'const require = __logbatchCreateRequire(import.meta.url);';

/** One static import of a module esbuild left external, as it prints them (minified or not). */
const STATIC_IMPORT = /(?<=^|[;\n}])import\s*(\{[^}]*\}|\*\s*as\s+[\w$]+|[\w$]+)\s*from\s*"([^"]+)";?/gm;

export function requireBuiltins(source) {
  if (!source.includes(BANNER_END)) throw new Error(`no "${BANNER_END}" banner: cannot place the requires`);
  const requires = [];
  const rewritten = source.replace(STATIC_IMPORT, (statement, clause, specifier) => {
    if (!isBuiltin(specifier)) return statement;
    const module = `require(${JSON.stringify(specifier)})`;
    if (clause.startsWith('{')) {
      const names = clause.slice(1, -1).split(',').map((name) => name.trim()).filter(Boolean);
      requires.push(`const{${names.map((name) => name.replace(/\s+as\s+/, ':')).join(',')}}=${module};`);
    } else {
      requires.push(`const ${clause.replace(/^\*\s*as\s+/, '')}=${module};`);
    }
    return '';
  });
  return rewritten.replace(BANNER_END, `${BANNER_END}${requires.join('')}`);
}

const [bundle] = process.argv.slice(2);
if (bundle !== undefined) writeFileSync(bundle, requireBuiltins(readFileSync(bundle, 'utf8')));
