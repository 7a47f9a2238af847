import type { ClaimedDeadLetter, DeadLetterStore, StoredDeadLetter } from '../../application/ports/dead-letter-store.port.js';

/** Dead letters in an array: they live as long as the process, so a claim is the letter leaving the array. */
export class InMemoryDeadLetterStore implements DeadLetterStore {
  private readonly messages: StoredDeadLetter[] = [];
  private readonly claimed = new Map<number, StoredDeadLetter>();
  private claims = 0;

  add(message: StoredDeadLetter): void {
    this.messages.push(message);
  }

  list(limit?: number): StoredDeadLetter[] {
    return this.messages.slice(0, limit ?? this.messages.length);
  }

  count(): number {
    return this.messages.length;
  }

  claim(): ClaimedDeadLetter[] {
    return this.messages.splice(0, this.messages.length).map((message) => {
      const claim = ++this.claims;
      this.claimed.set(claim, message);
      return { ...message, claim };
    });
  }

  settle(claim: number): void {
    this.claimed.delete(claim);
  }

  release(claims: readonly number[]): void {
    const back = claims.flatMap((claim) => {
      const message = this.claimed.get(claim);
      this.claimed.delete(claim);
      return message === undefined ? [] : [message];
    });
    this.messages.unshift(...back);
  }
}
