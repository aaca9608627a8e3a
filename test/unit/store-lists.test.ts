// Lists at scale: 100,000 alerts in a real SQLite file, listed by the store and by `show`,
// `show all`, `show acked`, `show silenced` and `silences`. Nothing may be dropped or miscounted.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AlertRecord, AlertState } from "../../src/alerts/types.js";
import { commandAlerts, commandSilences } from "../../src/bot/command-alerts.js";
import { recognisePerson } from "../../src/commands/authorise.js";
import { runCommand } from "../../src/commands/run.js";
import type { CommandContext } from "../../src/commands/types.js";
import { createLogger } from "../../src/log.js";
import type { Policy } from "../../src/policy/types.js";
import type { PolicyInputs } from "../../src/bot/evaluate-alert.js";
import { Store } from "../../src/store/store.js";

const T0 = Date.UTC(2026, 0, 5, 9, 0, 0);
const H = 3_600_000;
const TOTAL = 100_000;
// Raised alerts, of every kind; everything else is cleared but more important, which is what
// pushed raised ones out when the store cut at 1,000 rows before sorting raised first.
const RAISED = 1_000;
const LIVE_ACKS = 300;
const EXPIRED_ACKS = 100;
const SILENCED = 50;

function state(i: number): AlertState {
  const raised = i >= TOTAL - RAISED;
  const r = i - (TOTAL - RAISED); // 0 .. RAISED-1 among raised
  const ack =
    raised && r < LIVE_ACKS
      ? { by: "bob", at: T0 - H, until: T0 + H, note: "" }
      : raised && r < LIVE_ACKS + EXPIRED_ACKS
        ? { by: "bob", at: T0 - 2 * H, until: T0 - 1, note: "" }
        : null;
  return {
    source: raised && r >= RAISED - SILENCED ? `quiet${r}` : `web${i % 500}`,
    alertId: `a${i}`,
    status: raised ? "raised" : "cleared",
    subject: "",
    summary: `alert ${i}`,
    detail: "",
    importance: raised ? 10 + (r % 50) : 90,
    raisedAt: raised ? T0 - (r + 1) * 60_000 : null,
    clearedAt: raised ? null : T0 - 1,
    scheduledRaiseAt: null,
    scheduledClearAt: null,
    suppressUntil: null,
    ack,
    policyDueAt: null,
    updatedAt: T0,
  };
}

