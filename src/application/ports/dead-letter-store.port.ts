import type { EventFilterSettings } from '../../domain/filtering/event-filter.js';
import type { RedactionSettings } from '../../domain/redaction/redactor.js';
import type { DeadLetteredMessage } from './queue-consumer.port.js';

export type { DeadLetteredMessage };

/**
 * What the worker that dead-lettered a chunk was told to do with its events (a local run's `--min-severity`,
 * `--include`, `--exclude`, `--redact`): a local redrive processes the chunk the same way. Never the HMAC key.
 */
export interface DeadLetterWorkerSettings {
  readonly filters: EventFilterSettings;
  readonly redaction: Omit<RedactionSettings, 'key'>;
}

/** A dead letter as a local store keeps it. */
export interface StoredDeadLetter extends DeadLetteredMessage {
  /** Absent for a letter kept before the store recorded them: the defaults apply. */
  readonly workerSettings?: DeadLetterWorkerSettings;
}

/** A dead letter a redrive holds: it stays in the store until the redrive settles it. */
export interface ClaimedDeadLetter extends StoredDeadLetter {
  readonly claim: number;
}

/**
 * Where a local chunk queue keeps its dead letters: in memory for a throwaway run, in the SQLite store for a run
 * with `--store`, so `dlq list` and `dlq redrive` find them after the process ends. (SQS keeps its own.)
 * Synchronous because the queue moves a message here in the middle of a receive, as SQS's redrive does.
 *
 * A redrive claims letters instead of taking them: a claimed letter stays in the store until its chunk is processed
 * or dead-lettered again ({@link settle}), so a redrive that is interrupted loses nothing, and a second redrive
 * running at the same time does not claim it.
 */
export interface DeadLetterStore {
  add(message: StoredDeadLetter): void;
  /**
   * Oldest first, without removing them. A letter a live redrive holds is not listed, as SQS lists a redriven
   * message in its source queue, not the DLQ; one whose redrive is gone is listed again.
   */
  list(limit?: number): StoredDeadLetter[];
  /** The letters {@link list} lists. */
  count(): number;
  /** Claims every letter no live redrive holds, oldest first. */
  claim(): ClaimedDeadLetter[];
  /** The claimed letter's chunk was processed, or dead-lettered again as a new letter: removes it. */
  settle(claim: number): void;
  /** Gives claimed letters back unprocessed. */
  release(claims: readonly number[]): void;
}
