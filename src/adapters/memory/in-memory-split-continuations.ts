import type { ObjectInfo } from '../../application/ports/object-store.port.js';
import type { SplitContinuations } from '../../application/ports/split-continuations.port.js';
import { objectCreatedEvent } from '../../local/aws-events.js';
import { reprocessRequest, type SplitContinuation } from '../../domain/continuation.js';

/** Continuations in memory, in the order they were handed over; the local runtime feeds them to the splitter. */
export class InMemorySplitContinuations implements SplitContinuations {
  private readonly pending: string[] = [];

  async handOver(continuation: SplitContinuation): Promise<void> {
    // Serialised like an SQS body, so the splitter handler decodes exactly what it would on AWS.
    this.pending.push(JSON.stringify(continuation));
  }

  async requestSplit(object: ObjectInfo): Promise<void> {
    this.pending.push(JSON.stringify(objectCreatedEvent(object)));
  }

  async requestReprocess(object: ObjectInfo, reprocessId: string): Promise<void> {
    this.pending.push(JSON.stringify(reprocessRequest(object, reprocessId)));
  }

  /** Takes the oldest pending message body (a continuation or a queued object), if any. */
  async take(): Promise<string | undefined> {
    return this.pending.shift();
  }

  get size(): number {
    return this.pending.length;
  }
}
