import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { PROJECT_ROOT, runCli } from '../helpers/cli.js';

/**
 * The command line itself: what each AWS-target command asks for, help, `--version`, and how commander's own parse
 * errors read (one line on stderr starting `logbatch:`, exit 2).
 */

/** No stack named by the environment: each test names what it gives. */
const NO_TARGET = {
  LOGBATCH_TABLE_NAME: '',
  LOGBATCH_QUEUE_URL: '',
  LOGBATCH_DLQ_URL: '',
  LOGBATCH_CONTINUATION_QUEUE_URL: '',
  AWS_ENDPOINT_URL: '',
};

/** Nothing listens on port 9 (discard) of the loopback: a command that gets as far as a request fails on it. */
const UNREACHABLE = ['--endpoint-url', 'http://127.0.0.1:9', '--region', 'us-east-1'];

/** Credentials the SDK takes without looking further (no profile, no instance metadata); no request gets far. */
const CREDENTIALS = { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_MAX_ATTEMPTS: '1' };

const QUEUE = 'https://sqs.us-east-1.amazonaws.com/123456789012/chunks';
const DLQ = 'https://sqs.us-east-1.amazonaws.com/123456789012/chunks-dlq';

describe('logbatch command line', function () {
  this.timeout(60_000);

  describe('AWS-target commands ask only for what they use', () => {
    const env = { ...NO_TARGET, ...CREDENTIALS };

    for (const args of [['query', '--batch', 'x'], ['batches'], ['status', 'x']]) {
      it(`${args[0]} needs the table and no queue`, async () => {
        const result = await runCli([...args, '--table', 'logbatch-entries', ...UNREACHABLE], { env });

        // It got as far as DynamoDB (nothing answers there): no complaint about the configuration.
        expect(result.stderr).to.not.match(/LOGBATCH_QUEUE_URL|LOGBATCH_DLQ_URL|--queue-url|--dlq-url|invalid configuration/);
        expect(result.stderr).to.match(/^logbatch: /);
        expect(result.code).to.equal(1);
      });
    }

    it('says that a store or the stack is wanted when neither is given (a local user who left out --store)', async () => {
      const commands = [['query', '--severity', 'warn'], ['batches'], ['status', 'x'], ['dlq', 'list'], ['dlq', 'redrive']];
      const results = await Promise.all(commands.map((args) => runCli(args, { env: { ...env, LOGBATCH_STORE: '' } })));

      for (const [index, result] of results.entries()) {
        expect(result.code, commands[index].join(' ')).to.equal(2);
        expect(result.stderr, commands[index].join(' ')).to.equal(
          'logbatch: no store and no stack given: pass --store PATH (the store `run --store` wrote; or export LOGBATCH_STORE), or --table and the other AWS target flags for the stack (or export the variables `logbatch emulator` prints)\n',
        );
      }
    });

    it('AWS target flags typed on the command line win over an exported LOGBATCH_STORE; --store typed with them is refused', async () => {
      const directory = await mkdtemp(path.join(tmpdir(), 'logbatch-target-'));
      try {
        const store = path.join(directory, 'x.db');
        const log = path.join(directory, 'a.log');
        await writeFile(log, 'one line\n');
        expect((await runCli(['run', log, '--store', store], { env })).code).to.equal(0);
        const commands = [['query', '--batch', 'x'], ['batches'], ['status', 'x'], ['dlq', 'list', '--dlq-url', DLQ], ['dlq', 'redrive', '--queue-url', QUEUE, '--dlq-url', DLQ]];
        const exported = await Promise.all(commands.map((args) => runCli([...args, '--table', 'logbatch-entries', ...UNREACHABLE], { env: { ...env, LOGBATCH_STORE: store } })));
        const typed = await Promise.all(commands.map((args) => runCli([...args, '--store', store, '--table', 'logbatch-entries', ...UNREACHABLE], { env })));

        for (const [index, result] of exported.entries()) {
          // It went to DynamoDB/SQS (nothing answers there), not to the store, which holds a.log's batch.
          expect(result.code, commands[index].join(' ')).to.equal(1);
          expect(result.stderr, commands[index].join(' ')).to.not.match(/in this store|a\.log|invalid configuration/);
        }
        for (const [index, result] of typed.entries()) {
          expect(result.code, commands[index].join(' ')).to.equal(2);
          expect(result.stderr, commands[index].join(' ')).to.equal('logbatch: --store and the AWS target flags: choose one\n');
        }
      } finally {
        await rm(directory, { recursive: true, force: true });
      }
    });

    it('status names the store when the batch is not in it', async () => {
      const directory = await mkdtemp(path.join(tmpdir(), 'logbatch-target-'));
      try {
        const store = path.join(directory, 'x.db');
        const log = path.join(directory, 'a.log');
        await writeFile(log, 'one line\n');
        await runCli(['run', log, '--store', store], { env });
        const result = await runCli(['status', 'nope', '--store', store], { env });

        expect(result.code).to.equal(2);
        expect(result.stderr).to.equal('logbatch: no batch nope in this store\n');
      } finally {
        await rm(directory, { recursive: true, force: true });
      }
    });

    it('status without a table asks for the table alone, naming its flag', async () => {
      const result = await runCli(['status', 'x', ...UNREACHABLE], { env });

      expect(result.code).to.equal(2);
      expect(result.stderr).to.equal('logbatch: invalid configuration: LOGBATCH_TABLE_NAME is required (pass --table, or export the variables `logbatch emulator` prints)\n');
    });

    it('takes an empty LOGBATCH_STORE for no store, as run and ui do', async () => {
      const result = await runCli(['batches', ...UNREACHABLE], { env: { ...env, LOGBATCH_STORE: '' } });

      expect(result.code).to.equal(2);
      expect(result.stderr).to.match(/^logbatch: invalid configuration: LOGBATCH_TABLE_NAME is required/);
    });

    it('dlq list asks for the table and the DLQ, not the chunk queue', async () => {
      const result = await runCli(['dlq', 'list', ...UNREACHABLE], { env });

      expect(result.code).to.equal(2);
      expect(result.stderr).to.equal(
        'logbatch: invalid configuration: LOGBATCH_TABLE_NAME is required; LOGBATCH_DLQ_URL is required (pass --table and --dlq-url, or export the variables `logbatch emulator` prints)\n',
      );
    });

    it('dlq redrive asks for the two queues, not the table', async () => {
      const result = await runCli(['dlq', 'redrive', ...UNREACHABLE], { env });

      expect(result.code).to.equal(2);
      expect(result.stderr).to.equal(
        'logbatch: invalid configuration: LOGBATCH_QUEUE_URL is required; LOGBATCH_DLQ_URL is required (pass --queue-url and --dlq-url, or export the variables `logbatch emulator` prints)\n',
      );
    });

    it('dlq list with the table and the DLQ gets as far as SQS', async () => {
      const result = await runCli(['dlq', 'list', '--table', 'logbatch-entries', '--dlq-url', DLQ, ...UNREACHABLE], { env });

      expect(result.stderr).to.not.match(/invalid configuration/);
      expect(result.code).to.equal(1);
    });

    it('names the flag a bad value came from, and the variable when it came from the environment', async () => {
      const fromFlag = await runCli(['status', 'x', '--table', 'no such table!', ...UNREACHABLE], { env });
      const fromEnvironment = await runCli(['status', 'x', ...UNREACHABLE], { env: { ...env, LOGBATCH_TABLE_NAME: 'no such table!' } });
      const badQueue = await runCli(['dlq', 'redrive', '--queue-url', 'chunks', '--dlq-url', DLQ, ...UNREACHABLE], { env });

      for (const result of [fromFlag, fromEnvironment, badQueue]) expect(result.code).to.equal(2);
      expect(fromFlag.stderr).to.equal('logbatch: invalid configuration: --table must be a DynamoDB table name: 3-255 letters, digits, "_", "-" or "."\n');
      expect(fromEnvironment.stderr).to.equal('logbatch: invalid configuration: LOGBATCH_TABLE_NAME must be a DynamoDB table name: 3-255 letters, digits, "_", "-" or "."\n');
      expect(badQueue.stderr).to.match(/^logbatch: invalid configuration: --queue-url must be an http\(s\) queue URL, e\.g\. https:\/\/\S+\n$/);
    });

    it('backfill asks for the table and the continuation queue, not the chunk queue or the DLQ', async () => {
      const dryRun = await runCli(['backfill', '--bucket', 'b', '--dry-run', ...UNREACHABLE], { env });
      const badQueue = await runCli(['backfill', '--bucket', 'b', '--table', 'logbatch-entries', '--continuation-queue-url', 'nope', ...UNREACHABLE], { env });
      const given = await runCli(['backfill', '--bucket', 'b', '--table', 'logbatch-entries', '--continuation-queue-url', QUEUE, ...UNREACHABLE], { env });

      expect(dryRun.code).to.equal(2);
      expect(dryRun.stderr).to.equal('logbatch: invalid configuration: LOGBATCH_TABLE_NAME is required (pass --table, or export the variables `logbatch emulator` prints)\n');
      expect(badQueue.code).to.equal(2);
      expect(badQueue.stderr).to.match(/^logbatch: invalid configuration: --continuation-queue-url must be an http\(s\) queue URL/);
      expect(given.stderr).to.not.match(/invalid configuration|LOGBATCH_QUEUE_URL|LOGBATCH_DLQ_URL/);
      expect(given.code).to.equal(1);
    });
  });

  describe('help', () => {
    it('shows the help of a subcommand of a subcommand: help dlq list', async () => {
      const viaHelp = await runCli(['help', 'dlq', 'list']);
      const viaFlag = await runCli(['dlq', 'list', '--help']);

      expect(viaHelp.code).to.equal(0);
      expect(viaHelp.stdout).to.match(/^Usage: logbatch dlq list \[options\]/);
      expect(viaHelp.stdout).to.equal(viaFlag.stdout);
      expect(viaHelp.stderr).to.equal('');
    });

    it('says an unknown command is unknown, in one line, exit 2', async () => {
      const top = await runCli(['help', 'foo']);
      const nearly = await runCli(['help', 'qurey']);
      const nested = await runCli(['help', 'dlq', 'foo']);
      const nestedViaSubcommand = await runCli(['dlq', 'help', 'foo']);
      const leaf = await runCli(['help', 'run', 'foo']);

      for (const result of [top, nearly, nested, nestedViaSubcommand, leaf]) {
        expect(result.code, result.stderr).to.equal(2);
        expect(result.stdout).to.equal('');
      }
      expect(top.stderr).to.equal("logbatch: unknown command 'foo'\n");
      expect(nearly.stderr).to.equal("logbatch: unknown command 'qurey' (Did you mean query?)\n");
      expect(nested.stderr).to.equal("logbatch: unknown command 'foo'\n");
      expect(nestedViaSubcommand.stderr).to.equal("logbatch: unknown command 'foo'\n");
      expect(leaf.stderr).to.equal("logbatch: unknown command 'run foo': run has no subcommands\n");
    });

    it('prints the version with --version and -V', async () => {
      const { version } = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string };

      for (const flag of ['--version', '-V']) {
        const result = await runCli([flag]);

        expect(result.code, result.stderr).to.equal(0);
        expect(result.stdout).to.equal(`${version}\n`);
        expect(result.stderr).to.equal('');
      }
    });

    it('names LOGBATCH_STORE once in the help of --store, set or not', async () => {
      for (const env of [{}, { LOGBATCH_STORE: path.join(PROJECT_ROOT, 'no-such-store.db') }] as Array<Record<string, string>>) {
        const result = await runCli(['batches', '--help'], { env });
        const storeHelp = result.stdout.slice(result.stdout.indexOf('--store'), result.stdout.indexOf('--json'));

        expect(result.code).to.equal(0);
        expect(storeHelp.match(/LOGBATCH_STORE/g) ?? [], storeHelp).to.have.length.at.most(1);
      }
    });

    it('marks backfill --bucket as required', async () => {
      const result = await runCli(['backfill', '--help']);

      expect(result.code).to.equal(0);
      expect(result.stdout).to.match(/^Usage: logbatch backfill --bucket <name> \[options\]/);
      expect(result.stdout).to.match(/--bucket <name> +bucket to list \(required\)/);
    });
  });

  describe('parse errors: one line on stderr, starting logbatch:, exit 2', () => {
    const cases: ReadonlyArray<readonly [string[], string | RegExp]> = [
      [['rn'], "logbatch: unknown command 'rn' (Did you mean run?)\n"],
      [['--bogus'], "logbatch: unknown option '--bogus'\n"],
      [['run', 'x.log', '--jsn'], "logbatch: unknown option '--jsn' (Did you mean --json?)\n"],
      [['batches', '--limit', '0'], "logbatch: option '--limit <n>' argument '0' is invalid. --limit must be a positive integer\n"],
      [['status'], "logbatch: missing required argument 'batchId'\n"],
      [['backfill'], "logbatch: required option '--bucket <name>' not specified\n"],
      [['run', 'x.log', '--format', 'xml'], /^logbatch: option '--format <format>' argument 'xml' is invalid\. Allowed choices are auto, json, .*\.\n$/],
    ];

    for (const [args, expected] of cases) {
      it(`logbatch ${args.join(' ')}`, async () => {
        const result = await runCli(args, { env: NO_TARGET });

        expect(result.code, result.stderr).to.equal(2);
        expect(result.stdout).to.equal('');
        if (expected instanceof RegExp) expect(result.stderr).to.match(expected);
        else expect(result.stderr).to.equal(expected);
      });
    }
  });
});
