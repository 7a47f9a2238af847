import type { DeadLetteredMessage } from './queue-consumer.port.js';

export type { DeadLetteredMessage };

/**
 * Where a local chunk queue keeps its dead letters: in memory for a throwaway run, in the SQLite store for a run
 * with `--store`, so `dlq list` and `dlq redrive` find them after the process ends. (SQS keeps its own.)
 * Synchronous because the queue moves a message here in the middle of a receive, as SQS's redrive does.
 */
export interface DeadLetterStore {
  add(message: DeadLetteredMessage): void;
  /** Oldest first, without removing them. */
  list(limit?: number): DeadLetteredMessage[];
  count(): number;
  /** Removes and returns every dead letter, oldest first (a redrive). */
  takeAll(): DeadLetteredMessage[];
}