describe("lists of 100,000 alerts (real SQLite file)", function () {
  this.timeout(300_000);
  let dir: string;
  let store: Store;
  let ctx: CommandContext;
  const say = async (text: string): Promise<string> => (await runCommand(text, ctx)).reply;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "mauve-lists-"));
    store = Store.open(join(dir, "bot.sqlite"));
    store.transaction(() => {
      for (let i = 0; i < TOTAL; i++) store.alerts.save(state(i));
    });
    store.policy.addSilence({ source: ["quiet*"] }, T0 + H, "carol", "maintenance", T0);
    const person = recognisePerson([{ name: "alice", jid: "alice@mauve.localhost" }], "alice@mauve.localhost/phone");
    assert.ok(person);
    const log = createLogger({ level: "error", sink: () => {} });
    // `show` and `silences` need no policy: only `escalate` would reach it.
    const alerts = commandAlerts({
      store,
      policy: undefined as unknown as Policy,
      inputs: undefined as unknown as PolicyInputs,
      log,
    });
    ctx = { person, now: T0, ackDefaultMs: H, ackMaxMs: 24 * H, alerts, silences: commandSilences(store) };
  });
  after(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const urgencyKey = (a: AlertRecord): [number, number, number, number] => [
    a.status === "cleared" ? 1 : 0,
    -a.importance,
    a.raisedAt ?? Infinity,
    a.shortId,
  ];
  const inOrder = (list: readonly AlertRecord[]): boolean =>
    list.every((a, i) => {
      if (i === 0) return true;
      const [x, y] = [urgencyKey(list[i - 1]!), urgencyKey(a)];
      for (let k = 0; k < 4; k++) if (x[k] !== y[k]) return x[k]! < y[k]!;
      return false;
    });

  it("store: counts every alert and puts raised ones first, however many are cleared", () => {
    const all = store.alerts.page("all", 30);
    assert.equal(all.total, TOTAL);
    assert.equal(all.alerts.length, 30);
    assert.ok(
      all.alerts.every((a) => a.status === "raised"),
      "raised first",
    );
    assert.equal(all.alerts[0]?.importance, 59);
    assert.ok(inOrder(all.alerts));
    assert.equal(store.alerts.page("raised", 30).total, RAISED);
    assert.equal(store.alerts.page("acked", 30, 0, T0).total, LIVE_ACKS, "live acks only when now is given");
    assert.equal(store.alerts.page("acked", 30).total, LIVE_ACKS + EXPIRED_ACKS);
    assert.equal(store.alerts.list("all").length, TOTAL, "no cap");
  });

  it("store: pages cover every alert once, in order, at any page size", () => {
    for (const size of [7_919, 25_000]) {
      const seen = new Set<number>();
      let previous: AlertRecord | undefined;
      for (let offset = 0; offset < TOTAL; offset += size) {
        const page = store.alerts.page("all", size, offset);
        assert.equal(page.total, TOTAL);
        const run = previous ? [previous, ...page.alerts] : page.alerts;
        assert.ok(inOrder(run), `page at ${offset} of ${size} in order`);
        for (const a of page.alerts) seen.add(a.shortId);
        previous = page.alerts.at(-1);
      }
      assert.equal(seen.size, TOTAL, `pages of ${size}`);
    }
    let n = 0;
    for (const _ of store.alerts.each("raised")) n++;
    assert.equal(n, RAISED);
  });

  it("show and show all: the most urgent raised alerts first, and the right count of the rest", async () => {
    const raised = (await say("show")).split("\n");
    assert.equal(raised.length, 31);
    assert.ok(
      raised.at(-1)!.startsWith(`…and ${RAISED - 30} more (${RAISED} in all): say "show 100" for`),
      raised.at(-1),
    );
    assert.match(raised[0]!, /^#\d+ \[importance 59\] \S+ \S+: alert \d+ \(raised/);
    const all = (await say("show all 100")).split("\n");
    assert.equal(all.length, 101);
    assert.ok(all.at(-1)!.startsWith(`…and ${TOTAL - 100} more (${TOTAL} in all): chat lists 100 at most`), all.at(-1));
    assert.ok(
      all.slice(0, 100).every((l) => / \(raised /.test(l)),
      "no cleared alert above a raised one",
    );
  });

  it("show graded by the policy's levels (as the bot runs it) still counts every alert, most urgent level first", async () => {
    // A rule that makes the alerts of one source urgent whatever their importance.
    const graded: CommandContext = {
      ...ctx,
      gradeOf: (a) => ({ level: a.source.endsWith("7") ? "urgent" : "normal", workgroup: "ops" }),
    };
    const raised = (await runCommand("show", graded)).reply.split("\n");
    assert.equal(raised.length, 31);
    assert.ok(raised.at(-1)!.startsWith(`…and ${RAISED - 30} more (${RAISED} in all): `), raised.at(-1));
    assert.ok(
      raised.slice(0, 30).every((l) => l.includes("[urgent, importance")),
      raised.slice(0, 3).join("\n"),
    );
    const all = (await runCommand("show all 100", graded)).reply.split("\n");
    assert.ok(all.at(-1)!.startsWith(`…and ${TOTAL - 100} more (${TOTAL} in all): `), all.at(-1));
  });

  it("show acked and show silenced count every match", async () => {
    assert.ok(
      (await say("show acked"))
        .split("\n")
        .at(-1)!
        .startsWith(`…and ${LIVE_ACKS - 30} more (${LIVE_ACKS} in all): say "show acked 100" `),
    );
    const silenced = (await say("show silenced 10")).split("\n");
    assert.ok(silenced.at(-1)!.startsWith(`…and ${SILENCED - 10} more (${SILENCED} in all): say "show silenced 100" `));
    assert.ok(
      silenced.slice(0, 10).every((l) => /quiet\d+ a\d+: .* silenced for 1h more\)$/.test(l)),
      silenced.join("\n"),
    );
    // The 10 most important of the silenced ones, as show sorts them.
    const ids = silenced.slice(0, 10).map((l) => Number(/^#(\d+)/.exec(l)![1]));
    const want = [...store.alerts.each("raised")]
      .filter((a) => a.source.startsWith("quiet"))
      .slice(0, 10)
      .map((a) => a.shortId);
    assert.deepEqual(ids, want);
    assert.match(await say("silences"), /maintenance \(mutes 50 raised\)$/);
  });
});
