import type { DeadLetteredMessage, DeadLetterStore } from '../../application/ports/dead-letter-store.port.js';

/** Dead letters in an array: they live as long as the process. */
export class InMemoryDeadLetterStore implements DeadLetterStore {
  private readonly messages: DeadLetteredMessage[] = [];

  add(message: DeadLetteredMessage): void {
    this.messages.push(message);
  }

  list(limit?: number): DeadLetteredMessage[] {
    return this.messages.slice(0, limit ?? this.messages.length);
  }

  count(): number {
    return this.messages.length;
  }

  takeAll(): DeadLetteredMessage[] {
    return this.messages.splice(0, this.messages.length);
  }
}
