// Chat replies as a person's own client receives them from a real AlertBot on a real Prosody:
// their order, and the words of replies that used to mislead.
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import type { RunningAgent } from "../../src/agent/run-agent.js";
import type { RunningBot } from "../../src/bot/run-bot.js";
import { withProsody } from "../helpers/prosody.js";
import { LogLines, PersonClient, startAgent, startBot, tempDir } from "../helpers/spine.js";
import { waitFor } from "../helpers/wait-for.js";

describe("chat replies, as a person's client receives them", function () {
  this.timeout(60_000);
  const server = withProsody();
  let dir: string;
  let bot: RunningBot | undefined;
  let agent: RunningAgent | undefined;
  let alice: PersonClient;
  let id: number;
  const botJid = (): string => server().prosody.botJid;

  before(async () => {
    dir = tempDir("mauve-replies-");
    const t = server();
    alice = await PersonClient.login(t, "alice");
    bot = await startBot(t, dir, ["alice"], new LogLines().logger);
    agent = await startAgent(
      t,
      dir,
      "web1",
      "  - { id: disk-full, summary: Disk full, state: raised }",
      new LogLines().logger,
    );
    id = Number(/#(\d+)/.exec(await alice.expect(/^RAISED #\d+ web1 disk-full/))![1]);
  });

  after(async () => {
    await agent?.stop();
    await bot?.stop();
    await alice?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("unack: the confirmation comes before the re-sent RAISED notice", async () => {
    await alice.say(botJid(), `ack ${id}`);
    await alice.expect(/acknowledged/);
    alice.inbox.length = 0;
    await alice.say(botJid(), `unack ${id}`);
    await waitFor("the re-sent notice", () => alice.inbox.some((m) => /^RAISED #\d+ web1 disk-full/.test(m.body)));
    const bodies = alice.inbox.map((m) => m.body);
    assert.doesNotMatch(bodies[0]!, /^RAISED/, `first came: ${bodies.join(" | ")}`);
    assert.match(bodies[0]!, new RegExp(`#${id}`));
  });

  it("ack for N working hours with no working hours configured says so, and what to write instead", async () => {
    await alice.say(botJid(), `ack ${id} for 4 working hours`);
    const reply = await alice.expect(/working hours/);
    assert.match(reply, /No working hours are configured/);
    assert.match(reply, /"for 4h"/);
    assert.equal(bot!.store.alerts.get(id)?.ack, null);
  });

  it("one meaning of urgent: show and detail name the level the policy gave (as the notices do) and the importance as a number", async () => {
    agent!.change([{ id: "load", state: "raised", summary: "Load high", importance: 90 }]);
    const notice = await alice.expect(/^RAISED #\d+ web1 load/);
    const loadId = Number(/#(\d+)/.exec(notice)![1]);
    // The notice names the level its escalation runs at: "step 1 of <workgroup>/<level>".
    const [, workgroup, level] =
      /step \d+ of (\w+)\/(\w+)/.exec(notice) ?? assert.fail(`no level in the notice: ${notice}`);
    assert.equal(level, "normal", "no rule makes it urgent: importance 90 alone does not");
    await alice.say(botJid(), "show");
    const shown = await alice.expect(new RegExp(`#${loadId} \\[`));
    assert.match(shown, new RegExp(`#${loadId} \\[${level}, importance 90\\] web1 load: Load high`));
    assert.doesNotMatch(shown, /urgent/);
    await alice.say(botJid(), `detail ${loadId}`);
    const detail = await alice.expect(/Level:/);
    assert.match(detail, new RegExp(`Level: ${level} \\(workgroup ${workgroup}\\)`));
    assert.match(detail, /\nImportance: 90\n/);
    // web1 sent no subject: detail shows no source as a subject.
    assert.doesNotMatch(detail, /Subject/);
  });

  it("rate limit: lists the commands it did not run once the limit frees, so a dropped escalate is not lost", async () => {
    for (let i = 0; i < 20; i++) await alice.say(botJid(), "oncall");
    await alice.say(botJid(), "escalate 99");
    const refusal = await alice.expect(/Slow down/);
    assert.match(refusal, /tell you then which commands/);
    const listed = await alice.expect(/did not run/);
    assert.match(listed, /"oncall"/);
    // The last line sent is in this list or, on a slow machine, the next one.
    const all = listed + alice.inbox.map((m) => m.body).join("\n");
    if (!/"escalate 99"/.test(all)) assert.match(await alice.expect(/did not run.*"escalate 99"/), /escalate 99/);
  });
});
