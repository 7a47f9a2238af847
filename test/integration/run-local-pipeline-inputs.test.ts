import { mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { OutputIsInputError, runLocalPipeline } from '../../src/local/run-pipeline.js';

describe('runLocalPipeline', () => {
  let directory: string;
  const content = '{"msg":"one"}\n{"msg":"two"}\n';

  beforeEach(async () => {
    directory = await mkdtemp(path.join(tmpdir(), 'logbatch-inputs-'));
  });

  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  describe('inputs', () => {
    it('refuses an outPath that is one of the inputs through a symlink, leaving the input intact', async () => {
      const input = path.join(directory, 'input.jsonl');
      const viaSymlink = path.join(directory, 'link.jsonl');
      await writeFile(input, content);
      await symlink(input, viaSymlink);

      const error = await runLocalPipeline({ files: [input], outPath: viaSymlink }).catch((caught: unknown) => caught);

      expect(error).to.be.instanceOf(OutputIsInputError);
      expect(error).to.include({ code: 'OUTPUT_IS_INPUT', inputPath: input, outPath: viaSymlink });
      expect(await readFile(input, 'utf8')).to.equal(content);
    });

    it('runs a file given twice once, and lists the second name in duplicateInputs', async () => {
      const input = path.join(directory, 'input.jsonl');
      const out = path.join(directory, 'out.jsonl');
      await writeFile(input, content);

      const summary = await runLocalPipeline({ files: [input, path.join(directory, '.', 'input.jsonl')], outPath: out });

      expect(summary.batches).to.have.length(1);
      expect(summary.totals).to.deep.include({ files: 1, lines: 2, entries: 2 });
      expect(summary.duplicateInputs).to.deep.equal([{ file: input, sameAs: input }]);
      expect((await readFile(out, 'utf8')).trim().split('\n')).to.have.length(2);
    });
  });
});
