import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Annotations, App } from 'aws-cdk-lib';
import { type EmulatorStack, startEmulatorStack } from '../../src/local/emulator-stack.js';
import { PROJECT_ROOT } from '../lib/constructs/pipeline-function.js';
import { LogPipelineStack } from '../lib/log-pipeline-stack.js';
import { readStackContext } from '../lib/stack-context.js';
import { Deployment, type Finding } from './deployment.js';
import { type Authorization, describeStatement, type Grant, grantsOf } from './iam.js';
import type { RecordedCall } from './recording-proxy.js';
import { findParts, SCENARIO_NAMES, type ScenarioName, type ScenarioResult, ScenarioRunner } from './scenarios.js';
import type { CfnTemplate } from './template.js';
import { TemplateResolver } from './template.js';

/** A synthesized app: the stack's template and the directory holding its staged assets. */
export interface SynthesizedApp {
  readonly stackName: string;
  readonly template: CfnTemplate;
  readonly assemblyDirectory: string;
  /** Deletes the assembly if the rehearsal synthesized it. */
  cleanup(): void;
}

/**
 * Synthesizes the app as `infrastructure/bin/app.ts` does (the context of `cdk.json` plus `context`, the stack
 * from `readStackContext`), with real esbuild bundling, into a temporary directory. cdk-nag is left to
 * `npm run synth` and its own test: it does not change the template.
 */
