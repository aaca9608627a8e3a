// Times as each person reads them, from a real AlertBot on a real Prosody: a person in Tokyo reads
// Tokyo time in notices, `detail` and `history`, with the zone named; a person without a zone of
// their own reads their workgroup's.
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import type { RunningAgent } from "../../src/agent/run-agent.js";
import type { RunningBot } from "../../src/bot/run-bot.js";
import { withProsody } from "../helpers/prosody.js";
import { LogLines, PersonClient, startAgent, startBot, tempDir } from "../helpers/spine.js";

/** `at` on the wall clock of `zone`, as "YYYY-MM-DD HH:MM", computed independently of src/. */
function wallClock(at: number, zone: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-CA", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
    })
      .formatToParts(at)
      .map((p) => [p.type, p.value]),
  );
  return `${parts["year"]}-${parts["month"]}-${parts["day"]} ${parts["hour"]}:${parts["minute"]}`;
}

describe("times in each person's own zone", function () {
  this.timeout(60_000);
  const server = withProsody();
  let dir: string;
  let bot: RunningBot | undefined;
  let agent: RunningAgent | undefined;
  let kenji: PersonClient;
  let greta: PersonClient;
  let id: number;
  let raisedAt: number;
  let tokyoNotice: string;
  let berlinNotice: string;

  before(async () => {
    dir = tempDir("mauve-zones-");
    const t = server();
    kenji = await PersonClient.login(t, "kenji");
    greta = await PersonClient.login(t, "greta");
    const d = t.prosody.domain;
    bot = await startBot(t, dir, [], new LogLines().logger, {
      peopleYaml: `  - name: kenji\n    jid: kenji@${d}\n    timezone: Asia/Tokyo\n  - name: greta\n    jid: greta@${d}`,
      extraYaml: `
workgroups:
  - name: ops
    timezone: Europe/Berlin
    members: [kenji, greta]
    escalation:
      normal: { steps: [{ after: 0m, notify: all }], reminder: false }
rules:
  - { level: normal, workgroup: ops }
`,
    });
    agent = await startAgent(
      t,
      dir,
      "web1",
      "  - { id: disk-full, summary: Disk full, state: raised }",
      new LogLines().logger,
    );
    tokyoNotice = await kenji.expect(/^RAISED #\d+ web1 disk-full/);
    berlinNotice = await greta.expect(/^RAISED #\d+ web1 disk-full/);
    id = Number(/#(\d+)/.exec(tokyoNotice)![1]);
    raisedAt = bot.store.alerts.get(id)!.raisedAt!;
  });

  after(async () => {
    await agent?.stop();
    await bot?.stop();
    await kenji?.stop();
    await greta?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("a notice shows the raise time in the reader's zone, named", () => {
    assert.match(tokyoNotice, new RegExp(`Raised: ${wallClock(raisedAt, "Asia/Tokyo")} Asia/Tokyo`));
    assert.doesNotMatch(tokyoNotice, /UTC/);
  });

  it("someone without a zone of their own reads their workgroup's", () => {
    assert.match(berlinNotice, new RegExp(`Raised: ${wallClock(raisedAt, "Europe/Berlin")} Europe/Berlin`));
  });

  it("detail and history are in the reader's zone too, with ages beside", async () => {
    await kenji.say(server().prosody.botJid, `ack ${id} for 2h`);
    await kenji.expect(/acknowledged/);
    const ackUntil = bot!.store.alerts.get(id)!.ack!.until;
    await kenji.say(server().prosody.botJid, `detail ${id}`);
    const detail = await kenji.expect(/Raised:/);
    assert.match(detail, new RegExp(`Raised: ${wallClock(raisedAt, "Asia/Tokyo")} Asia/Tokyo`));
    assert.match(detail, new RegExp(`Acked until: ${wallClock(ackUntil, "Asia/Tokyo")} Asia/Tokyo`));
    await kenji.say(server().prosody.botJid, `history ${id}`);
    const history = await kenji.expect(/^History of/);
    assert.match(history, /times in Asia\/Tokyo/);
    assert.match(
      history,
      new RegExp(`${wallClock(raisedAt, "Asia/Tokyo")} \\((just now|\\d+[smh]\\w* ago)\\): raised`),
    );
    // The ack's end, recorded as an ISO instant, reads in Tokyo time as well.
    assert.match(history, new RegExp(`until ${wallClock(ackUntil, "Asia/Tokyo")}`));
    assert.doesNotMatch(history, /\dT\d\d:\d\d/);
  });
});
