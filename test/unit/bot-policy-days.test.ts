// The policy over simulated days through BotCore (fake clock, real SQLite, recording channels):
// changes to an alert mid-escalation, restarts mid-escalation and mid-digest, on one file.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BotCore } from "../../src/bot/bot-core.js";
import { FakeClock } from "../../src/clock/fake-clock.js";
import type { BotConfig } from "../../src/config/bot-config.js";
import type { Channel, ChannelKind, Recipient } from "../../src/notify/channel.js";
import type { NotificationMessage } from "../../src/notify/message.js";
import { Store } from "../../src/store/store.js";
import { advanceCore, fakeClockCore } from "../helpers/fake-clock-core.js";
import { alert, pubsubOrigin, update } from "../helpers/updates.js";
import { testConfig } from "../helpers/test-config.js";

const M = 60_000;
const H = 60 * M;

const config = (storm = "5 per 10m, digest_after: 3"): BotConfig =>
  testConfig(
    `people:
  - { name: alice, jid: alice@x.org, email: alice@x.org, sms: "+447700900001", notify: { urgent: [xmpp, sms], normal: [xmpp, email], low: [email] }, fallback_after: 5m }
  - { name: bob, jid: bob@x.org, email: bob@x.org, notify: { urgent: [xmpp, email], normal: [xmpp, email], low: [xmpp] } }
  - { name: erin, jid: erin@x.org, sms: "+447700900002", notify: { urgent: [sms], normal: [sms], low: [sms] } }
workgroups:
  - name: ops
    timezone: Europe/London
    members: [alice, bob]
    escalation:
      urgent: { steps: [{ after: 0m, notify: oncall }, { after: 30m, notify: erin }], reminder: 15m }
      normal: { steps: [{ after: 0m, notify: oncall }], reminder: false }
      low: { steps: [{ after: 0m, notify: oncall }], reminder: false }
  - name: dba
    timezone: Europe/London
    members: [alice]
    escalation:
      normal: { steps: [{ after: 0m, notify: oncall, channels: [xmpp, sms] }], reminder: false }
  - name: shifts
    timezone: Europe/London
    rotation:
      start: 2026-03-02
      shifts:
        - { name: day, hours: 08:00-20:00, people: [alice], cycle: week }
        - { name: night, hours: 20:00-08:00, people: [bob], cycle: week }
    escalation:
      urgent: { steps: [{ after: 0m, notify: oncall }], reminder: 30m }
rules:
  - { match: { source: "rota*" }, level: urgent, workgroup: shifts }
  - { match: { source: "store*" }, level: normal, workgroup: dba }
  - { match: { importance: "100.." }, level: urgent, workgroup: ops }
  - { match: { subject: "db*" }, level: urgent, workgroup: ops }
  - { level: normal, workgroup: ops }
storm: { per_person_limit: ${storm}, digest_top: 3, quiet_digest_every: 1h }
email: { smtp: { host: 127.0.0.1, port: 2525, secure: false }, from: m@x.org }
sms: { url: "http://127.0.0.1:9/send", body_template: '{"to": "{to}", "text": "{text}"}', encoding: json, from: Mauve }
`,
    "x.org",
  );

