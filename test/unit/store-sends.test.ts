// The storm limit's view of a person's sends, counted by the store in SQL: it must agree with
// what the planner would make of every send of the log (test/helpers/sent-log.ts).
import assert from "node:assert/strict";
import type { SentSummary } from "../../src/policy/storm.js";
import type { StormConfig } from "../../src/policy/types.js";
import { Store } from "../../src/store/store.js";
import { mulberry32 } from "../fixtures/fault/fuzz-payloads.js";
import { summarise, type SentRecord } from "../helpers/sent-log.js";

const NOW = Date.UTC(2026, 0, 5, 10, 0);
const KINDS: ReadonlyArray<SentRecord["kind"]> = ["single", "digest", "quiet-digest"];

/** The summary as the dispatcher makes it from the store. */
function fromStore(store: Store, person: string, now: number, storm: StormConfig): SentSummary {
  const within = store.policy.sendsWithin(person, now - storm.limit.perMs, now, storm.limit.count);
  const lastQuiet = store.policy.lastSend(person, "quiet-digest");
  return { inWindow: within.count, oldestCountedAt: within.oldestAt, lastQuietAt: lastQuiet?.at ?? null };
}

describe("store: a person's sends as the storm limit counts them", () => {
  let store: Store;
  beforeEach(() => {
    store = Store.open(":memory:");
  });
  afterEach(() => store.close());

  it("agrees with the planner's reading of the whole log: edges, ties, sends ahead of now, other people", () => {
    const rand = mulberry32(17);
    const storm = (count: number, perMs: number): StormConfig => ({
      limit: { count, perMs },
      digestAfter: 3,
      digestTop: 3,
      quietDigestEveryMs: 3_600_000,
    });
    for (let round = 0; round < 40; round++) {
      store.close();
      store = Store.open(":memory:");
      const limit = storm(1 + Math.floor(rand() * 30), 1_000 * (1 + Math.floor(rand() * 600)));
      const log: SentRecord[] = [];
      const sends = Math.floor(rand() * 200);
      for (let i = 0; i < sends; i++) {
        const pick = rand();
        // On the window's edges and at now itself as often as anywhere, some ahead of now, ties.
        const at =
          pick < 0.1
            ? NOW - limit.limit.perMs
            : pick < 0.2
              ? NOW
              : pick < 0.3
                ? NOW + Math.floor(rand() * 5_000)
                : pick < 0.4 && log.length > 0
                  ? log[Math.floor(rand() * log.length)]!.at
                  : NOW - Math.floor(rand() * 3 * limit.limit.perMs);
        const kind = KINDS[Math.floor(rand() * (rand() < 0.2 ? 3 : 2))]!;
        log.push({ at, kind });
        store.policy.recordSend("alice", kind, at);
        if (rand() < 0.3) store.policy.recordSend("bob", KINDS[i % 3]!, at);
      }
      for (const now of [NOW, NOW - limit.limit.perMs, NOW + 2_000]) {
        assert.deepEqual(fromStore(store, "alice", now, limit), summarise(log, now, limit), `round ${round} at ${now}`);
      }
    }
  });

  it("counts up to the limit however many more are in the window", () => {
    for (let i = 0; i < 500; i++) store.policy.recordSend("alice", "single", NOW - i);
    assert.deepEqual(store.policy.sendsWithin("alice", NOW - 1_000, NOW, 5), { count: 5, oldestAt: NOW - 4 });
    assert.deepEqual(store.policy.sendsWithin("alice", NOW - 100, NOW, 10_000), { count: 100, oldestAt: NOW - 99 });
    assert.deepEqual(store.policy.sendsWithin("bob", NOW - 1_000, NOW, 5), { count: 0, oldestAt: null });
  });
});
