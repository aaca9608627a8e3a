// Notices planned a while before they go (fallbacks, digests, the storm limit's backlog) against
// what happened since: the alert silenced, a clear or a reminder leading a digest, an ack made on
// the web, a window shutting. Through BotCore on a fake clock over simulated hours, real SQLite,
// channels that record what each person got.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BotCore } from "../../src/bot/bot-core.js";
import { FakeClock } from "../../src/clock/fake-clock.js";
import { createLogger } from "../../src/log.js";
import type { Channel, ChannelKind, Recipient } from "../../src/notify/channel.js";
import type { NotificationMessage } from "../../src/notify/message.js";
import { Store } from "../../src/store/store.js";
import { advanceCore, fakeClockCore } from "../helpers/fake-clock-core.js";
import { alert, pubsubOrigin, update } from "../helpers/updates.js";
import { testConfig } from "../helpers/test-config.js";

interface Got {
  readonly person: string;
  readonly channel: ChannelKind;
  readonly text: string;
  readonly at: number;
}

const M = 60_000;
const H = 60 * M;
const T0 = Date.UTC(2026, 2, 2, 10, 0); // a Monday, 10:00 in London (GMT)

const people = `people:
  - { name: alice, jid: alice@x.org, email: alice@x.org, sms: "+447700900001", timezone: America/New_York, notify: { urgent: [xmpp, sms, email], normal: [xmpp, email], low: [email_digest] }, fallback_after: 5m }
  - { name: bob, jid: bob@x.org, email: bob@x.org, notify: { urgent: [xmpp, email], normal: [xmpp, email], low: [xmpp] } }
  - { name: erin, jid: erin@x.org, email: erin@x.org, sms: "+447700900002", notify: { urgent: [sms, email], normal: [sms, email], low: [email] }, fallback_after: 10m }
`;
const channelsConfig = `email: { smtp: { host: 127.0.0.1, port: 2525, secure: false }, from: m@x.org }
sms: { url: "http://127.0.0.1:9/send", body_template: '{"to": "{to}", "text": "{text}"}', encoding: json, from: Mauve }
`;
const ops = (
  urgent: string,
  low = "{ steps: [{ after: 0m, notify: oncall }], reminder: false }",
): string => `workgroups:
  - name: ops
    timezone: Europe/London
    members: [alice, bob]
    escalation:
      urgent: ${urgent}
      normal: { steps: [{ after: 0m, notify: oncall }], reminder: false }
      low: ${low}
  - name: db
    timezone: Europe/London
    members: [erin]
    escalation:
      urgent: { steps: [{ after: 0m, notify: oncall }], reminder: false }
      normal: { steps: [{ after: 0m, notify: oncall }], reminder: false }
      low: { steps: [{ after: 0m, notify: oncall }], reminder: false }
`;
const rules = `rules:
  - { match: { source: db1 }, level: urgent, workgroup: db }
  - { match: { importance: "100.." }, level: urgent, workgroup: ops }
  - { match: { importance: "..20" }, level: low, workgroup: ops, window: office }
  - { level: normal, workgroup: ops }
windows:
  office: { timezone: Europe/London, days: mon-fri, hours: 09:00-17:30 }
`;
const PAGE_ONCE = "{ steps: [{ after: 0m, notify: oncall }], reminder: false }";

