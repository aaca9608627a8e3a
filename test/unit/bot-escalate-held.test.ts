// `escalate`, `unack` and friends on silenced, suppressed and acked alerts tell the truth, and
// move nothing that would later go out by surprise (fake clock, real SQLite, the bot's own core).
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BotCore } from "../../src/bot/bot-core.js";
import { FakeClock } from "../../src/clock/fake-clock.js";
import { Store } from "../../src/store/store.js";
import { RecordingChat, advanceCore, chatOnly, fakeClockCore } from "../helpers/fake-clock-core.js";
import { alert, pubsubOrigin, update } from "../helpers/updates.js";
import { testConfig } from "../helpers/test-config.js";

// alice first, bob after 30 minutes, nothing after that.
const config = testConfig(
  `people:
  - { name: alice, jid: alice@mauve.localhost }
  - { name: bob, jid: bob@mauve.localhost }
workgroups:
  - name: ops
    members: [alice, bob]
    escalation:
      normal: { steps: [{ after: 0m, notify: alice }, { after: 30m, notify: bob }], reminder: false }
rules:
  - { level: normal, workgroup: ops }
`,
);
const origin = pubsubOrigin();
const M = 60_000;

describe("escalate and unack on held alerts (BotCore, fake clock, real SQLite)", () => {
  let dir: string;
  let clock: FakeClock;
  let chat: RecordingChat;
  let store: Store;
  let core: BotCore;
  const say = async (line: string): Promise<string> =>
    (await core.handleChat("alice@mauve.localhost/phone", line)) ?? "";
  const raise = async (fields: Parameters<typeof alert>[1] = {}): Promise<void> => {
    await core.applyUpdate(update("web1", [alert("disk", { summary: "full", ...fields })]), origin);
    await core.idle();
  };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "mauve-esc-"));
    clock = new FakeClock();
    chat = new RecordingChat();
    store = Store.open(join(dir, "bot.sqlite"));
    core = fakeClockCore({ store, clock, policy: config, channels: chatOnly(chat) });
    await core.start();
  });
  afterEach(() => {
    core.stop();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("escalate on a silenced alert says so and moves nothing: unsilence sends no surprise escalation", async () => {
    await raise();
    assert.deepEqual(chat.take(), ["alice: RAISED #1 web1 disk: full"]);
    assert.match(await say("silence web1 for 2h because deploy"), /^Silence #1 /);
    const reply = await say("escalate 1");
    assert.equal(
      reply,
      '#1 web1 disk is silenced (silence 1 by alice: deploy) for 2h more, so nobody would be told now: I did not move its escalation on. To tell people anyway, end the silence ("silences" lists them) and escalate again.',
    );
    await core.idle();
    assert.deepEqual(chat.take(), []);
    await advanceCore(clock, core, 5 * M);
    assert.match(await say("unsilence 1"), /ended/i);
    await core.idle();
    assert.deepEqual(chat.take(), [], "no escalation by surprise when the silence ends");
    // The chain resumes where it paused (time held does not count): bob's step is 30 minutes away.
    await advanceCore(clock, core, 29 * M);
    assert.deepEqual(chat.take(), []);
    await advanceCore(clock, core, 2 * M);
    assert.deepEqual(chat.take(), ["bob: ESCALATED #1 web1 disk: full"]);
    // Now unheld, escalate tells the truth about the chain's end.
    assert.equal(
      await say("escalate 1"),
      "#1 web1 disk is already at the last step of its escalation: nobody is left to tell",
    );
  });

  it("escalate on an alert its sender holds back (suppress_until) says so", async () => {
    await raise({ suppressUntilS: Math.floor(clock.now() / 1000) + 600 });
    assert.deepEqual(chat.take(), []);
    assert.equal(
      await say("escalate 1"),
      "#1 web1 disk is held back by its sender (suppress_until) for 10m more, so nobody would be told now: I did not move its escalation on.",
    );
    await advanceCore(clock, core, 10 * M);
    assert.deepEqual(
      chat.take(),
      ["alice: RAISED #1 web1 disk: full"],
      "the first step, not the second, when the hold ends",
    );
  });

  it("escalate on an acked alert says the ack pauses it; unack then escalate brings in the next step", async () => {
    await raise();
    chat.take();
    assert.match(await say("ack 1 for 1h"), /acknowledged for 1h/);
    assert.equal(
      await say("escalate 1"),
      '#1 web1 disk is acknowledged by alice for 1h more, which pauses its escalation, so I did not move it on. To bring in its next step now, say "unack 1" and then "escalate 1".',
    );
    await core.idle();
    assert.deepEqual(chat.take(), []);
    assert.match(await say("unack 1"), /no longer acknowledged \(by alice\); its notifications resume$/);
    await core.idle();
    chat.take(); // the chain restarts from its first step
    assert.match(await say("escalate 1"), /^#1 web1 disk escalated by alice: telling bob$/);
  });

  it("unack on a silenced alert does not promise that notifications resume", async () => {
    await raise();
    chat.take();
    await say("ack 1 for 1h");
    await say("silence web1 for 2h because deploy");
    assert.equal(
      await say("unack 1"),
      "#1 web1 disk is no longer acknowledged (by alice), but it is silenced (silence 1 by alice: deploy) for 2h more: nothing is sent until then",
    );
    await core.idle();
    assert.deepEqual(chat.take(), []);
  });
});
