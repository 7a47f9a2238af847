import type { DeadLetteredMessage, DeadLetterStore } from '../../application/ports/dead-letter-store.port.js';
import type { SqliteStore } from './sqlite-store.js';

interface DeadLetterRow {
  position: number;
  message_id: string;
  body: string;
  reason: string;
  receive_count: number | null;
}

/** Dead letters in the store's `dead_letters` table, with their reason and whole message body. */
export class SqliteDeadLetterStore implements DeadLetterStore {
  constructor(
    private readonly store: SqliteStore,
    private readonly now: () => Date = () => new Date(),
  ) {}

  add(message: DeadLetteredMessage): void {
    this.store.write(() => {
      this.store.db
        .prepare('INSERT INTO dead_letters (message_id, body, reason, receive_count, dead_lettered_at) VALUES (?, ?, ?, ?, ?)')
        .run(message.messageId, message.body, message.reason, message.receiveCount ?? null, this.now().toISOString());
    });
  }

  list(limit?: number): DeadLetteredMessage[] {
    const rows = this.store.db.prepare('SELECT * FROM dead_letters ORDER BY position LIMIT ?').all(limit ?? -1) as DeadLetterRow[];
    return rows.map(messageFromRow);
  }

  count(): number {
    return (this.store.db.prepare('SELECT count(*) AS n FROM dead_letters').get() as { n: number }).n;
  }

  takeAll(): DeadLetteredMessage[] {
    return this.store.write(() => {
      const rows = this.store.db.prepare('SELECT * FROM dead_letters ORDER BY position').all() as DeadLetterRow[];
      this.store.db.prepare('DELETE FROM dead_letters WHERE position <= ?').run(rows.at(-1)?.position ?? -1);
      return rows.map(messageFromRow);
    });
  }
}

function messageFromRow(row: DeadLetterRow): DeadLetteredMessage {
  return {
    messageId: row.message_id,
    body: row.body,
    reason: row.reason,
    ...(row.receive_count === null ? {} : { receiveCount: row.receive_count }),
  };
}