describe("notices planned before they go, against what happened since (BotCore, fake clock, real SQLite)", () => {
  let dir: string;
  let clock: FakeClock;
  let store: Store;
  let core: BotCore;
  let got: Got[];

  const start = async (yaml: string, at = T0): Promise<void> => {
    const config = testConfig(yaml, "x.org");
    clock = new FakeClock(at);
    store = Store.open(join(dir, "bot.sqlite"));
    const record = (name: ChannelKind): Channel => ({
      name,
      send: async (to: Recipient, m: NotificationMessage) => {
        got.push({ person: to.name, channel: name, text: m.text, at: clock.now() });
        return { ok: true as const };
      },
    });
    core = fakeClockCore({
      store,
      clock,
      policy: config,
      channels: new Map((["xmpp", "email", "sms"] as const).map((n) => [n, record(n)])),
      log: createLogger({ level: "error", sink: () => {} }),
      ackMaxMs: 7 * 24 * H,
    });
    await core.start();
  };
  const advance = async (ms: number, stepMs = M): Promise<void> => {
    for (let t = 0; t < ms; t += stepMs) await advanceCore(clock, core, Math.min(stepMs, ms - t));
  };
  const apply = async (alerts: ReturnType<typeof alert>[], source = "web1"): Promise<void> => {
    await core.applyUpdate(update(source, alerts), pubsubOrigin(source, "x.org"));
    await core.idle();
  };
  const to = (person: string, channel?: ChannelKind): Got[] =>
    got.filter((g) => g.person === person && (channel === undefined || g.channel === channel));
  const lines = (gs: Got[]): string[] =>
    gs.map((g) => `+${Math.round((g.at - T0) / M)}m ${g.person} ${g.channel}: ${g.text.split("\n")[0]}`);

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "mauve-queued-"));
    got = [];
  });
  afterEach(() => {
    core.stop();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("a digest led by an urgent clear still chases the pages beside it on their fallbacks", async () => {
    await start(
      `${people}${ops(PAGE_ONCE)}${rules}storm: { per_person_limit: 50 per 10m, digest_after: 3 }\n${channelsConfig}`,
    );
    await apply([alert("raid", { importance: 100 })]);
    await core.handleChat("alice@x.org/phone", "ack 1");
    await advance(2 * M);
    const before = got.length;
    await apply([
      alert("raid", { importance: 100, clearTimeS: Math.floor(clock.now() / 1000) }),
      ...[1, 2, 3, 4].map((i) => alert(`disk-${i}`, { importance: 50 })),
    ]);
    assert.deepEqual(lines(to("alice").slice(0)).slice(-1), ["+2m alice xmpp: DIGEST 5 alerts, 4 raised"]);
    await advance(5 * M);
    const chased = lines(got.slice(before).filter((g) => g.person === "alice" && g.channel === "email"));
    assert.deepEqual(chased, ["+7m alice email: DIGEST 4 alerts, 4 raised"], "the four pages, on normal's fallback");
  });

  it("reminders digested with a page are told once on their step's channels, not chased on the page's", async () => {
    const urgent =
      "{ steps: [{ after: 0m, notify: oncall }, { after: 30m, notify: erin, channels: [sms] }], reminder: 15m }";
    await start(
      `${people}${ops(urgent)}${rules}storm: { per_person_limit: 50 per 10m, digest_after: 3 }\n${channelsConfig}`,
    );
    await apply([1, 2, 3, 4].map((i) => alert(`raid-${i}`, { importance: 100 })));
    // erin's own page falls due with her first reminders (45m), and falls back to email.
    await apply([alert("db-down", { importance: 100, raiseTimeS: Math.floor(T0 / 1000) + 45 * 60 })], "db1");
    await advance(80 * M);
    const mails = to("erin", "email");
    assert.ok(mails.length > 0, `erin's own page falls back: ${lines(to("erin")).join(" | ")}`);
    assert.ok(
      mails.every((g) => !/raid/.test(g.text)),
      `reminders of an SMS-only step went by email: ${lines(mails).join(" | ")}`,
    );
  });

  it("a silence holds a page's fallbacks already queued; they go if it is still unanswered when the silence ends", async () => {
    await start(`${people}${ops(PAGE_ONCE)}${rules}${channelsConfig}`);
    await apply([alert("raid", { importance: 100 })]);
    await advance(2 * M);
    assert.match(
      (await core.handleChat("bob@x.org/x", "silence source=web1 for 1h because maintenance")) ?? "",
      /Silence #1/,
    );
    const before = got.length;
    await advance(55 * M);
    assert.deepEqual(lines(got.slice(before)), [], "nothing while silenced");
    await advance(10 * M);
    assert.deepEqual(
      lines(got.slice(before).filter((g) => g.person === "alice")).map((l) => l.replace(/^\+\d+m /, "")),
      ["alice sms: RAISED #1 web1 raid", "alice email: RAISED #1 web1 raid"],
    );
  });

  it("a silence holds the notices the storm limit held back, and an ack or a clear drops them", async () => {
    await start(
      `${people}${ops(PAGE_ONCE)}${rules}storm: { per_person_limit: 5 per 10m, digest_after: 3 }\n${channelsConfig}`,
    );
    for (const i of [1, 2, 3, 4, 5]) await apply([alert(`n${i}`, { importance: 50 })], "web2");
    await apply([alert("a", { importance: 50 }), alert("b", { importance: 50 }), alert("c", { importance: 50 })]);
    assert.equal(to("alice").length, 5, "the limit is used up: a, b and c wait");
    await core.handleChat("bob@x.org/x", "silence source=web1 for 1h because maintenance");
    await core.handleChat("alice@x.org/x", "ack 1,2,3,4,5 for 1d");
    await core.handleChat("bob@x.org/x", "ack 7 for 1d");
    await apply([alert("c", { importance: 50, clearTimeS: Math.floor(clock.now() / 1000) })]);
    const before = to("alice").length;
    await advance(30 * M);
    // (The ack and the clear are told to those they were planned for, as acks and clears always are.)
    assert.deepEqual(
      lines(to("alice").slice(before)).filter((l) => /RAISED.*web1/.test(l)),
      [],
      "no page about web1 while silenced",
    );
    await advance(40 * M);
    const after = to("alice")
      .slice(before)
      .filter((g) => g.channel === "xmpp" && /^RAISED.*web1/.test(g.text));
    assert.deepEqual(
      after.map((g) => g.text.split("\n")[0]),
      ["RAISED #6 web1 a"],
      "a goes once the silence ends; b was acked and c cleared meanwhile",
    );
  });

  it("notices held by a silence wait for its end unread, and go as soon as it is lifted, across a restart", async () => {
    const yaml = `${people}${ops(PAGE_ONCE)}${rules}storm: { per_person_limit: 5 per 10m, digest_after: 3 }\n${channelsConfig}`;
    await start(yaml);
    // How often the dispatcher looks again at the alerts of notices planned a while ago.
    let looks = 0;
    const countLooks = (): void => {
      const read = store.alerts.briefHeardEach.bind(store.alerts);
      store.alerts.briefHeardEach = (ids) => {
        looks++;
        return read(ids);
      };
    };
    countLooks();
    for (const i of [1, 2, 3, 4, 5]) await apply([alert(`n${i}`, { importance: 50 })], "web2");
    await apply([alert("a", { importance: 50 }), alert("b", { importance: 50 }), alert("c", { importance: 50 })]);
    await core.handleChat("bob@x.org/x", "silence source=web1 for 3h because maintenance");
    await advance(15 * M); // the limit frees: a, b and c are looked at, and wait for the silence
    const looked = looks;
    assert.ok(looked > 0);
    await advance(60 * M);
    assert.equal(looks, looked, "not looked at again every minute of the silence");
    // Restarted meanwhile: they still wait, and still go when the silence is lifted.
    core.stop();
    store.close();
    await start(yaml, clock.now());
    looks = 0;
    countLooks();
    await advance(30 * M);
    assert.equal(looks, 0, "looked at again once as it started, then not every minute");
    const before = to("alice").length;
    assert.match((await core.handleChat("bob@x.org/x", "unsilence 1")) ?? "", /nded/);
    await advanceCore(clock, core, 1_000);
    assert.deepEqual(
      lines(to("alice").slice(before)).map((l) => l.replace(/^\+\d+m /, "")),
      ["alice xmpp: RAISED #6 web1 a", "alice xmpp: RAISED #7 web1 b", "alice xmpp: RAISED #8 web1 c"],
      "a, b and c go as soon as the silence is lifted, not at the next minute's look",
    );
  });

  it("ACK EXPIRED reaches the person who acked on the web board", async () => {
    await start(`${people}${ops(PAGE_ONCE)}${rules}${channelsConfig}`);
    await apply([alert("disk", { importance: 50 })]);
    const { reply } = await core.handleBoard("bob@x.org", "ack 1 for 1h");
    assert.match(reply, /acknowledged/);
    assert.equal(store.alerts.get(1)?.ack?.by, "bob (web)");
    await advance(61 * M);
    const expired = got.filter((g) => /^ACK EXPIRED #1/.test(g.text)).map((g) => `${g.person} ${g.channel}`);
    assert.deepEqual(expired.sort(), ["alice xmpp", "bob xmpp"]);
  });

  it("a digest standing for one alert shows its times in the reader's zone, as a single notice does", async () => {
    await start(`${people}${ops(PAGE_ONCE)}${rules.replace(", window: office", "")}${channelsConfig}`);
    await apply([alert("loud", { importance: 50 })]);
    await apply([alert("quiet", { importance: 10 })]); // alice's low notices: a quiet digest, of one alert
    const raisedLine = (g: Got | undefined): string | undefined =>
      g?.text.split("\n").find((l) => l.startsWith("Raised:"));
    assert.match(raisedLine(got.find((g) => /loud/.test(g.text))) ?? "", /America\/New_York/);
    assert.match(raisedLine(got.find((g) => /quiet/.test(g.text))) ?? "", /America\/New_York/);
  });

  it("time a rule's window is shut does not count towards its reminders", async () => {
    await start(
      `${people}${ops(PAGE_ONCE, "{ steps: [{ after: 0m, notify: oncall }], reminder: 4h }")}${rules}${channelsConfig}`,
      Date.UTC(2026, 2, 30, 8, 0), // Monday 09:00 in London (BST)
    );
    await apply([alert("quiet", { importance: 10 })]);
    await advance(2 * 24 * H, 15 * M);
    const reminders = to("alice")
      .filter((g) => /REMINDER/.test(g.text))
      .map((g) => new Date(g.at).toISOString());
    // Told at 08:00Z, reminded at 12:00Z and 16:00Z; the window shuts at 16:30Z (17:30 BST), so
    // 30 minutes of the next 4 hours have passed: the rest runs from 08:00Z Tuesday.
    assert.deepEqual(reminders.slice(0, 3), [
      "2026-03-30T12:00:00.000Z",
      "2026-03-30T16:00:00.000Z",
      "2026-03-31T11:30:00.000Z",
    ]);
  });
});