export function synthesizeApp(context: Record<string, unknown> = {}): SynthesizedApp {
  const cdkJson = JSON.parse(readFileSync(join(PROJECT_ROOT, 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> };
  const outdir = mkdtempSync(join(tmpdir(), 'logbatch-rehearsal-cdk-'));
  const app = new App({ outdir, context: { ...cdkJson.context, ...context } });
  const { stackName, props } = readStackContext(app.node);
  const stack = new LogPipelineStack(app, stackName, props);
  // The rehearsal subscribes nobody to alarms; the warning would print at every run.
  Annotations.of(stack).acknowledgeWarning('logbatch:alarm-topic-without-subscriber', 'a rehearsal deploys nothing');
  const assembly = app.synth();
  const template = assembly.getStackByName(stack.stackName).template as CfnTemplate;
  return { stackName, template, assemblyDirectory: assembly.directory, cleanup: () => rmSync(outdir, { recursive: true, force: true }) };
}

/** Reads an assembly `cdk synth` wrote (`cdk.out`): its one stack's template and its assets. */
export function readAssembly(directory: string): SynthesizedApp {
  const templates = readdirSync(directory).filter((name) => name.endsWith('.template.json'));
  if (templates.length !== 1) throw new Error(`expected one *.template.json in ${directory}, found ${templates.length}`);
  const template = JSON.parse(readFileSync(join(directory, templates[0]), 'utf8')) as CfnTemplate;
  return { stackName: templates[0].replace(/\.template\.json$/, ''), template, assemblyDirectory: directory, cleanup: () => undefined };
}

export interface RehearsalOptions {
  /** Emulators to provision in (fresh resources each run); started and stopped by the rehearsal when absent. */
  readonly emulators?: EmulatorStack;
  /** @default every scenario */
  readonly scenarios?: readonly ScenarioName[];
  /** Progress lines. */
  readonly log?: (line: string) => void;
  /** @default 60000 per settle */
  readonly settleTimeoutMs?: number;
}

export interface DeniedCall extends Authorization {
  readonly principal: string;
  readonly origin: string;
  readonly operation: string;
}

export interface FunctionReport {
  readonly logicalId: string;
  readonly role: string;
  readonly invocations: number;
  readonly coldStarts: number;
  readonly timeouts: number;
  readonly maxDurationMs: number;
  readonly timeoutSeconds: number;
  readonly maxHeapMb: number;
  readonly memorySize: number;
  /** `origin service:Operation` → count. */
  readonly calls: Readonly<Record<string, number>>;
  /** Granted and never used by any scenario. */
  readonly unusedGrants: readonly Grant[];
  readonly recentLogs: readonly string[];
}

export interface RehearsalReport {
  readonly stackName: string;
  readonly passed: boolean;
  readonly scenarios: readonly ScenarioResult[];
  readonly functions: readonly FunctionReport[];
  readonly denied: readonly DeniedCall[];
  /** Calls decided by a condition the rehearsal cannot evaluate. */
  readonly conditional: readonly DeniedCall[];
  readonly findings: readonly Finding[];
  readonly notes: readonly Finding[];
  readonly notEmulated: readonly string[];
  readonly provisioned: Readonly<Record<string, number>>;
  readonly skippedSeconds: number;
  readonly elapsedMs: number;
}

let runSequence = 0;

/**
 * Deploys the synthesized template onto the emulators and runs the scenarios through the staged bundles, with
 * every AWS call decided against the template's IAM. Returns the report; never throws for a failed rehearsal.
 */
export async function rehearse(app: SynthesizedApp, options: RehearsalOptions = {}): Promise<RehearsalReport> {
  const started = Date.now();
  const log = options.log ?? (() => undefined);
  const emulators = options.emulators ?? (await startEmulatorStack({ prefix: 'rehearsal-base' }));
  runSequence += 1;
  const resolver = new TemplateResolver(app.template, app.stackName, `r${Date.now().toString(36)}${runSequence}`);
  let deployment: Deployment | undefined;
  const scenarios: ScenarioResult[] = [];
  const setupProblems: Finding[] = [];
  try {
    deployment = await Deployment.create({ resolver, assemblyDirectory: app.assemblyDirectory, admin: emulators.clients, endpoints: emulators.endpoints });
    log(`provisioned ${app.stackName} on the emulators: ${describeCounts(provisionedCounts(app.template))}`);
    const parts = findParts(deployment);
    deployment.startEventSources();
    const runner = new ScenarioRunner(deployment, parts, options.settleTimeoutMs ?? 60_000);
    try {
      for (const name of options.scenarios ?? SCENARIO_NAMES) {
        const result = await runner.run(name);
        log(`${result.passed ? 'ok  ' : 'FAIL'} ${name} (${(result.elapsedMs / 1000).toFixed(1)} s)`);
        scenarios.push(result);
      }
    } finally {
      runner.close();
      await deployment.stopEventSources();
    }
    deployment.recordRuntimeLogWrites();
  } catch (error) {
    setupProblems.push({ where: 'rehearsal', problem: (error as Error).message });
  } finally {
    await deployment?.close();
    if (options.emulators === undefined) await emulators.stop();
  }
  return buildReport(app, deployment, scenarios, setupProblems, Date.now() - started);
}

function buildReport(app: SynthesizedApp, deployment: Deployment | undefined, scenarios: ScenarioResult[], setupProblems: Finding[], elapsedMs: number): RehearsalReport {
  const calls: RecordedCall[] = deployment?.proxy.calls ?? [];
  const flatten = (decision: Authorization['decision']): DeniedCall[] =>
    calls.flatMap((call) =>
      call.authorizations
        .filter((authorization) => authorization.decision === decision)
        .map((authorization) => ({ ...authorization, principal: call.principal, origin: call.origin, operation: call.operation })),
    );
  const denied = uniqueBy(flatten('denied'), (call) => `${call.principal} ${call.action} ${call.resource}`);
  const conditional = uniqueBy(flatten('conditional'), (call) => `${call.principal} ${call.action} ${call.resource}`);
  const functions: FunctionReport[] = [];
  for (const fn of deployment?.functions.values() ?? []) {
    const own = calls.filter((call) => call.principal === fn.spec.logicalId);
    const counts: Record<string, number> = {};
    for (const call of own) {
      const label = `${call.origin}: ${call.service}:${call.operation}`;
      counts[label] = (counts[label] ?? 0) + 1;
    }
    const role = deployment?.roles.get(fn.spec.roleLogicalId);
    const allowed = own.flatMap((call) => call.authorizations.filter((authorization) => authorization.decision !== 'denied'));
    functions.push({
      logicalId: fn.spec.logicalId,
      role: fn.spec.roleLogicalId,
      invocations: fn.invocations,
      coldStarts: fn.coldStarts,
      timeouts: fn.timeouts,
      maxDurationMs: fn.maxDurationMs,
      timeoutSeconds: fn.spec.timeoutSeconds,
      maxHeapMb: fn.maxHeapMb,
      memorySize: fn.spec.memorySize,
      calls: counts,
      unusedGrants: role === undefined ? [] : grantsOf(role, allowed).filter((grant) => !grant.used),
      recentLogs: fn.logs.slice(-20),
    });
  }
  const allFindings = [...setupProblems, ...(deployment?.findings ?? [])];
  const notes = allFindings.filter((finding) => finding.problem.startsWith('not evaluated'));
  const findings = allFindings.filter((finding) => !notes.includes(finding));
  return {
    stackName: app.stackName,
    passed: findings.length === 0 && denied.length === 0 && scenarios.length > 0 && scenarios.every((scenario) => scenario.passed),
    scenarios,
    functions,
    denied,
    conditional,
    findings,
    notes,
    notEmulated: deployment?.notEmulated ?? [],
    provisioned: provisionedCounts(app.template),
    skippedSeconds: deployment?.skippedSeconds ?? 0,
    elapsedMs,
  };
}

function provisionedCounts(template: CfnTemplate): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const resource of Object.values(template.Resources)) {
    if (['AWS::S3::Bucket', 'AWS::SQS::Queue', 'AWS::DynamoDB::Table', 'AWS::Lambda::Function', 'AWS::Lambda::EventSourceMapping'].includes(resource.Type)) {
      counts[resource.Type] = (counts[resource.Type] ?? 0) + 1;
    }
  }
  return counts;
}

