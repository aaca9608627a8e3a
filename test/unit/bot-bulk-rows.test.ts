// Bulk updates (issue 17): what the bot stores and says for a mix of 100-alert updates, new
// alerts, raises again, clears, text changes and two updates in one turn, pinned row for row.
// Recorded on the code before the bulk path wrote its rows a statement per update instead of a
// statement per alert: the rows, their numbers and their links must not move.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Alert } from "../../src/codec/types.js";
import { FakeClock } from "../../src/clock/fake-clock.js";
import { Store } from "../../src/store/store.js";
import { dumpTables } from "../helpers/db-dump.js";
import { RecordingChat, advanceCore, chatOnly, fakeClockCore } from "../helpers/fake-clock-core.js";
import { alert, update } from "../helpers/updates.js";
import { testConfig } from "../helpers/test-config.js";

const config = testConfig(
  `people:
  - { name: alice, jid: alice@mauve.localhost }
  - { name: bob, jid: bob@mauve.localhost }
workgroups:
  - name: ops
    members: [alice, bob]
rules:
  - { level: normal, workgroup: ops }
storm: { per_person_limit: 10000 per 1s }
`,
);

const raised = (id: string, summary = `summary of ${id}`): Alert =>
  alert(id, { raiseTimeS: 1, summary, subject: `host of ${id}`, importance: 60 });
const cleared = (id: string): Alert => alert(id, { clearTimeS: 1 });
const ids = (from: number, to: number): string[] => Array.from({ length: to - from }, (_, i) => `a${from + i}`);

/** Every row of every table and every chat line, as a hash and in a few readable figures. */
interface Outcome {
  hash: string;
  rows: Record<string, number>;
  chat: number;
}

async function runWorkload(): Promise<Outcome> {
  const dir = mkdtempSync(join(tmpdir(), "mauve-bulk-rows-"));
  const path = join(dir, "bot.sqlite");
  const store = Store.open(path);
  const clock = new FakeClock(Date.UTC(2026, 11, 6, 10));
  const chat = new RecordingChat();
  // bob is offline: his notices fail, and nobody marks that he heard.
  chat.failFor.add("bob@mauve.localhost");
  const core = fakeClockCore({ store, clock, policy: config, channels: chatOnly(chat) });
  let transmission = 1n;
  const apply = (source: string, alerts: Alert[]) =>
    core.applyUpdate(update(source, alerts, { transmissionId: transmission++ }), { via: "udp" });
  const lines: string[] = [];
  try {
    await core.start();
    // A fresh source's 100 alerts, then a small update told one by one.
    await apply(
      "bulk0",
      ids(0, 100).map((id) => raised(id)),
    );
    await apply("small", [raised("s0"), raised("s1")]);
    await advanceCore(clock, core, 1_000);
    // Half of them clear; then some raise again (some with new text), beside 80 new ones.
    await apply("bulk0", ids(0, 50).map(cleared));
    await advanceCore(clock, core, 1_000);
    await apply("bulk0", [
      ...ids(0, 10).map((id) => raised(id)),
      ...ids(10, 20).map((id) => raised(id, `new text of ${id}`)),
      ...ids(100, 180).map((id) => raised(id)),
    ]);
    // Two updates in one turn, of two sources; then two of one source in one turn.
    const turn = [
      apply(
        "bulk1",
        ids(0, 100).map((id) => raised(id)),
      ),
      apply(
        "bulk2",
        ids(0, 40).map((id) => raised(id)),
      ),
    ];
    await Promise.all(turn);
    await advanceCore(clock, core, 1_000);
    await Promise.all([
      apply(
        "bulk3",
        ids(0, 30).map((id) => raised(id)),
      ),
      apply("bulk3", ids(0, 10).map(cleared)),
    ]);
    // Time passes: reminders and escalations fall due.
    for (let i = 0; i < 6; i++) await advanceCore(clock, core, 10 * 60_000);
    await core.idle();
    lines.push(...chat.take());
  } finally {
    core.stop();
    store.close();
  }
  try {
    const tables = dumpTables(path);
    const hash = createHash("sha256").update(JSON.stringify({ tables, lines })).digest("hex");
    const rows = Object.fromEntries(Object.entries(tables).map(([name, r]) => [name, r.length]));
    return { hash, rows, chat: lines.length };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("BotCore: bulk updates store the same rows (fake clock)", () => {
  it("writes every row and sends every line as recorded", async () => {
    const outcome = await runWorkload();
    assert.deepEqual(
      { rows: outcome.rows, chat: outcome.chat },
      {
        rows: {
          alert_history: 1478,
          alerts: 352,
          bot_state: 0,
          deliveries: 1036,
          presence_approvals: 0,
          refused_items: 0,
          sends: 11,
          silences: 0,
          sources: 5,
          transmissions: 8,
        },
        chat: 9,
      },
    );
    assert.equal(outcome.hash, "48659a87021440ce0e9b30620b8e4d1ba6eb91298cc75a67c0fde1f47fae57e4");
  });
});
