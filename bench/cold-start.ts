/**
 * Cold start of the deployed handlers: each bundle `npm run synth` wrote to cdk.out, imported in a fresh Node
 * process and invoked once with an empty event, which builds its container (AWS clients, adapters, use cases) as
 * the first real invocation does, without calling AWS. Each round runs, back to back, a bare Node process (nothing
 * imported: Node's own start-up on this machine at this moment) and one process per handler. Prints, per handler,
 * the median over the rounds of wall time (from process start: Node's start-up, the import, the first invocation,
 * the total) and of CPU time (user + system, the same process), then the load average.
 *
 *   npm run synth && node --import tsx bench/cold-start.ts [--cdk-out cdk.out] [--repeats 9] [--node /path/to/node]
 *     [--also label=/path/to/index.mjs ...]
 *
 * `--node` runs the processes with another Node.js binary, e.g. the Lambda runtime's major version (the stack sets
 * Node.js 22) when the machine's own is older. `--also` adds another bundle to every round (an older build, for a
 * before/after measured side by side); its label says whether it is a splitter or a worker.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';

const args = process.argv.slice(2);
const option = (name: string, fallback: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const cdkOut = path.resolve(option('--cdk-out', 'cdk.out'));
const repeats = Number(option('--repeats', '9'));
const nodeBinary = option('--node', process.execPath);

interface Timing {
  bootMs: number;
  importMs: number;
  firstInvocationMs: number;
  totalMs: number;
  importCpuMs: number;
  firstInvocationCpuMs: number;
  totalCpuMs: number;
}

/** CPU time of this process so far, ms (user + system). */
const cpuSoFar = 'const cpuMs = () => { const { user, system } = process.cpuUsage(); return (user + system) / 1000; };';

/** Runs in the fresh process: times the import and the first (empty) invocation. */
const probe = `${cpuSoFar}
const booted = performance.now(); const bootCpu = cpuMs();
const module = await import(process.env.BUNDLE);
const imported = performance.now(); const importCpu = cpuMs();
await module.handler({ Records: [] }, { getRemainingTimeInMillis: () => 900000, awsRequestId: 'cold-start', functionName: 'cold-start' });
const invoked = performance.now(); const invokedCpu = cpuMs();
console.log(JSON.stringify({ bootMs: booted, importMs: imported - booted, firstInvocationMs: invoked - imported, totalMs: invoked,
  importCpuMs: importCpu - bootCpu, firstInvocationCpuMs: invokedCpu - importCpu, totalCpuMs: invokedCpu }));
`;

/** Node with nothing imported: the floor under every handler's figure. */
const bare = `${cpuSoFar} console.log(JSON.stringify({ bootMs: performance.now(), importMs: 0, firstInvocationMs: 0,
  totalMs: performance.now(), importCpuMs: 0, firstInvocationCpuMs: 0, totalCpuMs: cpuMs() }));`;

/** The stack's functions and their bundles, from the synthesized template. */
function handlers(): Array<{ label: string; kind: string; bundle: string }> {
  const templateFile = path.join(cdkOut, 'LogBatch.template.json');
  if (!existsSync(templateFile)) {
    console.error(`no ${templateFile}: run npm run synth first`);
    process.exit(2);
  }
  const template = JSON.parse(readFileSync(templateFile, 'utf8')) as {
    Resources: Record<string, { Type: string; Properties: Record<string, unknown>; Metadata?: Record<string, string> }>;
  };
  return Object.entries(template.Resources)
    .filter(([, resource]) => resource.Type === 'AWS::Lambda::Function' && resource.Metadata?.['aws:asset:path'] !== undefined)
    .map(([name, resource]) => {
      const kind = /splitter/i.test(name) ? 'splitter' : 'worker';
      const memoryMb = Number(resource.Properties.MemorySize ?? 128);
      const architecture = String((resource.Properties.Architectures as string[] | undefined)?.[0] ?? 'x86_64');
      const bundle = path.join(cdkOut, resource.Metadata!['aws:asset:path'], 'index.mjs');
      const kilobytes = Math.round(readFileSync(bundle).length / 1024);
      return { label: `${kind} (${kilobytes} KB bundle; ${memoryMb} MB, ${architecture})`, kind, bundle };
    });
}

const environment = {
  ...process.env,
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'cold-start',
  AWS_SECRET_ACCESS_KEY: 'cold-start',
  LOGBATCH_TABLE_NAME: 'logbatch-cold-start',
  LOGBATCH_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/chunks',
  LOGBATCH_DLQ_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/chunks-dlq',
  LOGBATCH_CONTINUATION_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/continuations',
  POWERTOOLS_METRICS_DISABLED: 'true',
  POWERTOOLS_LOG_LEVEL: 'SILENT',
};

function run(script: string, bundle?: string): Timing {
  const output = execFileSync(nodeBinary, ['--input-type=module', '-e', script], {
    env: { ...environment, BUNDLE: bundle ?? '' },
    encoding: 'utf8',
    // The SDK's Node-version warning and Powertools' empty-metrics notice are not what is measured.
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return JSON.parse(output.trim().split('\n').pop()!) as Timing;
}

const also = args.flatMap((arg, index) => (arg === '--also' ? [args[index + 1]] : [])).map((spec) => {
  const [label, bundle] = [spec.slice(0, spec.indexOf('=')), spec.slice(spec.indexOf('=') + 1)];
  if (label === '' || !existsSync(bundle)) {
    console.error(`--also wants label=/path/to/bundle.mjs, got ${spec}`);
    process.exit(2);
  }
  return { label: `${label} (${Math.round(readFileSync(bundle).length / 1024)} KB bundle)`, kind: /splitter/i.test(label) ? 'splitter' : 'worker', bundle };
});
const subjects = [{ label: 'Node alone (nothing imported)', kind: 'bare', bundle: undefined as string | undefined }, ...handlers(), ...also];
const timings = new Map<string, Timing[]>(subjects.map((subject) => [subject.label, []]));
const loadBefore = loadavg()[0];
for (let round = 0; round < repeats; round++) {
  for (const subject of subjects) timings.get(subject.label)!.push(run(subject.bundle === undefined ? bare : probe, subject.bundle));
}

const median = (values: readonly number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const version = execFileSync(nodeBinary, ['--version'], { encoding: 'utf8' }).trim();
console.log(`node ${version}, ${repeats} rounds, load average ${loadBefore.toFixed(1)} -> ${loadavg()[0].toFixed(1)}; medians, ms`);
console.log('| process | Node start-up | import | first invocation | total | CPU: import | CPU: first invocation | CPU: total |');
console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
for (const [label, runs] of timings) {
  const pick = (key: keyof Timing) => median(runs.map((timing) => timing[key])).toFixed(0);
  const dash = (key: keyof Timing) => (label.startsWith('Node alone') ? '-' : pick(key));
  console.log(
    `| ${label} | ${pick('bootMs')} | ${dash('importMs')} | ${dash('firstInvocationMs')} | ${pick('totalMs')} | ` +
      `${dash('importCpuMs')} | ${dash('firstInvocationCpuMs')} | ${pick('totalCpuMs')} |`,
  );
}
