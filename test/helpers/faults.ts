import { AsyncLocalStorage } from 'node:async_hooks';

/** Thrown by an injected crash: from here on, nothing the crashed invocation does reaches the outside world. */
export class SimulatedCrash extends Error {
  override readonly name = 'SimulatedCrash';
}

/** Thrown by an injected throttle, named like the AWS error so it reads as one. */
export class SimulatedThrottle extends Error {
  override readonly name = 'ThrottlingException';
}

export type FaultKind = 'crash-before' | 'crash-after' | 'throttle';

/** "The `call`-th call of `method` (counted across the whole run) fails this way." */
export interface Fault {
  readonly method: string;
  readonly call: number;
  readonly kind: FaultKind;
}

/**
 * Injects faults into the ports the handlers use. A crash is scoped to the invocation it happens in (via
 * AsyncLocalStorage): every later port call of that invocation throws too, as if the process had died — so no
 * catch block can "clean up" after a crash, exactly like a Lambda that timed out or ran out of memory.
 */
export class FaultInjector {
  private readonly scope = new AsyncLocalStorage<{ crashed: boolean }>();
  private readonly calls = new Map<string, number>();
  readonly injected: Fault[] = [];

  constructor(private readonly faults: readonly Fault[]) {}

  /** For `LocalRuntime`'s `aroundInvocation`: each handler invocation gets its own crash scope. */
  readonly aroundInvocation = <T>(_kind: 'splitter' | 'worker', invoke: () => Promise<T>): Promise<T> =>
    this.scope.run({ crashed: false }, invoke);

  wrap<T extends object>(port: T, prefix: string): T {
    return new Proxy(port, {
      get: (target, property, receiver) => {
        const value = Reflect.get(target, property, receiver) as unknown;
        if (typeof value !== 'function' || typeof property !== 'string') return value;
        const method = `${prefix}.${property}`;
        return async (...args: unknown[]) => {
          const scope = this.scope.getStore();
          if (scope === undefined) return (value as (...a: unknown[]) => unknown).apply(target, args);
          if (scope.crashed) throw new SimulatedCrash(`${method} after a crash`);
          const call = (this.calls.get(method) ?? 0) + 1;
          this.calls.set(method, call);
          const fault = this.faults.find((candidate) => candidate.method === method && candidate.call === call);
          if (fault?.kind === 'throttle') {
            this.injected.push(fault);
            throw new SimulatedThrottle(`${method} throttled (call ${call})`);
          }
          if (fault?.kind === 'crash-before') {
            this.injected.push(fault);
            scope.crashed = true;
            throw new SimulatedCrash(`crash before ${method} (call ${call})`);
          }
          const result = await (value as (...a: unknown[]) => unknown).apply(target, args);
          if (fault?.kind === 'crash-after') {
            this.injected.push(fault);
            scope.crashed = true;
            throw new SimulatedCrash(`crash after ${method} (call ${call})`);
          }
          return result;
        };
      },
    });
  }
}
