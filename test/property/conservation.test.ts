import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import fc from 'fast-check';
import type { PipelineSettings } from '../../src/application/pipeline-settings.js';
import { BatchStatus } from '../../src/domain/batch.js';
import { exportedEntry, type LogEntry } from '../../src/domain/log-entry.js';
import { createEmulatorPipeline, type EmulatorPipeline } from '../helpers/emulator-pipeline.js';
import { buildLogFile, type ConservationSettings, describeLogFile, logFileArbitrary } from '../helpers/log-file-arbitrary.js';
import { assertConserved, conservationProblems, entryDifferences, type ObservedRun, runOnMemory } from './conservation-oracle.js';

/**
 * The conservation property of issue 17: every line of a file, exactly once, into the store.
 *
 * Files come from `logFileArbitrary` (line endings LF/CRLF/CR, BOM, gzip and multi-member gzip, control characters,
 * NUL runs, over-long lines, odd and deep JSON, stack traces, CloudTrail documents, forced hand-overs). Each runs
 * through the real handlers: on the memory backend as `logbatch run FILE --out entries.jsonl` does
 * (`runLocalPipeline` with an out path, entries read back from the JSON Lines file), and a smaller sample on the
 * emulators (fauxqs + DynamoDB Local, entries read back from the table).
 *
 * The oracle, for a line file of N physical lines (line k's text is what the file holds between terminators, the
 * file's BOM excluded):
 * 1. the batch completes (COMPLETED or COMPLETED_WITH_ERRORS) — unless a NUL byte sits in the first 8 KiB of content,
 *    when it must FAIL as binary;
 * 2. counters: totalLines = N and entries + blank + continuation = totalLines; blank = the lines that are empty or
 *    hold only spaces, tabs, vertical tabs and form feeds (a NBSP or a control character makes a line non-blank);
 *    entries = the stored entries; truncated = the stored entries marked truncated; unparsed = the stored entries
 *    with a parseError; continuation = Σ(lineCount − 1);
 * 3. no (batchId, lineNumber) is stored twice;
 * 4. spans: an entry covers lines lineNumber .. lineNumber + (lineCount ?? 1) − 1; every non-empty line is covered by
 *    exactly one entry and no blank line by any;
 * 5. content: let `full` be the covered lines' texts joined by `\n`.
 *    - not truncated: body = `full`, or (single line) a body its parser may take from the line instead — a JSON
 *      object's string `msg`, a CloudTrail record's `eventSource eventName`;
 *    - truncated: body is a prefix of `full`, at most `maxEventBytes` UTF-8 bytes, and originalLength = `full`'s
 *      UTF-8 byte length;
 *    - a line that opens a later gzip member with a BOM may be stored with or without that U+FEFF.
 * For a CloudTrail document file (several documents one per line, or one pretty-printed), the unit is the record:
 * totalLines = entries = R records, line numbers 1..R in document order, body = `eventSource eventName` (or, cut, a
 * prefix of the record's compact JSON with originalLength its byte length).
 * On the emulators, besides, every entry must equal the memory backend's entry for the same line (body,
 * attributes, timestamp, severity, flags): what DynamoDB stores is what the file said. Cut entries are compared on
 * their span, flags and originalLength, and on bodies up to the shorter cut (the cut point depends on the chunk
 * envelope, which names the object's key).
 *
 * Run counts: CONSERVATION_RUNS (memory, default 300) and CONSERVATION_EMULATOR_RUNS (default 20). A failure
 * prints fast-check's seed, path and the shrunk file; replay it with CONSERVATION_SEED=<seed> CONSERVATION_PATH=<path>.
 */

const MEMORY_RUNS = Number(process.env.CONSERVATION_RUNS ?? 300);
const EMULATOR_RUNS = Number(process.env.CONSERVATION_EMULATOR_RUNS ?? 20);
const SEED = process.env.CONSERVATION_SEED === undefined ? undefined : Number(process.env.CONSERVATION_SEED);
const PATH = process.env.CONSERVATION_PATH;

