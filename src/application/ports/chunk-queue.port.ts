import type { EncodedChunk } from '../../domain/chunk.js';

export type { EncodedChunk };

/** The queue chunks travel on from the splitter to the workers (SQS, or its in-memory twin). */
export interface ChunkQueue {
  /**
   * Sends at most 10 chunks and 1 MiB in all (the caller packs them). Retries partial failures and throttling;
   * resolves only when every chunk is accepted, otherwise throws — a chunk is never lost silently.
   */
  sendBatch(chunks: readonly EncodedChunk[]): Promise<void>;
  /**
   * Puts a message straight on the dead-letter queue with the reason it cannot be processed, and how many times it was
   * received (a local store keeps it for `dlq list` and the page; SQS counts receives of its own).
   */
  deadLetter(body: string, reason: string, receiveCount?: number): Promise<void>;
}
