/**
 * Cold start of the deployed handlers: each bundle `npm run synth` wrote to cdk.out, imported in a fresh Node
 * process and invoked once with an empty event, which builds its container (AWS clients, adapters, use cases) as
 * the first real invocation does, without calling AWS. Prints one line per handler: Node's own start-up, the import,
 * the first invocation, and the total from process start; the median of `--repeats` fresh processes.
 *
 *   npm run synth && node --import tsx bench/cold-start.ts [--cdk-out cdk.out] [--repeats 5]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

const args = process.argv.slice(2);
const option = (name: string, fallback: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const cdkOut = path.resolve(option('--cdk-out', 'cdk.out'));
const repeats = Number(option('--repeats', '5'));

interface Timing {
  bootMs: number;
  importMs: number;
  firstInvocationMs: number;
  totalMs: number;
}

/** Runs in the fresh process: times the import and the first (empty) invocation. */
const probe = `
const booted = performance.now();
const module = await import(process.env.BUNDLE);
const imported = performance.now();
const event = process.env.KIND === 'splitter' ? { Records: [] } : { Records: [] };
await module.handler(event, { getRemainingTimeInMillis: () => 900000, awsRequestId: 'cold-start', functionName: 'cold-start' });
const invoked = performance.now();
console.log(JSON.stringify({ bootMs: booted, importMs: imported - booted, firstInvocationMs: invoked - imported, totalMs: invoked }));
`;

/** The stack's functions and their bundles, from the synthesized template. */
function handlers(): Array<{ name: string; kind: string; bundle: string; memoryMb: number; architecture: string }> {
  const templateFile = path.join(cdkOut, 'LogBatch.template.json');
  if (!existsSync(templateFile)) throw new Error(`no ${templateFile}: run npm run synth first`);
  const template = JSON.parse(readFileSync(templateFile, 'utf8')) as {
    Resources: Record<string, { Type: string; Properties: Record<string, unknown>; Metadata?: Record<string, string> }>;
  };
  return Object.entries(template.Resources)
    .filter(([, resource]) => resource.Type === 'AWS::Lambda::Function' && resource.Metadata?.['aws:asset:path'] !== undefined)
    .map(([name, resource]) => ({
      name,
      kind: /splitter/i.test(name) ? 'splitter' : 'worker',
      bundle: path.join(cdkOut, resource.Metadata!['aws:asset:path'], 'index.mjs'),
      memoryMb: Number(resource.Properties.MemorySize ?? 128),
      architecture: String((resource.Properties.Architectures as string[] | undefined)?.[0] ?? 'x86_64'),
    }));
}

const median = (values: readonly number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
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
for (const handler of handlers()) {
  const timings: Timing[] = [];
  for (let round = 0; round < repeats; round++) {
    const output = execFileSync(process.execPath, ['--input-type=module', '-e', probe], {
      env: { ...environment, BUNDLE: handler.bundle, KIND: handler.kind },
      encoding: 'utf8',
    });
    timings.push(JSON.parse(output.trim().split('\n').pop()!) as Timing);
  }
  const pick = (key: keyof Timing) => median(timings.map((timing) => timing[key])).toFixed(0);
  console.log(
    `| ${handler.kind} (${handler.memoryMb} MB, ${handler.architecture}) | ${pick('bootMs')} | ${pick('importMs')} | ${pick('firstInvocationMs')} | ${pick('totalMs')} |`,
  );
}