describe('conservation (issue 17): every line of a file, exactly once, into the store', () => {
  let directory: string;

  before(async () => {
    directory = await mkdtemp(path.join(tmpdir(), 'logbatch-conservation-'));
  });

  after(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  describe('runLocalPipeline with --out JSON Lines (memory backend)', () => {
    it(`conserves ${MEMORY_RUNS} generated files`, async function () {
      this.timeout(Math.max(120_000, MEMORY_RUNS * 1_000));
      await fc.assert(
        fc.asyncProperty(logFileArbitrary(), async (file) => {
          assertConserved(file, await runOnMemory(file, directory), 'memory --out');
        }),
        { numRuns: MEMORY_RUNS, seed: SEED, path: PATH },
      );
    });

    it('the oracle rejects a lost, a duplicated, a cut-short and a miscounted line', async () => {
      const file = buildLogFile({
        kind: 'lines',
        texts: ['2026-11-26T09:00:00Z INFO one', '', '{"msg":"two"}', 'three\u0001'],
        endings: 'crlf',
        mixedEndings: ['\n'],
        finalNewline: true,
        bom: false,
        compression: 'none',
        memberStarts: [1],
        bomInMembers: false,
        settings: { maxChunkBytes: 4096, maxEventBytes: 2048, maxChunkLines: 5000 },
        handOver: false,
      });
      const entry = (lineNumber: number, body: string): LogEntry => ({ batchId: 'b', lineNumber, body, observedTimestamp: '', attributes: {}, format: 'text' });
      const good: ObservedRun = {
        batch: { status: BatchStatus.COMPLETED, totalLines: 4, entries: 3, blank: 1, continuation: 0, truncated: 0, unparsed: 0 },
        entries: [entry(1, '2026-11-26T09:00:00Z INFO one'), entry(3, 'two'), entry(4, 'three\u0001')],
      };
      expect(conservationProblems(file, good)).to.deep.equal([]);

      const lost = { ...good, entries: good.entries.slice(0, 2) };
      const duplicated = { ...good, entries: [...good.entries, good.entries[2]] };
      const cutShort = { ...good, entries: [good.entries[0], good.entries[1], entry(4, 'three')] };
      const miscounted = { ...good, batch: { ...good.batch!, blank: 0 } };
      const unfinished = { ...good, batch: { ...good.batch!, status: BatchStatus.FAILED, reason: 'binary content' } };
      for (const [label, run] of Object.entries({ lost, duplicated, cutShort, miscounted, unfinished })) {
        expect(conservationProblems(file, run), label).to.not.be.empty;
      }
    });
  });

  describe('on the emulators (fauxqs + DynamoDB Local)', () => {
    /** One pipeline (fresh resources) per settings variant; the hand-over switch is read per run. */
    const pipelines = new Map<string, Promise<EmulatorPipeline>>();
    let handOverNow = false;
    let sequence = 0;

    const pipelineFor = (settings: ConservationSettings): Promise<EmulatorPipeline> => {
      const key = JSON.stringify(settings);
      let pipeline = pipelines.get(key);
      if (pipeline === undefined) {
        pipeline = createEmulatorPipeline({
          label: 'conserve',
          settings: settings satisfies Partial<PipelineSettings>,
          splitterContext: () => ({ getRemainingTimeInMillis: () => (handOverNow ? 0 : 900_000) }),
          handOverMarginMs: 1000,
        });
        pipelines.set(key, pipeline);
      }
      return pipeline;
    };

    after(async function () {
      this.timeout(30_000);
      for (const pipeline of pipelines.values()) await (await pipeline.catch(() => undefined))?.cleanup();
    });

    it(`conserves ${EMULATOR_RUNS} generated files, storing what a local run stores`, async function () {
      this.timeout(Math.max(180_000, EMULATOR_RUNS * 6_000));
      await fc.assert(
        fc.asyncProperty(logFileArbitrary(), async (file) => {
          const pipeline = await pipelineFor(file.settings);
          handOverNow = file.handOver;
          sequence += 1;
          const upload = await pipeline.upload(`conservation/${sequence}/${file.name}`, file.bytes);
          const report = await pipeline.run([upload]);
          const { batch, entries } = await pipeline.readBack(upload);
          assertConserved(
            file,
            {
              batch: { ...batch.stats, status: batch.status, reason: batch.reason, totalLines: batch.totalLines },
              entries,
              errors: [...report.splitterErrors, ...report.workerErrors],
            },
            'emulators',
          );
          if (file.expect.kind === 'binary') return;
          // What DynamoDB gives back is what the same file gives on the memory backend, entry by entry.
          const reference = await runOnMemory(file, directory);
          const byLine = new Map(reference.entries.map((entry) => [entry.lineNumber, entry]));
          for (const entry of entries) {
            // The memory run's entries are its --out file's: the exported shape, without the raw line DynamoDB keeps.
            const differences = entryDifferences(exportedEntry(entry), byLine.get(entry.lineNumber));
            if (differences.length > 0) {
              throw new Error(
                `emulators: entry ${entry.lineNumber} differs from the memory backend's (emulator ≠ memory):\n- ${differences.slice(0, 8).join('\n- ')}\n${describeLogFile(file)}`,
              );
            }
          }
        }),
        { numRuns: EMULATOR_RUNS, seed: SEED, path: PATH },
      );
    });
  });
});
