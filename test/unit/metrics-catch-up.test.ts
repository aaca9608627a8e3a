// /metrics shows live events held back for a catch-up, and nodes waiting for theirs: a node whose
// retained items cannot be read holds its agent's events back for up to 10 minutes, and an admin
// can alert on that rather than learn of it from the log.
import assert from "node:assert/strict";
import { LiveEventGate } from "../../src/bot/live-event-gate.js";
import { catchUpGauges, storeGauges } from "../../src/bot/metrics-gauges.js";
import { FakeClock } from "../../src/clock/fake-clock.js";
import { PromMetrics } from "../../src/http/metrics.js";
import { Store } from "../../src/store/store.js";
import { parseMetrics, sum } from "../helpers/metrics.js";

describe("metrics: the catch-up", () => {
  it("counts held events, waiting nodes and the longest wait, as the gate holds and lets go", async () => {
    const clock = new FakeClock(1_000_000);
    const store = Store.open(":memory:");
    try {
      const applied: string[] = [];
      const gate = new LiveEventGate<string>(
        (item) => {
          applied.push(item);
          return Promise.resolve();
        },
        (err) => assert.fail(String(err)),
        (item) => item.split(" ")[0]!,
      );
      const metrics = new PromMetrics({
        ...storeGauges(store, clock),
        ...catchUpGauges(() => gate, clock),
        databaseWritable: () => true,
        configRefused: () => false,
        udp: () => ({ held: 0, dropped: 0 }),
      });
      const read = async () => {
        const samples = parseMetrics(await metrics.registry.metrics());
        return [
          sum(samples, "mauve_catch_up_held_events"),
          sum(samples, "mauve_catch_up_waiting_nodes"),
          sum(samples, "mauve_catch_up_oldest_wait_seconds"),
        ];
      };
      assert.deepEqual(await read(), [0, 0, 0]);

      gate.hold();
      for (const item of ["web1 1", "db1 1", "web1 2"]) await gate.offer(item);
      assert.deepEqual(await read(), [3, 0, 0], "held during a resync's listing");

      gate.keep("web1", clock.now()); // web1 could not be read: kept for a later pass
      gate.keep("db2", clock.now() + 30_000);
      await gate.release();
      assert.deepEqual(applied, ["db1 1"]);
      clock.advance(90_000);
      assert.deepEqual(await read(), [2, 2, 90], "web1's two events wait, for 90 s");

      assert.deepEqual(gate.take("web1"), ["web1 1", "web1 2"]);
      await gate.unkeep("web1");
      await gate.unkeep("db2");
      assert.deepEqual(await read(), [0, 0, 0]);
    } finally {
      store.close();
    }
  });
});
