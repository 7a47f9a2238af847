import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { Worker } from 'node:worker_threads';

/** A function as the template declares it, resolved against the rehearsal's resources. */
export interface FunctionSpec {
  readonly logicalId: string;
  readonly name: string;
  readonly arn: string;
  readonly roleLogicalId: string;
  /** The staged bundle's file and the export `Handler` names. */
  readonly handlerFile: string;
  readonly exportName: string;
  readonly timeoutSeconds: number;
  readonly memorySize: number;
  readonly reservedConcurrency?: number;
  readonly logGroupName: string;
  /** `Environment.Variables`, resolved, plus Lambda's own variables and the rehearsal's endpoints. */
  readonly environment: Readonly<Record<string, string>>;
}

export interface InvocationResult {
  readonly ok: boolean;
  readonly result?: unknown;
  readonly error?: { readonly errorType: string; readonly errorMessage: string; readonly stack?: string };
  readonly timedOut: boolean;
  readonly coldStart: boolean;
  readonly durationMs: number;
}

interface Sandbox {
  readonly worker: Worker;
  busy: boolean;
}

/** Lambda's limit on a function's init phase (loading the bundle, module scope). */
const INIT_LIMIT_SECONDS = 10;

const SANDBOX_SCRIPT = new URL('./lambda-sandbox.mjs', import.meta.url);

/**
 * Lambda's side of one function: execution environments (worker threads, each with the function's environment
 * and a heap limit of its `MemorySize`), at most `maxConcurrency` at once, the `Timeout` enforced by ending the
 * environment (the next invocation starts cold, as after a timeout in Lambda), and the function's log lines kept.
 */
export class RehearsedFunction {
  readonly logs: string[] = [];
  readonly errors: Array<{ readonly event: string; readonly error: string }> = [];
  invocations = 0;
  coldStarts = 0;
  timeouts = 0;
  maxHeapMb = 0;
  maxDurationMs = 0;
  /** Set by a scenario that plays a shorter timeout than the template's (hand-overs). */
  timeoutOverrideSeconds: number | undefined;
  private readonly sandboxes: Sandbox[] = [];
  private readonly waiting: Array<() => void> = [];
  private sequence = 0;

  constructor(
    readonly spec: FunctionSpec,
    private readonly maxConcurrency: number,
  ) {}

  get timeoutSeconds(): number {
    return this.timeoutOverrideSeconds ?? this.spec.timeoutSeconds;
  }

  async invoke(event: unknown, label: string): Promise<InvocationResult> {
    const { sandbox, coldStart } = await this.acquire();
    this.invocations += 1;
    const timeoutMs = this.timeoutSeconds * 1000;
    const started = Date.now();
    const id = ++this.sequence;
    const result = await new Promise<InvocationResult>((resolve) => {
      let timer: NodeJS.Timeout;
      const finish = (outcome: InvocationResult) => {
        clearTimeout(timer);
        sandbox.worker.off('message', onMessage);
        sandbox.worker.off('error', onError);
        resolve(outcome);
      };
      const timeOut = (what: string, limitSeconds: number) => {
        if (what === 'Task') this.timeouts += 1;
        this.discard(sandbox);
        finish({
          ok: false,
          error: { errorType: 'Sandbox.Timedout', errorMessage: `${what} timed out after ${limitSeconds.toFixed(2)} seconds` },
          timedOut: true,
          coldStart,
          durationMs: Date.now() - started,
        });
      };
      const onMessage = (message: { id: number; started?: boolean; ok: boolean; result?: unknown; error?: InvocationResult['error']; heapMb: number }) => {
        if (message.id !== id) return;
        if (message.started === true) {
          // Init is done: the function's Timeout runs from here, as in Lambda.
          clearTimeout(timer);
          timer = setTimeout(() => timeOut('Task', this.timeoutSeconds), timeoutMs);
          return;
        }
        this.maxHeapMb = Math.max(this.maxHeapMb, message.heapMb);
        finish({ ok: message.ok, result: message.result, error: message.error, timedOut: false, coldStart, durationMs: Date.now() - started });
      };
      const onError = (error: Error) => {
        this.discard(sandbox);
        finish({ ok: false, error: { errorType: 'Runtime.ExitError', errorMessage: error.message }, timedOut: false, coldStart, durationMs: Date.now() - started });
      };
      timer = setTimeout(() => timeOut('Init', INIT_LIMIT_SECONDS), INIT_LIMIT_SECONDS * 1000);
      sandbox.worker.on('message', onMessage);
      sandbox.worker.on('error', onError);
      sandbox.worker.postMessage({ id, event, timeoutMs, requestId: randomUUID() });
    });
    this.maxDurationMs = Math.max(this.maxDurationMs, result.durationMs);
    if (!result.ok) this.errors.push({ event: label, error: `${result.error?.errorType}: ${result.error?.errorMessage}` });
    this.release(sandbox);
    return result;
  }

  async close(): Promise<void> {
    await Promise.all(this.sandboxes.splice(0).map((sandbox) => sandbox.worker.terminate()));
  }

  private async acquire(): Promise<{ sandbox: Sandbox; coldStart: boolean }> {
    for (;;) {
      const idle = this.sandboxes.find((sandbox) => !sandbox.busy);
      if (idle !== undefined) {
        idle.busy = true;
        return { sandbox: idle, coldStart: false };
      }
      if (this.sandboxes.length < this.maxConcurrency) {
        const sandbox = { worker: this.startSandbox(), busy: true };
        this.sandboxes.push(sandbox);
        this.coldStarts += 1;
        return { sandbox, coldStart: true };
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
  }

  private release(sandbox: Sandbox): void {
    sandbox.busy = false;
    this.waiting.shift()?.();
  }

  private discard(sandbox: Sandbox): void {
    const index = this.sandboxes.indexOf(sandbox);
    if (index >= 0) this.sandboxes.splice(index, 1);
    void sandbox.worker.terminate();
  }

  private startSandbox(): Worker {
    const { spec } = this;
    const worker = new Worker(SANDBOX_SCRIPT, {
      // Bare Node: no tsx or other loader inherited from the rehearsal's own process.
      execArgv: [],
      env: { ...spec.environment },
      stdout: true,
      stderr: true,
      resourceLimits: { maxOldGenerationSizeMb: spec.memorySize },
      workerData: {
        handlerFile: spec.handlerFile,
        exportName: spec.exportName,
        context: {
          functionName: spec.name,
          functionVersion: '$LATEST',
          invokedFunctionArn: spec.arn,
          memoryLimitInMB: String(spec.memorySize),
          logGroupName: spec.logGroupName,
          logStreamName: `rehearsal/[$LATEST]${randomUUID().replace(/-/g, '')}`,
        },
      },
    });
    for (const stream of [worker.stdout, worker.stderr]) {
      createInterface({ input: stream }).on('line', (line) => {
        this.logs.push(line);
        if (this.logs.length > 400) this.logs.splice(0, this.logs.length - 400);
      });
    }
    return worker;
  }
}
