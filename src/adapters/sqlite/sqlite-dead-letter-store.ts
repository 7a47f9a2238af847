import { hostname } from 'node:os';
import type { ClaimedDeadLetter, DeadLetterStore, DeadLetterWorkerSettings, StoredDeadLetter } from '../../application/ports/dead-letter-store.port.js';
import { peekChunkIdentity } from '../../domain/chunk.js';
import type { SqliteStore } from './sqlite-store.js';

interface DeadLetterRow {
  position: number;
  message_id: string;
  body: string;
  reason: string;
  receive_count: number | null;
  worker_settings: string | null;
  claimed_by: string | null;
  claimed_at: string | null;
}

/** A claim from another machine (a store on a shared disk) whose process cannot be asked is stale after this. */
const FOREIGN_CLAIM_MS = 60 * 60 * 1000;

/**
 * Dead letters in the store's `dead_letters` table, with their reason, whole message body, batch and the worker
 * settings they failed under. A redrive claims rows (`claimed_by` = host:pid) and deletes each when it settles; a
 * claim whose process is gone (same host) or that is an hour old (another host) is taken over by the next redrive.
 */
export class SqliteDeadLetterStore implements DeadLetterStore {
  private readonly owner = `${hostname()}:${process.pid}`;

  constructor(
    private readonly store: SqliteStore,
    private readonly now: () => Date = () => new Date(),
  ) {}

  add(message: StoredDeadLetter): void {
    this.store.write(() => {
      this.store.db
        .prepare(
          'INSERT INTO dead_letters (message_id, body, reason, receive_count, dead_lettered_at, batch_id, worker_settings) VALUES (?, ?, ?, ?, ?, ?, ?)',
        )
        .run(
          message.messageId,
          message.body,
          message.reason,
          message.receiveCount ?? null,
          this.now().toISOString(),
          peekChunkIdentity(message.body).batchId ?? null,
          message.workerSettings === undefined ? null : JSON.stringify(message.workerSettings),
        );
    });
  }

  list(limit?: number): StoredDeadLetter[] {
    return (this.free('SELECT *', 'ORDER BY position LIMIT ?', limit ?? -1) as DeadLetterRow[]).map(messageFromRow);
  }

  count(): number {
    return (this.free('SELECT count(*) AS n', '')[0] as { n: number }).n;
  }

  claim(): ClaimedDeadLetter[] {
    return this.store.write(() => {
      const rows = this.free('SELECT *', 'ORDER BY position') as DeadLetterRow[];
      const mark = this.store.db.prepare('UPDATE dead_letters SET claimed_by = ?, claimed_at = ? WHERE position = ?');
      const at = this.now().toISOString();
      for (const row of rows) mark.run(this.owner, at, row.position);
      return rows.map((row) => ({ ...messageFromRow(row), claim: row.position }));
    });
  }

  settle(claim: number): void {
    this.store.write(() => {
      this.store.db.prepare('DELETE FROM dead_letters WHERE position = ? AND claimed_by = ?').run(claim, this.owner);
    });
  }

  release(claims: readonly number[]): void {
    this.store.write(() => {
      const unmark = this.store.db.prepare('UPDATE dead_letters SET claimed_by = NULL, claimed_at = NULL WHERE position = ? AND claimed_by = ?');
      for (const claim of claims) unmark.run(claim, this.owner);
    });
  }

  /**
   * Runs `select ... FROM dead_letters WHERE <not held by a live redrive> rest`: letters that are unclaimed, or
   * claimed by a process that is gone (this process's own claims are held). Which claimants are alive is decided
   * once per distinct claimant, not per row, so no body is read for a letter that is not wanted.
   */
  private free(select: string, rest: string, ...parameters: unknown[]): unknown[] {
    const claimants = this.store.db.prepare('SELECT claimed_by, max(claimed_at) AS claimed_at FROM dead_letters WHERE claimed_by IS NOT NULL GROUP BY 1').all() as Array<
      Pick<DeadLetterRow, 'claimed_by' | 'claimed_at'>
    >;
    const held = claimants.filter((claimant) => this.isLive(claimant.claimed_by!, claimant.claimed_at)).map((claimant) => claimant.claimed_by);
    const where = `claimed_by IS NULL OR claimed_by NOT IN (${held.map(() => '?').join(', ')})`;
    return this.store.db.prepare(`${select} FROM dead_letters WHERE ${where} ${rest}`).all(...held, ...parameters);
  }

  /** A claim by this process, by a process of this host that still runs, or from another host within the hour. */
  private isLive(claimedBy: string, claimedAt: string | null): boolean {
    const separator = claimedBy.lastIndexOf(':');
    const host = claimedBy.slice(0, separator);
    const pid = Number(claimedBy.slice(separator + 1));
    if (host !== hostname()) return !(this.now().getTime() - Date.parse(claimedAt ?? '') > FOREIGN_CLAIM_MS);
    return pid === process.pid || isRunning(pid);
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function messageFromRow(row: DeadLetterRow): StoredDeadLetter {
  return {
    messageId: row.message_id,
    body: row.body,
    reason: row.reason,
    ...(row.receive_count === null ? {} : { receiveCount: row.receive_count }),
    ...(row.worker_settings === null ? {} : { workerSettings: JSON.parse(row.worker_settings) as DeadLetterWorkerSettings }),
  };
}
