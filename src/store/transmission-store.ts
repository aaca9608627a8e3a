import { statementCache, type Db } from "./database.js";

/**
 * Transmission ids already applied, so an update that arrives twice (retries, several paths,
 * a replay after a restart) applies once. Unlike Mauve's in-memory cache this survives a restart.
 */
export class TransmissionStore {
  private readonly sql;

  constructor(db: Db) {
    this.sql = statementCache(db);
  }

  /** True when this transmission was applied before. */
  seen(transmissionId: bigint): boolean {
    return this.sql("SELECT 1 FROM transmissions WHERE transmission_id = ?").get(transmissionId.toString()) !== undefined;
  }

  /** Remembers a transmission as applied. */
  remember(transmissionId: bigint, source: string, at: number): void {
    this.sql("INSERT OR IGNORE INTO transmissions (transmission_id, source, received_at) VALUES (?, ?, ?)").run(transmissionId.toString(), source, at);
  }

  /** Forgets transmissions older than `before`; returns how many. */
  prune(before: number): number {
    return this.sql("DELETE FROM transmissions WHERE received_at < ?").run(before).changes;
  }
}
