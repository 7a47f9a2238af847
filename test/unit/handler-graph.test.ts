import { build } from 'esbuild';
import { expect } from 'chai';

describe('Lambda handler entry points', () => {
  it('never reach SQLite: the store is a local adapter, not part of the deployed bundles', async function () {
    this.timeout(60_000);

    const result = await build({
      entryPoints: ['src/handlers/splitter.handler.ts', 'src/handlers/worker.handler.ts'],
      bundle: true,
      write: false,
      platform: 'node',
      format: 'esm',
      outdir: 'unused',
      packages: 'external',
      metafile: true,
      logLevel: 'silent',
    });
    const reached = [
      ...Object.keys(result.metafile.inputs),
      ...Object.values(result.metafile.outputs).flatMap((output) => output.imports.map((imported) => imported.path)),
    ];

    expect(reached.filter((name) => /sqlite/i.test(name))).to.deep.equal([]);
    expect(reached.some((name) => name.includes('worker.handler'))).to.equal(true);
  });
});
