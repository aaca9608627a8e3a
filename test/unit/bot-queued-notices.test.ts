// Notices planned a while before they go (fallbacks, digests, the storm limit's backlog) against
// what happened since: the alert silenced, a clear or a reminder leading a digest, an ack made on
// the web, a window shutting. And notices waiting for a silence or a window to end (marked, put off
// until its end rather than looked at every minute) against everything that ends or changes the
// hold sooner: the alert updated out of the silence or onto a rule without the window, acked,
// unacked, its ack running out; a restart with the window taken off; the clock stepped back. Each
// tells what the dispatcher told when it looked at every held notice every minute, without that
// work: an alert restated unchanged or a silence set on something else reads none of them again.
// Through BotCore on a fake clock over simulated hours, real SQLite, channels that record what each
// person got.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BotCore } from "../../src/bot/bot-core.js";
import { FakeClock } from "../../src/clock/fake-clock.js";
import { createLogger } from "../../src/log.js";
import type { Channel, ChannelKind, Recipient } from "../../src/notify/channel.js";
import type { NotificationMessage } from "../../src/notify/message.js";
import { smsText } from "../../src/notify/sms-channel.js";
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

  // smsChars: record what an SMS of that many characters reads (else the message's text).
  const start = async (yaml: string, at = T0, smsChars?: number): Promise<void> => {
    const config = testConfig(yaml, "x.org");
    clock = new FakeClock(at);
    store = Store.open(join(dir, "bot.sqlite"));
    const record = (name: ChannelKind): Channel => ({
      name,
      send: async (to: Recipient, m: NotificationMessage) => {
        const text = name === "sms" && smsChars !== undefined ? smsText(m, smsChars) : m.text;
        got.push({ person: to.name, channel: name, text, at: clock.now() });
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

  it("a look again at notices held by a silence that fails is tried again at the next minute", async () => {
    const yaml = `${people}${ops(PAGE_ONCE)}${rules}storm: { per_person_limit: 5 per 10m, digest_after: 3 }\n${channelsConfig}`;
    await start(yaml);
    for (const i of [1, 2, 3, 4, 5]) await apply([alert(`n${i}`, { importance: 50 })], "web2");
    await apply([alert("a", { importance: 50 })]);
    await core.handleChat("bob@x.org/x", "silence source=web1 for 3h because maintenance");
    await advance(15 * M); // the limit frees: a is looked at, and waits for the silence
    const sweep = store.policy.releaseHeldChanged.bind(store.policy);
    let sweeps = 0;
    store.policy.releaseHeldChanged = (now) => {
      if (++sweeps === 1) throw new Error("disk I/O error");
      return sweep(now);
    };
    // Thrown out of its timer, the look ended AlertBot (an uncaught exception ends the process).
    await advance(M);
    await advance(M);
    assert.ok(sweeps >= 2, `looked at again after the one that failed (${sweeps})`);
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

  describe("held by a silence or a window, against what ends or changes the hold", () => {
    const stormYaml = `${people}${ops(PAGE_ONCE)}${rules}storm: { per_person_limit: 5 per 10m, digest_after: 3 }\n${channelsConfig}`;
    // The limit used up by n1..n5 (web2); a, b and c (web1, #6..#8) held back by it.
    const stormThenSilence = async (silence: string): Promise<void> => {
      await start(stormYaml);
      for (const i of [1, 2, 3, 4, 5]) await apply([alert(`n${i}`, { importance: 50 })], "web2");
      await apply([alert("a", { importance: 25 }), alert("b", { importance: 25 }), alert("c", { importance: 25 })]);
      assert.equal(to("alice").length, 5, "the limit is used up: a, b and c wait");
      assert.match((await core.handleChat("bob@x.org/x", silence)) ?? "", /Silence #1/);
      await advance(15 * M); // the limit frees: a, b and c are looked at, and wait for the silence
    };
    const pagesOf = (person: string, from: number, re: RegExp): string[] =>
      lines(to(person).slice(from)).filter((l) => re.test(l));

    it("an alert updated out of its silence's matcher: its held page goes within a minute, not at the silence's end", async () => {
      await stormThenSilence("silence importance<=30 for 3h because maintenance");
      const before = to("alice").length;
      // a is now importance 50: the silence no longer matches it, nothing else holds it.
      await apply([alert("a", { importance: 50 }), alert("b", { importance: 25 }), alert("c", { importance: 25 })]);
      await advance(5 * M);
      assert.deepEqual(
        pagesOf("alice", before, /RAISED #6/).map((l) => l.replace(/^\+\d+m /, "")),
        ["alice xmpp: RAISED #6 web1 a"],
        `a goes once no longer silenced; got: ${lines(to("alice").slice(before)).join(" | ")}`,
      );
    });

    it("acked and unacked while its page is held: the page goes once when the silence ends, not twice", async () => {
      await stormThenSilence("silence source=web1 for 3h because maintenance");
      await core.handleChat("alice@x.org/x", "ack 6 for 1d");
      await advance(2 * M);
      await core.handleChat("alice@x.org/x", "unack 6");
      await advance(2 * M);
      const before = to("alice").length;
      await advance(3 * H);
      const sixes = to("alice")
        .slice(before)
        .filter((g) => g.channel === "xmpp" && /#6\b/.test(g.text));
      assert.ok(sixes.length > 0, "a is still unanswered: it is told when the silence ends");
      assert.equal(sixes.length, 1, `told once about #6, got: ${lines(to("alice").slice(before)).join(" | ")}`);
    });

    it("an ack running out while its page is held: the page goes once when the silence ends, not twice", async () => {
      await stormThenSilence("silence source=web1 for 3h because maintenance");
      await core.handleChat("alice@x.org/x", "ack 6 for 30m");
      await advance(60 * M);
      const before = to("alice").length;
      await advance(3 * H);
      const sixes = to("alice")
        .slice(before)
        .filter((g) => g.channel === "xmpp" && /#6\b/.test(g.text));
      assert.equal(sixes.length, 1, `told once about #6, got: ${lines(to("alice").slice(before)).join(" | ")}`);
    });

    const windowRules = (window: string | null): string => `rules:
  - { match: { importance: "..20" }, level: normal, workgroup: ops${window === null ? "" : `, window: ${window}`} }
  - { level: normal, workgroup: ops }
windows:
  office: { timezone: Europe/London, days: mon-fri, hours: 09:00-17:30 }
`;
    const windowYaml = (window: string | null): string =>
      `${people}${ops(PAGE_ONCE)}${windowRules(window)}storm: { per_person_limit: 5 per 10m, digest_after: 3 }\n${channelsConfig}`;
    // 17:22 on a Monday: a, b and c (#6..#8, the office window's rule) are planned while it is open,
    // held back by the limit until 17:32, when the window is shut: they wait for 09:00 on Tuesday.
    const stormThenWindowShuts = async (): Promise<void> => {
      await start(windowYaml("office"), T0 + 7 * H + 22 * M);
      for (const i of [1, 2, 3, 4, 5]) await apply([alert(`n${i}`, { importance: 50 })], "web2");
      await apply([alert("a", { importance: 10 }), alert("b", { importance: 10 }), alert("c", { importance: 10 })]);
      assert.equal(to("alice").length, 5, "the limit is used up: a, b and c wait");
      await advance(20 * M);
      assert.deepEqual(pagesOf("alice", 5, /RAISED/), [], "the window shut before the limit freed");
    };

    it("an alert updated onto a rule with no window: its held page goes within a minute, not at the window's opening", async () => {
      await stormThenWindowShuts();
      const before = to("alice").length;
      await apply([alert("a", { importance: 50 }), alert("b", { importance: 10 }), alert("c", { importance: 10 })]);
      await advance(5 * M);
      assert.deepEqual(
        pagesOf("alice", before, /RAISED #6/).map((l) => l.replace(/^\+\d+m /, "")),
        ["alice xmpp: RAISED #6 web1 a"],
        `a goes once its rule has no window; got: ${lines(to("alice").slice(before)).join(" | ")}`,
      );
    });

    it("restarted with the window taken off the rule: the held pages go within a minute, not at the old window's opening", async () => {
      await stormThenWindowShuts();
      core.stop();
      store.close();
      await start(windowYaml(null), clock.now());
      await advance(5 * M);
      assert.deepEqual(
        pagesOf("alice", 0, /RAISED #[678]/).map((l) => l.replace(/^\+\d+m /, "")),
        ["alice xmpp: RAISED #6 web1 a", "alice xmpp: RAISED #7 web1 b", "alice xmpp: RAISED #8 web1 c"],
        `a, b and c go once their rule has no window; got: ${lines(to("alice")).join(" | ")}`,
      );
    });

    for (const [name, answer] of [
      ["unacked", "unack 1"],
      ["its ack running out", null],
    ] as const)
      it(`a fallback held by a silence, its alert acked and then ${name}: the same notices as before the change`, async () => {
        await start(`${people}${ops(PAGE_ONCE)}${rules}${channelsConfig}`);
        await apply([alert("raid", { importance: 100 })]);
        await advance(2 * M);
        await core.handleChat("bob@x.org/x", "silence source=web1 for 1h because maintenance");
        await advance(6 * M); // alice's fallbacks (sms, email) fall due and wait for the silence
        await core.handleChat("alice@x.org/x", answer === null ? "ack 1 for 10m" : "ack 1 for 1d");
        await advance(5 * M);
        if (answer !== null) await core.handleChat("alice@x.org/x", answer);
        await advance(15 * M);
        const before = got.length;
        await advance(60 * M);
        const told = lines(got.slice(before).filter((g) => g.person === "alice"));
        const kind = answer === null ? "ACK EXPIRED" : "RAISED";
        assert.deepEqual(
          told,
          [
            `+62m alice xmpp: ${kind} #1 web1 raid`,
            `+67m alice sms: ${kind} #1 web1 raid`,
            `+72m alice email: ${kind} #1 web1 raid`,
          ],
          "the fallbacks queued before the ack were dropped by it: only the new page and its own fallbacks go",
        );
      });

    it("an ack drops the fallbacks held by a silence at once: the outbox gauge and the alert's page stop showing them pending", async () => {
      await start(`${people}${ops(PAGE_ONCE)}${rules}${channelsConfig}`);
      await apply([alert("raid", { importance: 100 })]);
      await advance(2 * M);
      await core.handleChat("bob@x.org/x", "silence source=web1 for 3h because maintenance");
      await advance(6 * M); // alice's fallbacks (sms, email) fall due and wait for the silence
      await core.handleChat("alice@x.org/x", "ack 1 for 1d");
      await advance(5 * M);
      assert.deepEqual(
        store.policy
          .deliveriesOf(1)
          .filter((d) => d.status === "pending")
          .map((d) => d.person),
        [],
        "nothing left pending about an acked alert",
      );
      assert.equal(store.gauges.outbox(clock.now()).waiting, 0);
    });

    it("the clock stepped back (an NTP step) and then the alert updated out of its silence: its page goes within the step back and a minute, not at the silence's end", async () => {
      await stormThenSilence("silence importance<=30 for 3h because maintenance");
      // The notices were put off at about +10m and the clock reads +25m; a step back of 20 minutes
      // puts the alert's next updated_at before the notices' own.
      await advance(10 * M);
      clock.set(clock.now() - 20 * M);
      const before = to("alice").length;
      await apply([alert("a", { importance: 50 }), alert("b", { importance: 25 }), alert("c", { importance: 25 })]);
      // Before the change, the notices looked at every minute by the clock: the step back delays
      // them by as much (they were put off until +26m, read now as 21 minutes away).
      await advance(30 * M);
      assert.deepEqual(
        pagesOf("alice", before, /xmpp: RAISED #6/).map((l) => l.replace(/^[-+]\d+m /, "")),
        ["alice xmpp: RAISED #6 web1 a"],
        `a goes once no longer silenced; got: ${lines(to("alice").slice(before)).join(" | ")}`,
      );
    });

    it("a silenced storm's agent restating the same alerts every minute: the held notices are not looked at again each minute", async () => {
      await stormThenSilence("silence source=web1 for 3h because maintenance");
      const heldSince = (): number[] =>
        [6, 7, 8].flatMap((id) =>
          store.policy
            .deliveriesOf(id)
            .filter((d) => d.status === "pending")
            .map((d) => d.updatedAt),
        );
      const was = heldSince();
      assert.equal(was.length, 3);
      for (let i = 0; i < 5; i++) {
        await apply([alert("a", { importance: 25 }), alert("b", { importance: 25 }), alert("c", { importance: 25 })]);
        await advance(M);
      }
      assert.deepEqual(
        heldSince(),
        was,
        "nothing that matters to the hold changed: the notices were not put off again",
      );
    });

    it("a storm's SMS digest with max_chars 1600 lists every id that fits, as before (not only the most urgent 200)", async () => {
      await start(
        `${people}${ops(PAGE_ONCE)}${rules}storm: { per_person_limit: 2 per 10m, digest_after: 2 }\n${channelsConfig}`,
        T0,
        1600,
      );
      await apply(
        Array.from({ length: 300 }, (_, i) => alert(`d${i}`, { importance: 50 })),
        "db1",
      );
      await advance(30 * M);
      const sms = to("erin", "sms").filter((g) => g.text.startsWith("DIGEST"));
      assert.ok(sms.length > 0, `a digest by SMS; got: ${lines(to("erin")).join(" | ")}`);
      const text = sms[0]!.text;
      const listed = text.match(/#\d+/g) ?? [];
      const total = Number(/DIGEST (\d+) alerts/.exec(text)?.[1]);
      assert.equal(listed.length, total, `every id fits in 1600 characters (${text.length} used): ${text}`);
    });

    it("a silence set on something else: the notices waiting for another silence to end are not read again", async () => {
      await stormThenSilence("silence source=web1 for 3h because maintenance");
      const read: number[] = [];
      const briefHeardEach = store.alerts.briefHeardEach.bind(store.alerts);
      store.alerts.briefHeardEach = (ids) => {
        read.push(...ids);
        return briefHeardEach(ids);
      };
      // A new silence can only hold more: nothing waiting for the first one can go sooner for it.
      assert.match(
        (await core.handleChat("bob@x.org/x", "silence source=db9 for 1h because tests")) ?? "",
        /Silence #2/,
      );
      await core.idle();
      await advanceCore(clock, core, 0);
      assert.deepEqual(read, [], "the held pages of #6..#8 were not read again");
    });
  });
});