describe("the policy over simulated days (BotCore, fake clock, real SQLite)", () => {
  let dir: string;
  let clock: FakeClock;
  let store: Store;
  let core: BotCore;
  let got: string[];
  /** Channels failing every send. */
  const down = new Set<ChannelKind>();

  let storm: string | undefined;
  const boot = (): void => {
    store = Store.open(join(dir, "bot.sqlite"));
    const channels = new Map<ChannelKind, Channel>(
      (["xmpp", "email", "sms"] as const).map((name) => [
        name,
        {
          name,
          send: async (to: Recipient, m: NotificationMessage) => {
            if (down.has(name)) return { ok: false as const, recoverable: false, error: "gateway down" };
            const minutes = Math.round((clock.now() - T0) / M);
            got.push(`${minutes}m ${to.name} ${name}: ${m.text.split("\n")[0]}`);
            return { ok: true as const };
          },
        },
      ]),
    );
    const policy = config(storm);
    core = fakeClockCore({ store, clock, policy, channels, maxClockSkewMs: 365 * 24 * H, ackMaxMs: 7 * 24 * H });
  };
  const T0 = Date.UTC(2026, 2, 2, 10, 0);
  const start = async (limit?: string): Promise<void> => {
    storm = limit;
    clock = new FakeClock(T0);
    boot();
    await core.start();
  };
  const restart = async (): Promise<void> => {
    core.stop();
    store.close();
    boot();
    await core.start();
  };
  /** Moves on a minute at a time, as the bot's timers would. */
  const advance = async (ms: number): Promise<void> => {
    for (let t = 0; t < ms; t += M) await advanceCore(clock, core, Math.min(M, ms - t));
  };
  const apply = async (alerts: ReturnType<typeof alert>[], source = "web1"): Promise<void> => {
    await core.applyUpdate(update(source, alerts), pubsubOrigin(source, "x.org"));
    await core.idle();
  };
  const since = (n: number): string[] => got.slice(n);

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "mauve-policy-days-"));
    down.clear();
    got = [];
  });
  afterEach(() => {
    core.stop();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("an alert whose importance rises to urgent mid-way is paged as urgent at once, and escalates", async () => {
    await start();
    await apply([alert("disk", { importance: 50, summary: "90% full" })]);
    assert.deepEqual(since(0), ["0m alice xmpp: RAISED #1 web1 disk: 90% full"]);
    await advance(10 * M);
    const before = got.length;
    await apply([alert("disk", { importance: 150, summary: "99% full" })]);
    assert.deepEqual(since(before), ["10m alice xmpp: RAISED #1 web1 disk: 99% full"]);
    await advance(30 * M);
    assert.ok(since(before).includes("40m erin sms: ESCALATED #1 web1 disk: 99% full"), since(before).join(" | "));
  });

  it("an alert whose subject moves it to another rule is looked at again at once", async () => {
    await start();
    await apply([alert("conn", { importance: 50, subject: "web-front" })]);
    await advance(5 * M);
    const before = got.length;
    await apply([alert("conn", { importance: 50, subject: "db-main" })]); // rule 2: urgent
    assert.equal(since(before).length, 1, since(before).join(" | "));
    await advance(30 * M);
    assert.ok(
      since(before).some((l) => l.includes("erin sms") && l.includes("ESCALATED")),
      since(before).join(" | "),
    );
  });

  it("a page the storm limit holds past its reminder period goes alone, not with reminders of itself, across a restart", async () => {
    await start("3 per 30m, digest_after: 2");
    for (const i of [1, 2, 3]) await apply([alert(`w${i}`, { importance: 50 })]);
    await core.handleChat("alice@x.org/phone", "ack 1,2,3 for 1d");
    await apply([alert("raid", { importance: 150 })]); // #4, urgent: held until 30m
    await advance(20 * M);
    await restart();
    await advance(10 * M);
    const alice = since(0).filter((l) => l.includes(" alice ") && l.includes("#4"));
    assert.deepEqual(alice, ["30m alice xmpp: RAISED #4 web1 raid"]);
    await advance(15 * M);
    assert.deepEqual(
      since(0).filter((l) => l.includes(" alice ") && l.includes("#4")),
      [
        "30m alice xmpp: RAISED #4 web1 raid",
        "35m alice sms: RAISED #4 web1 raid",
        "45m alice xmpp: REMINDER #4 web1 raid",
      ],
      "chased and reminded from when she was told",
    );
  });

  it("unanswered pages of two workgroups, falling back together as one digest, go each one's next way: SMS for dba's, email for ops'", async () => {
    await start();
    await apply([alert("a", { importance: 50 }), alert("b", { importance: 50 })]); // ops: xmpp, then email
    await apply([alert("c", { importance: 50 }), alert("d", { importance: 50 })], "store1"); // dba: xmpp, then SMS
    await advance(10 * M);
    const alice = since(0).filter((l) => l.includes(" alice "));
    assert.ok(
      alice.some((l) => /^5m alice sms: /.test(l)),
      alice.join(" | "),
    );
    assert.ok(
      alice.some((l) => /^5m alice email: /.test(l)),
      alice.join(" | "),
    );
  });

  it("a page that fails on every channel of someone told by SMS alone goes by chat, single or in a digest", async () => {
    await start();
    down.add("sms");
    await apply([alert("raid", { importance: 150 })]);
    await advance(31 * M); // erin's step: SMS only, and the gateway is down
    // At once: the next turn of the (fake) timers.
    const erin = since(0).filter((l) => l.includes(" erin "));
    assert.equal(erin.length, 1, erin.join(" | "));
    assert.match(erin[0]!, /^3[01]m erin xmpp: ESCALATED #1 web1 raid$/);
    await apply([2, 3, 4, 5].map((i) => alert(`disk${i}`, { importance: 150 })));
    await advance(32 * M); // erin's step for them at 61m
    assert.ok(
      since(0).some((l) => /^6[12]m erin xmpp: DIGEST 4 alerts/.test(l)),
      since(0)
        .filter((l) => l.includes(" erin "))
        .join(" | "),
    );
  });

  it("an acked alert whose importance changes tells nobody again of the ack, and its expiry pages at the new level", async () => {
    await start();
    await apply([alert("disk", { importance: 50 })]);
    assert.match((await core.handleChat("bob@x.org/laptop", "ack 1 for 1h")) ?? "", /acknowledged/);
    await advance(M);
    const before = got.length;
    for (const importance of [150, 160, 170]) {
      await apply([alert("disk", { importance })]);
      await advance(M);
    }
    assert.deepEqual(since(before), []);
    await advance(H);
    assert.deepEqual(
      since(before)
        .filter((l) => l.includes("ACK EXPIRED"))
        .map((l) => l.replace(/^\d+m /, "")),
      ["alice xmpp: ACK EXPIRED #1 web1 disk", "bob xmpp: ACK EXPIRED #1 web1 disk"],
    );
  });

  it("reminders of a page told to the day's on-call person go to the night's from the handover, across a restart", async () => {
    await start();
    await advance(9 * H); // 19:00 in London
    await apply([alert("link", { importance: 150 })], "rota1");
    await advance(2 * H);
    await restart();
    await advance(2 * H); // to 23:00
    const pages = (who: string): string[] =>
      since(0)
        .filter((l) => l.includes(` ${who} `))
        .map((l) => l.replace(/ #1 rota1 link$/, ""));
    assert.deepEqual(pages("alice"), [
      "540m alice xmpp: RAISED",
      "545m alice sms: RAISED", // her urgent channels: chat, then SMS
      "570m alice xmpp: REMINDER",
    ]);
    assert.deepEqual(pages("bob"), [
      "600m bob xmpp: ESCALATED", // 20:00: the handover
      "605m bob email: ESCALATED",
      "630m bob xmpp: REMINDER",
      "660m bob xmpp: REMINDER",
      "690m bob xmpp: REMINDER",
      "720m bob xmpp: REMINDER",
      "750m bob xmpp: REMINDER",
      "780m bob xmpp: REMINDER",
    ]);
    // Off call, alice's ack still counts, and bob hears of it.
    assert.match((await core.handleChat("alice@x.org/phone", "ack 1")) ?? "", /acknowledged/);
    await advance(M);
    assert.deepEqual(pages("bob").slice(-1), ["780m bob xmpp: ACKED"]);
  });
});
