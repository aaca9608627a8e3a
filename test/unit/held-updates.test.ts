// Updates the database refused, held in memory and applied in order once it takes writes again
// (src/ingest/held-updates.ts), on a fake clock.
import assert from "node:assert/strict";
import { FakeClock } from "../../src/clock/fake-clock.js";
import type { AlertUpdate } from "../../src/codec/types.js";
import { StorageUnavailableError } from "../../src/errors.js";
import { HeldUpdates, type HeldUpdatesLimits } from "../../src/ingest/held-updates.js";
import type { IngestOutcome } from "../../src/ingest/ingest-update.js";
import { LogLines } from "../helpers/spine.js";
import { alert, update } from "../helpers/updates.js";

const FULL = new StorageUnavailableError("database or disk is full (SQLITE_FULL)");
const LIMITS: HeldUpdatesLimits = { retryMs: 5_000, maxUpdates: 100, maxBytes: 1_000_000 };

/** Lets the promises of a drain settle (the fake clock runs the timer; the applies resolve after). */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe("updates held while the database cannot be written", () => {
  let clock: FakeClock;
  let log: LogLines;
  let down: boolean;
  let broken: Set<string>;
  let tries: number;
  let applied: string[];
  let outcomes: string[];
  let errors: string[];
  let held: HeldUpdates;

  const u = (n: number): AlertUpdate => update(`web${n}`, [alert(`a${n}`)], { transmissionId: BigInt(n) });
  const make = (limits: HeldUpdatesLimits = LIMITS): HeldUpdates =>
    new HeldUpdates(
      {
        apply: async (x) => {
          tries++;
          if (down) throw FULL;
          if (broken.has(x.source)) throw new Error(`a bug applying ${x.source}`);
          applied.push(x.source);
          return { status: "applied", changes: [] } satisfies IngestOutcome;
        },
        onOutcome: (x, o) => outcomes.push(`${x.source} ${o.status}`),
        onError: (x, err) => errors.push(`${x.source}: ${(err as Error).message}`),
        clock,
        log: log.logger,
        what: "UDP updates",
      },
      limits,
    );
  const passTime = async (ms: number): Promise<void> => {
    clock.advance(ms);
    for (let i = 0; i < 5; i++) await settle();
  };

  beforeEach(() => {
    clock = new FakeClock();
    log = new LogLines();
    down = true;
    broken = new Set();
    tries = 0;
    applied = [];
    outcomes = [];
    errors = [];
    held = make();
  });
  afterEach(() => held.close());

  it("holds what the database refused and all that comes after, and applies them in order once it takes writes", async () => {
    held.hold(u(1), 100, FULL);
    held.hold(u(2), 100);
    held.hold(u(3), 100);
    assert.equal(held.holding, true);
    assert.equal(held.size, 3);
    const [warned] = log.withMsg("AlertBot cannot write its database: UDP updates are held in memory until it can");
    assert.equal(warned?.["reason"], "database or disk is full (SQLITE_FULL)");
    await passTime(4_999);
    assert.equal(tries, 0, "not tried before retryMs");
    await passTime(1);
    assert.equal(tries, 3, "tried, the oldest first, and still refused");
    assert.equal(held.size, 3);
    held.hold(u(4), 100);
    down = false;
    await passTime(5_000);
    assert.deepEqual(applied, ["web1", "web2", "web3", "web4"]);
    assert.deepEqual(outcomes, ["web1 applied", "web2 applied", "web3 applied", "web4 applied"]);
    assert.equal(held.holding, false);
    const [over] = log.withMsg("the database takes writes again: the UDP updates held are applied");
    assert.deepEqual([over?.["held"], over?.["applied"], over?.["lost"]], [4, 4, 0]);
    await passTime(60_000);
    assert.equal(tries, 7, "nothing tried once all went in");
  });

  it("drops the oldest past its limits, by count and by bytes, and says so when the database is back", async () => {
    held = make({ retryMs: 1_000, maxUpdates: 3, maxBytes: 1_000_000 });
    for (let n = 1; n <= 5; n++) held.hold(u(n), 10, n === 1 ? FULL : undefined);
    assert.deepEqual([held.size, held.lost], [3, 2]);
    down = false;
    await passTime(1_000);
    assert.deepEqual(applied, ["web3", "web4", "web5"], "the newest kept");
    const [over] = log.withMsg(
      "the database takes writes again: the UDP updates held are applied, but the oldest were dropped past the limit",
    );
    assert.deepEqual([over?.["held"], over?.["applied"], over?.["lost"]], [5, 3, 2]);

    held.close();
    held = make({ retryMs: 1_000, maxUpdates: 100, maxBytes: 250 });
    down = true;
    for (let n = 6; n <= 9; n++) held.hold(u(n), 100, FULL);
    assert.deepEqual([held.size, held.lost], [2, 2], "250 bytes hold two of 100");
  });

  it("never drops an update being applied, and keeps what came meanwhile behind it", async () => {
    held = make({ retryMs: 1_000, maxUpdates: 2, maxBytes: 1_000_000 });
    held.hold(u(1), 10, FULL);
    held.hold(u(2), 10);
    down = false;
    clock.advance(1_000); // the drain starts: 1 and 2 are being applied
    held.hold(u(3), 10);
    for (let i = 0; i < 5; i++) await settle();
    assert.deepEqual(applied, ["web1", "web2", "web3"]);
    assert.equal(held.lost, 0);
  });

  it("does not hold an update that fails for another reason than the database", async () => {
    held.hold(u(1), 10, FULL);
    held.hold(u(2), 10);
    held.hold(u(3), 10);
    broken.add("web2");
    down = false;
    await passTime(5_000);
    assert.deepEqual(applied, ["web1", "web3"]);
    assert.deepEqual(errors, ["web2: a bug applying web2"]);
    assert.equal(held.holding, false);
  });

  it("says, when stopped, how many it held are lost", () => {
    held.hold(u(1), 10, FULL);
    held.hold(u(2), 10);
    assert.equal(held.close(), 2);
    const [line] = log.withMsg("stopping with UDP updates held that the database never took: they are lost");
    assert.equal(line?.["count"], 2);
    held.hold(u(3), 10);
    assert.equal(held.size, 0, "nothing held once stopped");
  });
});
