// The pubsub items AlertBot refused, by node, item id and a digest of what the item carried: an
// agent's node keeps its items and they are read again at every start and reconnection, where one
// refused before must not be told again; one published again under the same id is another item.
import { statementCache, type Db } from "./database.js";

/** Refused items remembered for one node, and no more (a node keeps its newest items only). */
export class RefusedItemStore {
  private readonly sql;

  constructor(db: Db) {
    this.sql = statementCache(db);
  }

  /**
   * Whether this item of this node, carrying what `digest` stands for, was refused before. The
   * digest is asked for only when the item's id was refused before: almost every item was not.
   */
  seen(node: string, itemId: string, digest: () => string): boolean {
    const rows = this.sql("SELECT digest FROM refused_items WHERE node = ? AND item_id = ?").all(
      node,
      itemId,
    ) as Array<{
      digest: string;
    }>;
    if (rows.length === 0) return false;
    const own = digest();
    return rows.some((r) => r.digest === own);
  }

  /**
   * Remembers an item as refused at `at`, keeping the node's newest `keepNewest` refused items: the
   * node itself keeps no more items than that, so an older one can no longer be read again.
   */
  remember(node: string, itemId: string, digest: string, at: number, keepNewest: number): void {
    if (keepNewest < 1) throw new RangeError(`keepNewest must be at least 1, got ${keepNewest}`);
    this.sql(
      "INSERT INTO refused_items (node, item_id, digest, refused_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
    ).run(node, itemId, digest, at);
    // The node's rows only, through the unique index: at most keepNewest + 1 of them.
    this.sql(
      `DELETE FROM refused_items WHERE node = @node AND rowid NOT IN (
         SELECT rowid FROM refused_items WHERE node = @node ORDER BY rowid DESC LIMIT @keep)`,
    ).run({ node, keep: keepNewest });
  }
}
