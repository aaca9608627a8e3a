// The standby's side of the replica log (src/bot/replica-log.ts): batches applied once and in
// order; one that cannot be applied leaves the file needing a snapshot, said, not a catch-up that
// fails again at every try with the file never seen to be behind.
import assert from "node:assert/strict";
import { ReplicaFollower, REPLICA_NODE } from "../../src/bot/replica-log.js";
import { FakeClock } from "../../src/clock/fake-clock.js";
import { Store } from "../../src/store/store.js";
import { NS_MAUVE_REPLICA } from "../../src/xmpp/namespaces.js";
import type { Pubsub, PubsubItem } from "../../src/xmpp/pubsub.js";
import { LogLines } from "../helpers/spine.js";

describe("replica log: the standby's follower", () => {
  it("a batch that cannot be applied leaves the file behind, needing a snapshot, and says so", async () => {
    const active = Store.open(":memory:", { replicated: true });
    const standby = Store.open(":memory:", { replicated: true });
    try {
      active.replica!.startCapture(() => undefined);
      active.transaction(() => active.policy.setBotState("k", "1"));
      const good = active.replica!.take(100)!;
      const batch = (seq: number, text: string): PubsubItem => ({
        itemId: String(seq),
        unknownPayload: `{${NS_MAUVE_REPLICA}}batch`,
        text,
      });
      const items = [batch(1, "eJzLSM3JyQcABiwCFQ=="), batch(2, good.data)];
      const pubsub = {
        getItems: async (_service: string, node: string) => {
          assert.equal(node, REPLICA_NODE);
          return { ok: true, items };
        },
      } as unknown as Pubsub;
      const log = new LogLines();
      const follower = new ReplicaFollower({
        pubsub,
        service: "pubsub.x.org",
        journal: standby.replica!,
        clock: new FakeClock(),
        log: log.logger,
      });
      await follower.catchUp();
      assert.deepEqual(follower.state(), { seq: 0, gap: true }, "behind the log: the takeover path sees it");
      assert.equal(
        log.withMsg("replica log: a batch cannot be applied; this file needs a snapshot of the active's")[0]?.["seq"],
        1,
      );
    } finally {
      active.close();
      standby.close();
    }
  });
});
