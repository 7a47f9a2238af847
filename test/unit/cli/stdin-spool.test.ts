import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { expect } from 'chai';
import { spoolStdin } from '../../../src/cli/stdin-spool.js';
import { UsageError } from '../../../src/cli/usage-error.js';

const piped = (text: string) => Readable.from([Buffer.from(text.slice(0, 3)), Buffer.from(text.slice(3))]);

describe('spoolStdin', () => {
  it('copies standard input to a file named by its content, with a fixed time, and removes it', async () => {
    const spool = await spoolStdin(piped('line one\nline two\n'));
    try {
      expect(await readFile(spool.file, 'utf8')).to.equal('line one\nline two\n');
      expect(path.basename(path.dirname(spool.file))).to.match(/^logbatch-stdin-[0-9a-f]{32}$/);
      expect((await stat(spool.file)).mtime.toISOString()).to.equal('2000-01-01T00:00:00.000Z');
    } finally {
      spool.remove();
    }
    expect(existsSync(path.dirname(spool.file))).to.equal(false);
  });

  it('tells the bytes copied so far after each piece', async () => {
    const counts: number[] = [];

    const spool = await spoolStdin(piped('abcdefgh\n'), (bytes) => counts.push(bytes));
    spool.remove();

    expect(counts).to.deep.equal([3, 9]);
  });

  it('gives the same input the same file, and other input another', async () => {
    const [a, b, c] = [await spoolStdin(piped('same\n')), await spoolStdin(piped('same\n')), await spoolStdin(piped('other\n'))];
    for (const spool of [a, b, c]) spool.remove();

    expect(a.file).to.equal(b.file);
    expect(c.file).to.not.equal(a.file);
  });

  it('keeps the copy in a folder of its own when the named folder is not this user\'s private one', async () => {
    const text = `shared tmp ${process.pid} ${Date.now()}\n`;
    const named = path.join(tmpdir(), `logbatch-stdin-${createHash('sha256').update(text).digest('hex').slice(0, 32)}`);
    await mkdir(named, { mode: 0o755 });
    await chmod(named, 0o755);
    try {
      const spool = await spoolStdin(piped(text));
      spool.remove();

      expect(path.dirname(spool.file)).to.not.equal(named);
      expect(path.basename(path.dirname(spool.file))).to.match(/^logbatch-stdin-\w{6}$/);
      expect(existsSync(named)).to.equal(true);
    } finally {
      await rm(named, { recursive: true, force: true });
    }
  });

  it('refuses a terminal: nothing is piped, and the run would wait for typing', async () => {
    const terminal = Object.assign(Readable.from([]), { isTTY: true });

    const error = await spoolStdin(terminal).then(
      () => undefined,
      (caught: unknown) => caught,
    );

    expect(error).to.be.instanceOf(UsageError);
    expect((error as Error).message).to.equal('-: standard input is a terminal; pipe a log into it (cmd | logbatch run -), or name a file');
  });
});
