/** A message as a consumer receives it (the shape the SQS event source hands Lambda). */
export interface ReceivedMessage {
  readonly messageId: string;
  readonly receiptHandle: string;
  readonly body: string;
  /** 1 on first delivery; SQS's `ApproximateReceiveCount`. */
  readonly receiveCount: number;
  readonly sentTimestamp: number;
  readonly attributes?: Readonly<Record<string, string>>;
}

export interface QueueDepth {
  readonly visible: number;
  readonly inFlight: number;
  readonly deadLettered: number;
}

/** A message on the dead-letter queue and why it is there. */
export interface DeadLetteredMessage {
  readonly messageId: string;
  readonly body: string;
  /** Reason the worker gave, or a note that SQS moved it after `maxReceiveCount` receives. */
  readonly reason: string;
  readonly receiveCount?: number;
}

export interface ReceiveOptions {
  /** Long-poll: how long to wait for a first message when none is visible. @default 0 */
  readonly waitMs?: number;
  /** Ends the wait early, e.g. when the caller knows no more messages are coming. */
  readonly signal?: AbortSignal;
}

/**
 * The consuming side of the chunk queue: what the local runtime (playing Lambda's SQS event source) and the
 * operator tools need. Implemented by the in-memory queue and by SQS.
 */
export interface QueueConsumer {
  /**
   * Receives up to `maxMessages` visible messages and hides them for the visibility timeout, waiting up to `waitMs`
   * for the first. An aborted `signal` ends the wait early (with what is visible, maybe nothing); an adapter whose
   * wait cannot be abandoned safely only skips waiting when the signal is already aborted.
   */
  receive(maxMessages: number, options?: ReceiveOptions): Promise<ReceivedMessage[]>;
  /** Deletes a processed message. */
  delete(receiptHandle: string): Promise<void>;
  /** Makes a received message visible again after `seconds` (0: at once). */
  changeVisibility(receiptHandle: string, seconds: number): Promise<void>;
  depth(): Promise<QueueDepth>;
  /** Lists (without consuming) what sits on the dead-letter queue. */
  listDeadLetters(options?: { limit?: number }): Promise<DeadLetteredMessage[]>;
  /** Moves every dead-lettered message back to the chunk queue; returns how many moved. */
  redriveDeadLetters(): Promise<number>;
}