function describeCounts(counts: Record<string, number>): string {
  return Object.entries(counts)
    .map(([type, count]) => `${count} ${type.split('::').slice(1).join('::')}`)
    .join(', ');
}

function uniqueBy<T>(items: T[], key: (item: T) => string): T[] {
  const seen = new Map<string, T>();
  for (const item of items) if (!seen.has(key(item))) seen.set(key(item), item);
  return [...seen.values()];
}

/** The report as the `rehearse` command prints it. */
export function formatReport(report: RehearsalReport): string {
  const lines: string[] = [];
  lines.push(`Rehearsal of ${report.stackName}: ${describeCounts(report.provisioned)}`);
  lines.push('', 'Scenarios');
  for (const scenario of report.scenarios) {
    lines.push(`  ${scenario.passed ? 'ok  ' : 'FAIL'} ${scenario.name} (${(scenario.elapsedMs / 1000).toFixed(1)} s)`);
    for (const detail of scenario.details) lines.push(`       ${detail}`);
    for (const problem of scenario.problems) lines.push(`     ✗ ${problem}`);
  }
  for (const fn of report.functions) {
    lines.push('', `${fn.logicalId} (role ${fn.role})`);
    lines.push(
      `  ${fn.invocations} invocation(s), ${fn.coldStarts} cold start(s), ${fn.timeouts} timeout(s); longest ${fn.maxDurationMs} ms of a ${fn.timeoutSeconds} s Timeout; heap ${fn.maxHeapMb} MB of ${fn.memorySize} MB`,
    );
    lines.push('  calls by operation:');
    for (const [label, count] of Object.entries(fn.calls).sort(([a], [b]) => a.localeCompare(b))) lines.push(`    ${String(count).padStart(5)}  ${label}`);
    lines.push(fn.unusedGrants.length === 0 ? '  least privilege: every granted action was used' : '  least privilege: granted, never used by any scenario:');
    for (const grant of fn.unusedGrants) lines.push(`    ${grant.action} on ${grant.resource}  (${describeStatement(grant.source)})`);
  }
  lines.push('', report.denied.length === 0 ? 'IAM: every call is allowed by the template' : `IAM: ${report.denied.length} call(s) the template does not allow`);
  for (const call of report.denied) {
    lines.push(`  DENIED ${call.principal} (${call.origin}) ${call.operation}: ${call.action} on ${call.resource}`);
    lines.push(`         ${call.deniedBy === undefined ? `would be allowed by ${call.wouldBeAllowedBy}` : `explicitly denied by ${describeStatement(call.deniedBy)}`}`);
  }
  for (const call of report.conditional) lines.push(`  CONDITIONAL ${call.principal} ${call.action} on ${call.resource}: ${call.unevaluatedConditions.join('; ')}`);
  if (report.findings.length > 0) {
    lines.push('', 'Findings');
    for (const finding of report.findings) lines.push(`  ${finding.where}: ${finding.problem}`);
  }
  if (report.notes.length > 0) {
    lines.push('', 'Not evaluated');
    for (const note of report.notes) lines.push(`  ${note.where}: ${note.problem}`);
  }
  lines.push('', 'Not emulated (a real deploy proves these)');
  for (const item of report.notEmulated) lines.push(`  ${item}`);
  lines.push(`  ${report.skippedSeconds} s of visibility timeouts and async retry delays skipped rather than waited`);
  if (!report.passed) {
    for (const fn of report.functions.filter((candidate) => candidate.recentLogs.length > 0)) {
      lines.push('', `last log lines of ${fn.logicalId}:`, ...fn.recentLogs.map((line) => `  ${line.slice(0, 400)}`));
    }
  }
  lines.push('', `${report.passed ? 'REHEARSAL PASSED' : 'REHEARSAL FAILED'} in ${(report.elapsedMs / 1000).toFixed(1)} s`);
  return lines.join('\n');
}
