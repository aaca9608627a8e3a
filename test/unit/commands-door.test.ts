// CommandRunner as the one door for commands: chat lines, room lines and XEP-0050 forms all meet
// the same rate limit, length limit, person check, log line and metrics.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BotCore } from "../../src/bot/bot-core.js";
import { MAX_COMMAND_CHARS } from "../../src/bot/command-runner.js";
import { FakeClock } from "../../src/clock/fake-clock.js";
import { ACK_FORM, SILENCE_FORM, type FormValues } from "../../src/commands/adhoc-forms.js";
import type { BotMetrics } from "../../src/http/metrics.js";
import { createLogger } from "../../src/log.js";
import { Store } from "../../src/store/store.js";
import { alert, pubsubOrigin, update } from "../helpers/updates.js";
import { RecordingChat, chatOnly, fakeClockCore } from "../helpers/fake-clock-core.js";
import { testConfig } from "../helpers/test-config.js";

const config = testConfig(
  `people:
  - { name: alice, jid: alice@mauve.localhost }
  - { name: bob, jid: bob@mauve.localhost }
`,
);
const ALICE = "alice@mauve.localhost/phone";
const form = (values: Record<string, string | string[]>): FormValues =>
  new Map(Object.entries(values).map(([k, v]) => [k, typeof v === "string" ? [v] : v]));

describe("commands: the one door (chat, rooms, forms)", () => {
  let dir: string;
  let store: Store;
  let core: BotCore;
  let logs: Array<Record<string, unknown>>;
  let counted: Array<[string, string]>;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "mauve-door-"));
    store = Store.open(join(dir, "bot.sqlite"));
    logs = [];
    counted = [];
    // Every other counter is a no-op: only commands are looked at here.
    const metrics = new Proxy(
      { commandRun: (c: string, o: string) => void counted.push([c, o]) },
      {
        get: (target, key) => (key in target ? (target as Record<string | symbol, unknown>)[key] : () => undefined),
      },
    ) as BotMetrics;
    core = fakeClockCore({
      store,
      clock: new FakeClock(),
      policy: config,
      channels: chatOnly(new RecordingChat()),
      log: createLogger({ level: "info", sink: (line) => void logs.push(JSON.parse(line) as Record<string, unknown>) }),
      metrics,
    });
    await core.start();
    await core.applyUpdate(update("web1", [alert("disk-full", { raiseTimeS: 1 })]), pubsubOrigin());
    await core.idle();
  });
  afterEach(() => {
    core.stop();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("runs a form through the rate limit: over it, the form ends with the refusal and nothing changes", async () => {
    for (let i = 0; i < 10; i++) await core.commands.run(ALICE, "help");
    const result = await core.commands.runForm(ACK_FORM, form({ ids: "1", duration: "2h", note: "x" }), ALICE);
    assert.ok(!result.ok && "final" in result && result.final, JSON.stringify(result));
    assert.match(result.text, /Slow down/);
    assert.equal(store.alerts.get(1)?.ack ?? null, null);
    assert.ok(logs.some((l) => l["msg"] === "commands rate-limited" && l["via"] === "form"));
  });

  it("logs and counts a form's command like a chat command", async () => {
    const result = await core.commands.runForm(SILENCE_FORM, form({ matcher: "web1", duration: "30m" }), ALICE);
    assert.ok(result.ok, JSON.stringify(result));
    assert.ok(logs.some((l) => l["msg"] === "command" && l["via"] === "form" && l["command"] === "silence"));
    assert.deepEqual(counted.at(-1), ["silence", "ok"]);
    await core.commands.runForm(SILENCE_FORM, form({ matcher: "colour=red", duration: "30m" }), ALICE);
    assert.deepEqual(counted.at(-1), ["silence", "unparsed"]);
  });

  it("refuses a form whose values together are longer than a command may be", async () => {
    const note = "n".repeat(MAX_COMMAND_CHARS);
    const result = await core.commands.runForm(ACK_FORM, form({ ids: "1", note }), ALICE);
    assert.ok(!result.ok && "final" in result, JSON.stringify(result).slice(0, 200));
    assert.match(result.text, /characters long/);
    assert.equal(store.alerts.get(1)?.ack ?? null, null);
  });

  it("refuses a form's note longer than a note may be, and a text-single field with two values", async () => {
    const long = await core.commands.runForm(ACK_FORM, form({ ids: "1", note: "n".repeat(1_001) }), ALICE);
    assert.ok(!long.ok);
    assert.match(long.text, /That note is 1001 characters; keep it under 1000/);
    const twice = await core.commands.runForm(ACK_FORM, form({ ids: "1", duration: ["2h", "1h"] }), ALICE);
    assert.ok(!twice.ok);
    assert.equal(twice.text, '"For how long" takes one value; 2 were sent.');
    const silence = await core.commands.runForm(
      SILENCE_FORM,
      form({ matcher: "web1", duration: "1h", note: "n".repeat(1_001) }),
      ALICE,
    );
    assert.ok(!silence.ok);
    assert.match(silence.text, /That note is 1001 characters/);
    assert.equal(store.alerts.get(1)?.ack ?? null, null);
  });

  it("refuses a line too long for a command whatever it comes through, without echoing it", async () => {
    const { reply, outcome } = await core.commands.run(ALICE, "z".repeat(100_000));
    assert.equal(outcome, null);
    assert.ok(reply !== null && reply.length < 200, reply ?? "");
    assert.match(reply, /100000 characters long/);
    const board = await core.commands.runFromBoard("alice@mauve.localhost", `ack 1 because ${"x".repeat(3_000)}`);
    assert.ok(!board.ok);
    assert.match(board.reply, /characters long/);
  });

  it("answers nothing to a line with nothing visible in it, invisible characters included", async () => {
    for (const body of ["", "   ", "\n\t", "\u200b", "\u2060 \ufeff", " \u200b\u200c "])
      assert.deepEqual(await core.commands.run(ALICE, body), { reply: null, outcome: null }, JSON.stringify(body));
  });

  it("declines a room occupant's line with one bucket per occupant, not one for the whole room", async () => {
    const text = "message me directly";
    for (let i = 0; i < 10; i++) assert.equal(core.commands.decline("ops@rooms.x/mallory", "show", text), text);
    assert.match(core.commands.decline("ops@rooms.x/mallory", "show", text) ?? "", /Slow down/);
    assert.equal(core.commands.decline("ops@rooms.x/mallory", "show", text), null, "said once");
    assert.equal(core.commands.decline("ops@rooms.x/carol", "show", text), text, "another occupant is not held back");
  });
});
