// Issue 19, through BotCore on a fake clock over simulated hours: the same due index, outbox and
// timers as production, real SQLite, channels that record what each person got and how.
import assert from "node:assert/strict";
import { DELIVERY_FORM } from "../../src/policy/delivery-codec.js";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BotCore } from "../../src/bot/bot-core.js";
import { FakeClock } from "../../src/clock/fake-clock.js";
import type { BotConfig } from "../../src/config/bot-config.js";
import { createLogger } from "../../src/log.js";
import { smsText } from "../../src/notify/sms-channel.js";
import type { Channel, ChannelKind, Recipient } from "../../src/notify/channel.js";
import type { NotificationMessage } from "../../src/notify/message.js";
import { Store } from "../../src/store/store.js";
import { advanceCore, fakeClockCore } from "../helpers/fake-clock-core.js";
import { alert, pubsubOrigin, update } from "../helpers/updates.js";
import { testConfig } from "../helpers/test-config.js";

/** One message as its reader got it: SMS as the gateway would send it, the others' first line. */
interface Got {
  readonly person: string;
  readonly channel: ChannelKind;
  readonly text: string;
}

class Recorder implements Channel {
  constructor(
    readonly name: ChannelKind,
    private readonly got: Got[],
  ) {}
  async send(to: Recipient, m: NotificationMessage) {
    this.got.push({ person: to.name, channel: this.name, text: this.name === "sms" ? smsText(m) : m.text });
    return { ok: true as const };
  }
}

/** The team's config; `workingHours` adds the workgroup key of item 6 (loaded per test, so old code fails only that test). */
const teamConfig = (workingHours = ""): BotConfig =>
  testConfig(
    `people:
  - { name: alice, jid: alice@x.org, email: alice@x.org, sms: "+447700900001", notify: { urgent: [xmpp, sms, email], normal: [xmpp, email], low: [email_digest] }, fallback_after: 5m }
  - { name: bob, jid: bob@x.org, email: bob@x.org, notify: { urgent: [xmpp, email], normal: [xmpp, email], low: [xmpp] } }
  - { name: erin, jid: erin@x.org, email: erin@x.org, sms: "+447700900002", notify: { urgent: [sms, email], normal: [sms, email], low: [email] }, fallback_after: 10m }
workgroups:
  - name: ops
    timezone: Europe/London
    members: [alice, bob]${workingHours}
    escalation:
      urgent: { steps: [{ after: 0m, notify: oncall }, { after: 30m, notify: erin, channels: [sms] }], reminder: 15m }
      normal: { steps: [{ after: 0m, notify: oncall }], reminder: false }
      low: { steps: [{ after: 0m, notify: oncall }], reminder: false }
rules:
  - { match: { importance: "100.." }, level: urgent, workgroup: ops }
  - { match: { importance: "..20" }, level: low, workgroup: ops }
  - { level: normal, workgroup: ops }
windows:
  working_hours: { timezone: UTC, days: mon-sun, hours: 00:00-24:00 }
  office: { timezone: Europe/London, days: mon-fri, hours: 09:00-17:30 }
storm: { per_person_limit: 5 per 10m, digest_after: 3, digest_top: 3, quiet_digest_every: 1h }
email: { smtp: { host: 127.0.0.1, port: 2525, secure: false }, from: m@x.org }
sms: { url: "http://127.0.0.1:9/send", body_template: '{"to": "{to}", "text": "{text}"}', encoding: json, from: Mauve }
`,
    "x.org",
  );
const origin = pubsubOrigin("web1", "x.org");
const M = 60_000;
const H = 60 * M;

describe("storms over simulated hours (BotCore, fake clock, real SQLite)", () => {
  let dir: string;
  let clock: FakeClock;
  let store: Store;
  let core: BotCore;
  let got: Got[];
  let logged: Array<Record<string, unknown>>;

  let config: BotConfig;
  const boot = (): void => {
    store = Store.open(join(dir, "bot.sqlite"));
    const channels = new Map<ChannelKind, Channel>(
      (["xmpp", "email", "sms"] as const).map((n) => [n, new Recorder(n, got)]),
    );
    const log = createLogger({
      level: "warn",
      sink: (line) => logged.push(JSON.parse(line) as Record<string, unknown>),
    });
    core = fakeClockCore({
      store,
      clock,
      policy: config,
      channels,
      log,
      maxClockSkewMs: config.alerts.maxClockSkewMs ?? H,
      ackMaxMs: 7 * 24 * H,
    });
  };
  const start = async (at: number, workingHours = ""): Promise<void> => {
    config = teamConfig(workingHours);
    clock = new FakeClock(at);
    boot();
    await core.start();
  };
  const advance = (ms: number): Promise<void> => advanceCore(clock, core, ms);
  const apply = async (
    alerts: ReturnType<typeof alert>[],
    fields: Parameters<typeof update>[2] = {},
  ): Promise<void> => {
    await core.applyUpdate(update("web1", alerts, fields), origin);
    await core.idle();
  };
  const to = (person: string, channel?: ChannelKind): Got[] =>
    got.filter((g) => g.person === person && (channel === undefined || g.channel === channel));
  const firstLines = (gs: Got[]): string[] => gs.map((g) => `${g.channel}: ${g.text.split("\n")[0]}`);
  const restart = async (): Promise<void> => {
    core.stop();
    store.close();
    boot();
    await core.start();
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "mauve-storms-"));
    got = [];
    logged = [];
  });
  afterEach(() => {
    core.stop();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("item 1: an unanswered urgent digest falls back by SMS, then email, on fallback_after, across a restart", async () => {
    await start(Date.UTC(2026, 2, 2, 10, 0));
    await apply([1, 2, 3, 4].map((i) => alert(`raid-${i}`, { importance: 100, summary: `array ${i} degraded` })));
    assert.deepEqual(firstLines(to("alice")), ["xmpp: DIGEST 4 alerts, 4 raised"]);
    await advance(4 * M);
    await restart(); // the fallbacks wait in SQLite, not in a timer that died with the process
    assert.deepEqual(to("alice", "sms"), []);
    await advance(M);
    const sms = to("alice", "sms");
    assert.equal(sms.length, 1, firstLines(sms).join(" | "));
    assert.match(
      sms[0]!.text,
      /^DIGEST 4 alerts, 4 raised: #1 web1 raid-1; #2 web1 raid-2; #3 web1 raid-3; #4 web1 raid-4\. Say "ack <id>" in chat$/,
    );
    await advance(5 * M);
    assert.deepEqual(firstLines(to("alice", "email")), ["email: DIGEST 4 alerts, 4 raised"]);
    await advance(4 * M);
    assert.equal(to("alice", "sms").length + to("alice", "email").length, 2, "each fallback once");
  });

  it("items 1 and 2: a normal storm's digest lists digest_top alerts, falls back by email, and an ack drops its alert's fallback", async () => {
    await start(Date.UTC(2026, 2, 2, 10, 0));
    await apply([1, 2, 3, 4, 5].map((i) => alert(`disk-${i}`, { importance: 50, summary: `disk ${i} full` })));
    const [digest] = to("alice", "xmpp");
    const lines = digest!.text.split("\n");
    assert.equal(lines.filter((l) => l.startsWith("- #")).length, 3, digest!.text);
    assert.ok(lines.includes("…and 2 more."), digest!.text);
    assert.match((await core.handleChat("alice@x.org/phone", "ack 1,2")) ?? "", /acknowledged/);
    await advance(5 * M);
    // Three left unanswered: digest_after (3) or fewer go one by one, on the digest's fallback channel.
    assert.deepEqual(firstLines(to("alice", "email")).sort(), [
      "email: RAISED #3 web1 disk-3: disk 3 full",
      "email: RAISED #4 web1 disk-4: disk 4 full",
      "email: RAISED #5 web1 disk-5: disk 5 full",
    ]);
    await advance(H);
    assert.equal(to("alice", "email").length, 3);
  });

  it("a digest reads as many of its alerts as its channels show: digest_top by name, and on an SMS as many as it lists by number", async () => {
    await start(Date.UTC(2026, 2, 2, 10, 0));
    const read: number[] = [];
    const mostUrgentOf = store.alerts.mostUrgentOf.bind(store.alerts);
    store.alerts.mostUrgentOf = (shortIds, limit) => {
      const ranked = mostUrgentOf(shortIds, limit);
      read.push(ranked.alerts.length);
      return ranked;
    };
    await apply(Array.from({ length: 12 }, (_, i) => alert(`raid-${i}`, { importance: 100 })));
    await advance(10 * M); // unanswered: by SMS after fallback_after, then by email
    assert.deepEqual(firstLines(to("alice")), [
      "xmpp: DIGEST 12 alerts, 12 raised",
      'sms: DIGEST 12 alerts, 12 raised: #1 web1 raid-0; #2 web1 raid-1; #3 web1 raid-2; #4 web1 raid-3; #5 web1 raid-4; #6 #7 #8 #9 #10 #11 #12. Say "ack <id>" in chat',
      "email: DIGEST 12 alerts, 12 raised",
    ]);
    for (const { text } of [...to("alice", "xmpp"), ...to("alice", "email")])
      assert.ok(text.includes("…and 9 more."), text);
    assert.deepEqual(read, [3, 12, 3], "the chat and the email digest read their first 3, the SMS all 12");
  });

  /** Raises a storm of urgent alerts for alice, and lets its pages and their fallbacks go: its reminders fall due at 15m. */
  const urgentStorm = async (size: number): Promise<void> => {
    await apply(Array.from({ length: size }, (_, i) => alert(`c${i}`, { importance: 100 })));
    await advance(14 * M);
    assert.deepEqual(
      firstLines(to("alice")).map((l) => l.replace(/:.*/, "")),
      ["xmpp", "sms", "email"],
    );
    got.length = 0;
  };
  /** Lets time pass a second at a time with no tick of the core: only the bot's own timers act. */
  const passTime = async (ms: number): Promise<void> => {
    for (let t = 0; t < ms; t += 1_000) {
      clock.advance(1_000);
      await core.idle();
    }
  };
  /** Makes storing a digest's outcome throw for the slices `fails` picks (counted from 1); counts the slices tried. */
  const failDigested = (fails: (slice: number, ids: readonly number[]) => boolean): { tried: () => number } => {
    const finishEach = store.policy.finishEach.bind(store.policy);
    let slices = 0;
    store.policy.finishEach = (ids, status, at) => {
      if (status === "digested" && fails(++slices, ids)) throw new Error("disk I/O error");
      finishEach(ids, status, at);
    };
    return { tried: () => slices };
  };
  /** How many notices are still to be stored as told, turn by turn, until none. */
  const turnByTurn = async (between?: (ready: number) => Promise<void>): Promise<number[]> => {
    const left: number[] = [];
    for (let turn = 0; turn < 100; turn++) {
      await new Promise((resolve) => setImmediate(resolve));
      const ready = store.gauges.outbox(clock.now()).ready;
      if (ready === 0 && left.length > 0) break;
      if (left.at(-1) !== ready) {
        left.push(ready);
        await between?.(ready);
      }
    }
    return left;
  };

  it("a storm's reminders are stored a slice at a time: an ack is answered between, and every one ends digested", async () => {
    await start(Date.UTC(2026, 2, 2, 10, 0));
    const STORM = 4_500;
    await urgentStorm(STORM);
    clock.advance(M);
    await core.tick();
    let reply: string | null | undefined;
    const left = await turnByTurn(async (ready) => {
      if (reply === undefined && ready > 0 && ready < STORM)
        reply = await core.handleChat("alice@x.org/phone", "ack 4400");
    });
    assert.deepEqual(firstLines(to("alice")), [`xmpp: DIGEST ${STORM} alerts, ${STORM} raised`]);
    assert.ok(left.length >= 2, `stored over several turns, not in one: ${left.join(" → ")}`);
    assert.match(reply ?? "", /^#4400 .* acknowledged/, "answered while the reminders were still being stored");
    await core.idle();
    assert.deepEqual(store.gauges.outbox(clock.now()).ready, 0);
  });

  it("a storm's digest whose notices are chased is stored whole, its fallbacks with it: they go as one", async () => {
    await start(Date.UTC(2026, 2, 2, 10, 0));
    const STORM = 4_500;
    await core.applyUpdate(
      update(
        "web1",
        Array.from({ length: STORM }, (_, i) => alert(`c${i}`, { importance: 50 })),
      ),
      origin,
    );
    const left = await turnByTurn();
    assert.ok(
      left.every((ready) => ready === 0 || ready === STORM),
      `in one turn, never a part of it: ${left.join(" → ")}`,
    );
    await core.idle();
    // Each one's email fallback waits.
    assert.deepEqual(store.gauges.outbox(clock.now()), { ready: 0, waiting: STORM, oldestReadyAgeMs: 0 });
    await advance(5 * M);
    assert.deepEqual(firstLines(to("alice")), [
      `xmpp: DIGEST ${STORM} alerts, ${STORM} raised`,
      `email: DIGEST ${STORM} alerts, ${STORM} raised`,
    ]);
  });

  it("a slice of a storm's reminders that cannot be stored is stored at the next try, sent once; the slices after it are stored", async () => {
    await start(Date.UTC(2026, 2, 2, 10, 0));
    const STORM = 4_500;
    await urgentStorm(STORM);
    const slices = failDigested((n) => n === 2);
    await advance(M);
    assert.deepEqual(firstLines(to("alice")), [`xmpp: DIGEST ${STORM} alerts, ${STORM} raised`]);
    assert.equal(slices.tried(), 3, "every slice was tried");
    assert.equal(store.gauges.outbox(clock.now()).ready, 2_000, "the failed slice's reminders are not stored yet");
    assert.ok(logged.some((l) => l.msg === "storing send outcomes failed; trying again shortly"));
    await advance(M);
    assert.equal(slices.tried(), 4, "tried again");
    assert.equal(store.gauges.outbox(clock.now()).ready, 0, "stored at the next try");
    assert.deepEqual(firstLines(to("alice")), [`xmpp: DIGEST ${STORM} alerts, ${STORM} raised`], "and not sent again");
  });

  it("a slice of a storm's reminders that cannot be stored at any try is sent again, without a restart", async () => {
    await start(Date.UTC(2026, 2, 2, 10, 0));
    const STORM = 4_500;
    await urgentStorm(STORM);
    let failing = true;
    failDigested((n, ids) => failing && ids.length === 2_000 && n >= 2);
    await advance(M);
    assert.equal(store.gauges.outbox(clock.now()).ready, 2_000);
    await passTime(11_000); // its tries, 5 s apart
    failing = false;
    assert.ok(
      logged.some(
        (l) => l.msg === "storing send outcomes failed again; those deliveries stay pending and are sent again",
      ),
    );
    await passTime(10_000); // its resend's outcome, tried again once the disk is back
    assert.deepEqual(
      firstLines(to("alice", "xmpp")),
      [`xmpp: DIGEST ${STORM} alerts, ${STORM} raised`, "xmpp: DIGEST 2000 alerts, 2000 raised"],
      "sent again, once its tries were spent",
    );
    assert.equal(store.gauges.outbox(clock.now()).ready, 0);
  });

  it("a page whose outcome cannot be stored at any try is sent again and then chased: nothing waits for a restart", async () => {
    await start(Date.UTC(2026, 2, 2, 10, 0));
    const finish = store.policy.finish.bind(store.policy);
    let failing = true;
    store.policy.finish = (id, status, at) => {
      if (failing && status === "sent") throw new Error("disk I/O error");
      finish(id, status, at);
    };
    await apply([alert("db-down", { importance: 50 })]);
    await passTime(11_000); // three tries, 5 s apart, then let go and sent again
    failing = false;
    await passTime(15_000);
    const chat = firstLines(to("alice", "xmpp"));
    assert.ok(chat.length >= 2 && chat.every((l) => /^xmpp: RAISED #1 web1 db-down/.test(l)), chat.join(" | "));
    await advance(5 * M);
    assert.ok(
      firstLines(to("alice", "email")).some((l) => /^email: RAISED #1 web1 db-down/.test(l)),
      "its fallback was armed once the outcome was stored",
    );
  });

  // A send's outcome is stored in the transaction of updates that arrive in its turn (storeOutcomes):
  // that transaction rolled back (its commit failed on a full disk), the outcome was gone with it,
  // yet its delivery was no longer in flight: sent again at the next flush, its history line lost.
  it("a page whose outcome was rolled back with the updates' transaction it joined is stored at the next try, sent once", async () => {
    await start(Date.UTC(2026, 2, 2, 10, 0));
    const transaction = store.transaction.bind(store);
    let depth = 0;
    let failOuter = false;
    let rolledBack = 0;
    store.transaction = <T>(fn: () => T): T => {
      const outermost = depth === 0;
      depth++;
      try {
        return transaction(() => {
          const result = fn();
          if (outermost && failOuter) {
            failOuter = false;
            rolledBack++;
            throw new Error("disk I/O error"); // as its commit failing would
          }
          return result;
        });
      } finally {
        depth--;
      }
    };
    // While the page goes out, another update arrives: the page's outcome joins its transaction.
    let later: Promise<unknown> | undefined;
    const { channels } = (core as unknown as { settings(): { channels: Map<ChannelKind, Channel> } }).settings();
    const chat = channels.get("xmpp")!;
    const send = chat.send.bind(chat);
    let once = true;
    chat.send = async (to, m) => {
      const sent = await send(to, m);
      if (once && to.name === "alice") {
        once = false;
        failOuter = true;
        later = core.applyUpdate(update("web1", [alert("other", { importance: 10 })]), origin);
      }
      return sent;
    };
    // Not `apply`: its idle() stores what waits at once, where the bot leaves it to the updates' turn.
    await core.applyUpdate(update("web1", [alert("db-down", { importance: 50 })]), origin);
    while (later === undefined) await new Promise((r) => setImmediate(r));
    await later.catch(() => undefined);
    assert.equal(rolledBack, 1, "the transaction the outcome joined was rolled back");
    assert.ok(
      logged.some((l) => l.msg === "storing send outcomes failed; trying again shortly"),
      "heard of, and tried again",
    );
    await advance(10_000);
    await advance(M);
    assert.deepEqual(
      firstLines(to("alice", "xmpp")).filter((l) => l.includes("db-down")),
      ["xmpp: RAISED #1 web1 db-down"],
      "stored at the next try, not sent again",
    );
    const lines = store.alerts.history(1).filter((h) => h.kind === "notified" && /to alice by xmpp/.test(h.detail));
    assert.equal(lines.length, 1, "its history line kept");
  });

  // What a digest reads between taking its notices in flight and sending them can fail (an I/O
  // error reading the database): its notices stayed in flight, never sent until a restart, and a
  // page's fallbacks were never armed.
  it("a digest whose alerts cannot be read for the moment is sent again shortly: its notices are not left in flight", async () => {
    await start(Date.UTC(2026, 2, 2, 10, 0));
    const mostUrgentOf = store.alerts.mostUrgentOf.bind(store.alerts);
    let failures = 0;
    store.alerts.mostUrgentOf = (shortIds, limit) => {
      if (failures++ === 0) throw new Error("disk I/O error");
      return mostUrgentOf(shortIds, limit);
    };
    await apply([1, 2, 3, 4].map((i) => alert(`raid-${i}`, { importance: 100 })));
    assert.deepEqual(firstLines(to("alice", "xmpp")), [], "not sent: its alerts could not be read");
    await passTime(6_000); // looked at again 5 s later by the dispatcher itself
    assert.deepEqual(firstLines(to("alice", "xmpp")), ["xmpp: DIGEST 4 alerts, 4 raised"], "sent again shortly");
    await advance(5 * M);
    const sms = to("alice", "sms");
    assert.ok(sms.length === 1 && /^DIGEST 4 alerts, 4 raised/.test(sms[0]!.text), "and chased");
  });

  it("a history line of a storm's outcome that cannot be written keeps none of the rest of it from being stored", async () => {
    await start(Date.UTC(2026, 2, 2, 10, 0));
    const STORM = 4_500;
    await urgentStorm(STORM);
    const recordEach = store.alerts.recordEach.bind(store.alerts);
    let calls = 0;
    // The reminders' second slice of history lines, stored in the turn of their second slice of outcomes.
    store.alerts.recordEach = (ids, entry) => {
      if (++calls === 2) throw new Error("disk I/O error");
      recordEach(ids, entry);
    };
    await advance(M);
    assert.ok(logged.some((l) => String(l.msg).startsWith("storing send outcomes failed")));
    assert.equal(store.gauges.outbox(clock.now()).ready, 2_000, "only the slice of the failed turn is still to go");
  });

  it("a digest standing for one alert reads as that alert's notice, detail and all; one of many lists them without", async () => {
    await start(Date.UTC(2026, 2, 2, 10, 0));
    // alice's low notices go by quiet digest: the first, of one alert, goes at once.
    await apply([alert("quiet", { importance: 10, detail: "<p>rotation stuck since <b>02:00</b></p>" })]);
    const [mail] = to("alice", "email");
    assert.match(mail!.text, /^RAISED #1 web1 quiet/, mail!.text);
    assert.match(mail!.text, /rotation stuck since 02:00/, "the detail, read whole for a notice of one alert");
    await apply(
      [1, 2, 3, 4, 5].map((i) => alert(`disk-${i}`, { importance: 50, detail: `<p>volume ${i}: 99% used</p>` })),
    );
    const [digest] = to("alice", "xmpp");
    assert.match(digest!.text, /^DIGEST 5 alerts, 5 raised/, digest!.text);
    assert.doesNotMatch(digest!.text, /99% used/, digest!.text);
  });

  it("item 3: reminders keep to the step's channels and do not fall back (erin, paged by SMS, gets no email in six hours)", async () => {
    await start(Date.UTC(2026, 2, 2, 10, 0));
    await apply([alert("raid", { importance: 100, summary: "array degraded" })]);
    for (let t = 0; t < 6 * H; t += 5 * M) await advance(5 * M);
    const erin = to("erin");
    assert.deepEqual([...new Set(erin.map((g) => g.channel))], ["sms"], firstLines(erin).join(" | "));
    assert.equal(erin.length, 1 + 22, "the page at 30m, then a reminder every 15m");
    assert.match(erin[0]!.text, /^#1 ESCALATED web1 raid: array degraded Say "ack 1" in chat$/);
    assert.match(erin[1]!.text, /^#1 REMINDER web1 raid: array degraded Say "ack 1" in chat$/);
    // alice's page fell back once (SMS at 5m, email at 10m); her reminders stay in chat, where she is.
    assert.equal(to("alice", "sms").length, 1);
    assert.equal(to("alice", "email").length, 1);
    assert.equal(to("alice", "xmpp").length, 1 + 24);
  });

  it("item 4: no SMS says reply; a single notice never reads as a digest; two notices near the limit are no digest", async () => {
    await start(Date.UTC(2026, 2, 2, 10, 0));
    await apply([alert("quiet", { importance: 10, summary: "log rotation late" })]);
    assert.deepEqual(firstLines(to("alice", "email")), ["email: RAISED #1 web1 quiet: log rotation late"]);
    for (const i of [1, 2, 3]) await apply([alert(`n${i}`, { importance: 50 })]);
    assert.equal(to("alice").length, 4, "four of alice's five in ten minutes used");
    await apply([alert("a", { importance: 50 }), alert("b", { importance: 50 })]);
    assert.deepEqual(
      firstLines(to("alice").slice(4)),
      ["xmpp: RAISED #5 web1 a"],
      "one in the room left, the other waits",
    );
    await core.handleChat("alice@x.org/phone", "ack 2,3,4,5"); // no email fallbacks to join b
    await advance(10 * M);
    assert.deepEqual(
      firstLines(to("alice").slice(5)).filter((l) => l.startsWith("xmpp")),
      ["xmpp: RAISED #6 web1 b"],
      firstLines(got).join(" | "),
    );
    assert.ok(!got.some((g) => /DIGEST/.test(g.text)), firstLines(got).join(" | "));
    await apply([alert("raid", { importance: 100 })]);
    await advance(5 * M);
    const sms = to("alice", "sms");
    assert.ok(
      sms.length > 0 && sms.every((g) => !/reply/i.test(g.text) && /"ack \d+" in chat/.test(g.text)),
      sms.map((g) => g.text).join(" | "),
    );
  });

  it("a person whose page the storm limit held back hears no ACKED, NOTE or CLEARED of it: they never heard it raised", async () => {
    await start(Date.UTC(2026, 2, 2, 10, 0));
    for (const i of [1, 2, 3, 4, 5]) await apply([alert(`n${i}`, { importance: 50 })]);
    assert.equal(to("alice").length, 5, "alice's five in ten minutes used");
    await core.handleChat("alice@x.org/phone", "ack 1,2,3,4,5 for 1d"); // no email fallbacks
    await apply([alert("late", { importance: 50 })]); // #6, held for alice
    await apply([alert("gone", { importance: 50 })]); // #7, held for alice
    assert.equal(to("alice").length, 5);
    assert.match((await core.handleChat("bob@x.org/laptop", "ack 6 for 1d")) ?? "", /acknowledged/);
    assert.match((await core.handleChat("bob@x.org/laptop", "note 6 looking at it")) ?? "", /./);
    await apply([alert("gone", { importance: 50, clearTimeS: Math.floor(clock.now() / 1000) })]);
    await advance(10 * M);
    await advance(H);
    const about = (id: number) => firstLines(to("alice")).filter((l) => l.includes(`#${id} `));
    assert.deepEqual(about(6), [], firstLines(to("alice")).join(" | "));
    assert.deepEqual(about(7), [], firstLines(to("alice")).join(" | "));
    // One she did hear of still closes: her ack of #1 is told to nobody, bob's clear of #2 to her.
    assert.match((await core.handleChat("bob@x.org/laptop", "clear 2")) ?? "", /./);
    await advance(10 * M);
    assert.deepEqual(about(2), ["xmpp: RAISED #2 web1 n2", "xmpp: CLEARED #2 web1 n2"]);
  });

  it("an alert raised, cleared and raised again while the limit held its page is told once, as raised", async () => {
    await start(Date.UTC(2026, 2, 2, 10, 0));
    for (const i of [1, 2, 3, 4, 5]) await apply([alert(`n${i}`, { importance: 50 })]);
    await core.handleChat("alice@x.org/phone", "ack 1,2,3,4,5 for 1d");
    await apply([alert("flap", { importance: 50 })]); // #6, held for alice
    await advance(M);
    await apply([alert("flap", { importance: 50, clearTimeS: Math.floor(clock.now() / 1000) })]);
    await advance(M);
    await apply([alert("flap", { importance: 50, raiseTimeS: Math.floor(clock.now() / 1000) })]);
    assert.equal(store.alerts.get(6)?.status, "raised");
    await advance(10 * M);
    assert.deepEqual(firstLines(to("alice").slice(5)), ["xmpp: RAISED #6 web1 flap"]);
  });

  it("a raise heard, its clear held back by the limit, and a raise again: told in the order it happened", async () => {
    await start(Date.UTC(2026, 2, 2, 10, 0));
    for (const i of [1, 2, 3, 4]) await apply([alert(`n${i}`, { importance: 50 })]);
    await apply([alert("flap", { importance: 50 })]); // #5, told: her fifth in ten minutes
    await core.handleChat("alice@x.org/phone", "ack 1,2,3,4 for 1d");
    await advance(M);
    await apply([alert("flap", { importance: 50, clearTimeS: Math.floor(clock.now() / 1000) })]);
    await advance(M);
    await apply([alert("flap", { importance: 50, raiseTimeS: Math.floor(clock.now() / 1000) })]);
    await advance(10 * M);
    const flap = firstLines(to("alice")).filter((l) => l.includes("#5 "));
    assert.deepEqual(flap.slice(0, 3), [
      "xmpp: RAISED #5 web1 flap",
      "xmpp: CLEARED #5 web1 flap",
      "xmpp: RAISED #5 web1 flap",
    ]);
  });

  it("a CLEARED held back past the alert's next raise still reaches whoever heard of the raise it ends", async () => {
    await start(Date.UTC(2026, 2, 2, 10, 0));
    for (const i of [1, 2, 3, 4, 5]) await apply([alert(`n${i}`, { importance: 50 })]);
    assert.equal(to("alice").length, 5, "alice's five in ten minutes used");
    await apply([alert("n1", { importance: 50, clearTimeS: Math.floor(clock.now() / 1000) })]); // held
    await advance(M);
    await apply([alert("n1", { importance: 50 })]); // raised again, its page held too
    assert.equal(to("alice").length, 5);
    await advance(10 * M);
    const toAlice = store.policy.deliveriesOf(1, DELIVERY_FORM).filter((d) => d.person === "alice");
    const ends = (kind: string) => toAlice.filter((d) => d.delivery.kind === kind).map((d) => d.status);
    assert.deepEqual(ends("cleared"), ["digested"], "she heard #1 raised, so she hears it cleared");
    // The first raise's email fallback ended with that raise; the new raise's waits its turn.
    assert.deepEqual(ends("raised"), ["sent", "moot", "digested", "pending"], "and raised again");
  });

  it("a page held back, then sent, is followed by its ACKED; one folded into a digest is too", async () => {
    await start(Date.UTC(2026, 2, 2, 10, 0));
    for (const i of [1, 2, 3, 4, 5]) await apply([alert(`n${i}`, { importance: 50 })]);
    await core.handleChat("alice@x.org/phone", "ack 1,2,3,4,5 for 1d");
    await apply([alert("late", { importance: 50 })]); // #6, held for alice
    await advance(10 * M);
    assert.deepEqual(firstLines(to("alice").slice(5)), ["xmpp: RAISED #6 web1 late"]);
    await apply([7, 8, 9, 10].map((i) => alert(`d${i}`, { importance: 50 })));
    assert.match(firstLines(to("alice")).at(-1) ?? "", /DIGEST 4 alerts/);
    await core.handleChat("bob@x.org/laptop", "ack 6,7 for 1d");
    await advance(10 * M);
    const acked = firstLines(to("alice")).filter((l) => l.includes("ACKED"));
    assert.equal(acked.length, 2, firstLines(to("alice")).join(" | "));
  });

  it("a storm's follow-ups about many alerts, heard of and not, each go, wait or are dropped as before", async () => {
    // One flush looks at many follow-ups for many alerts at once: pinned so that reading them
    // alert by alert (rather than each against all still to go) changes nothing anyone is sent.
    await start(Date.UTC(2026, 2, 2, 10, 0));
    for (const i of [1, 2, 3, 4, 5]) await apply([alert(`n${i}`, { importance: 50 })]);
    await core.handleChat("alice@x.org/phone", "ack 1,2,3,4,5 for 1d");
    const storm = [6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17].map((i) => alert(`s${i}`, { importance: 50 }));
    await apply([...storm, alert("s18", { importance: 100 })]); // #18 urgent: reminded while its page waits
    await core.handleChat("bob@x.org/laptop", "ack 6,7,8,9 for 1d");
    for (const id of [10, 11, 12, 13]) await core.handleChat("bob@x.org/laptop", `note ${id} looking at it`);
    await core.handleChat("bob@x.org/laptop", "clear 1");
    await apply([14, 15].map((i) => alert(`s${i}`, { importance: 50, clearTimeS: Math.floor(clock.now() / 1000) })));
    await core.handleChat("alice@x.org/phone", "note 2 disk swapped");
    for (let t = 0; t < 2 * H; t += 10 * M) await advance(10 * M);
    const told = (person: string): string[] => firstLines(to(person)).map((l) => l.replace(/\s+\(.*$/, ""));
    const ends = (id: number): string[] =>
      store.policy.deliveriesOf(id, DELIVERY_FORM).map((d) => `${d.person} ${d.delivery.kind} ${d.status}`);
    assert.deepEqual(told("alice"), [
      "xmpp: RAISED #1 web1 n1",
      "xmpp: RAISED #2 web1 n2",
      "xmpp: RAISED #3 web1 n3",
      "xmpp: RAISED #4 web1 n4",
      "xmpp: RAISED #5 web1 n5",
      "xmpp: DIGEST 8 alerts, 7 raised",
      "xmpp: DIGEST 4 alerts, 4 raised",
      'sms: DIGEST 7 alerts, 7 raised: #18 web1 s18; #10 web1 s10; #11 web1 s11; #12 web1 s12; #13 web1 s13; #16 web1 s16; #17 web1 s17. Say "ack <id>" in chat',
      "email: DIGEST 7 alerts, 7 raised",
      "xmpp: DIGEST 7 alerts, 7 raised",
      "xmpp: REMINDER #18 web1 s18",
      "xmpp: REMINDER #18 web1 s18",
      "xmpp: REMINDER #18 web1 s18",
      "xmpp: REMINDER #18 web1 s18",
      "xmpp: REMINDER #18 web1 s18",
      "xmpp: REMINDER #18 web1 s18",
    ]);
    assert.deepEqual(told("erin"), [
      'sms: #18 ESCALATED web1 s18 Say "ack 18" in chat',
      'sms: #18 REMINDER web1 s18 Say "ack 18" in chat',
      'sms: #18 REMINDER web1 s18 Say "ack 18" in chat',
      'sms: #18 REMINDER web1 s18 Say "ack 18" in chat',
      'sms: #18 REMINDER web1 s18 Say "ack 18" in chat',
      'sms: #18 REMINDER web1 s18 Say "ack 18" in chat',
      'sms: #18 REMINDER web1 s18 Say "ack 18" in chat',
    ]);
    assert.deepEqual(
      [...Array(18).keys()].map((i) => ends(i + 1).join(", ")),
      [
        "alice raised sent, alice raised moot, alice cleared digested",
        "alice raised sent, alice raised moot",
        "alice raised sent, alice raised moot",
        "alice raised sent, alice raised moot",
        "alice raised sent, alice raised moot",
        "alice raised moot, alice acked moot",
        "alice raised moot, alice acked moot",
        "alice raised moot, alice acked moot",
        "alice raised moot, alice acked moot",
        "alice raised digested, alice noted digested, alice raised digested, alice raised digested",
        "alice raised digested, alice noted digested, alice raised digested, alice raised digested",
        "alice raised digested, alice noted digested, alice raised digested, alice raised digested",
        "alice raised digested, alice noted digested, alice raised digested, alice raised digested",
        "alice raised moot, alice cleared moot",
        "alice raised moot, alice cleared moot",
        "alice raised digested, alice raised digested, alice raised digested",
        "alice raised digested, alice raised digested, alice raised digested",
        "alice raised digested, alice raised digested, alice raised digested, alice reminder digested, erin escalated sent, alice reminder sent, erin reminder sent, alice reminder sent, erin reminder sent, alice reminder sent, erin reminder sent, alice reminder sent, erin reminder sent, alice reminder sent, erin reminder sent, alice reminder sent, erin reminder sent",
      ],
    );
  });

  it("a log of sends far past the limit holds a person's notices until the limit-th newest leaves the window", async () => {
    const t0 = Date.UTC(2026, 2, 2, 10, 0);
    await start(t0);
    // Twenty sends to alice in the last seven minutes (the limit lowered by a reload, say), of
    // every kind, one logged ahead of now (a clock stepped back), older ones, her last quiet
    // digest two hours ago; and bob's, which are not hers.
    const kinds = ["single", "digest", "single", "quiet-digest", "single"];
    for (let i = 19; i >= 0; i--) store.policy.recordSend("alice", kinds[i % kinds.length]!, t0 - i * 20_000);
    store.policy.recordSend("alice", "single", t0 + 530_000);
    for (let i = 0; i < 30; i++) store.policy.recordSend("alice", "digest", t0 - 10 * M - i * M);
    store.policy.recordSend("alice", "quiet-digest", t0 - 2 * H);
    for (let i = 0; i < 10; i++) store.policy.recordSend("bob", "single", t0 - 8 * M - i * 1_000);
    await apply([alert("n1", { importance: 50 }), alert("n2", { importance: 60 }), alert("q", { importance: 10 })]);
    // The fifth newest of hers leaves at 520s: room for one (the other waits for the next to
    // leave), but at 540s the one logged ahead counts too, so until 560s; the quiet one waits for
    // the hour since the last quiet digest, inside the window.
    const seen: string[] = [];
    for (const atS of [519, 520, 539, 540, 559, 560, 819, 820, 860, 3539, 3540]) {
      const before = to("alice").length;
      await advance(t0 + atS * 1_000 - clock.now());
      seen.push(`${atS}s: ${firstLines(to("alice").slice(before)).join(", ")}`);
    }
    assert.deepEqual(seen, [
      "519s: ",
      "520s: xmpp: RAISED #1 web1 n1",
      "539s: ",
      "540s: ",
      "559s: ",
      "560s: xmpp: RAISED #2 web1 n2",
      "819s: ",
      "820s: email: RAISED #1 web1 n1",
      "860s: email: RAISED #2 web1 n2",
      "3539s: ",
      "3540s: email: RAISED #3 web1 q",
    ]);
  });

  it("a person's notices held by the limit go when it frees, though the first look then could not read them", async () => {
    const t0 = Date.UTC(2026, 2, 2, 10, 0);
    await start(t0);
    for (let i = 0; i < 5; i++) store.policy.recordSend("alice", "single", t0 - i * M);
    await apply([alert("n1", { importance: 50 })]);
    assert.deepEqual(to("alice"), [], "over the limit: held");
    const peopleWithPending = store.policy.peopleWithPending.bind(store.policy);
    let failing = true;
    store.policy.peopleWithPending = (now) => {
      if (failing) {
        failing = false;
        throw new Error("disk I/O error");
      }
      return peopleWithPending(now);
    };
    // Thrown out of its timer, the look crashed AlertBot (an uncaught exception ends the process).
    await advance(6 * M + 1_000);
    await advance(M);
    assert.equal(failing, false, "the look that failed was tried");
    assert.deepEqual(firstLines(to("alice", "xmpp")), ["xmpp: RAISED #1 web1 n1"]);
  });

  it("item 5: ACK EXPIRED reaches whoever held the ack, not only whoever is on call now", async () => {
    await start(Date.UTC(2026, 2, 2, 10, 0));
    await apply([alert("disk", { importance: 50 })]);
    await core.handleChat("bob@x.org/laptop", "ack 1 for 1h");
    await advance(59 * M);
    assert.ok(!got.some((g) => /ACK EXPIRED/.test(g.text)));
    await advance(M);
    const expired = got.filter((g) => /^ACK EXPIRED #1/.test(g.text)).map((g) => `${g.person} ${g.channel}`);
    assert.deepEqual(expired.sort(), ["alice xmpp", "bob xmpp"]);
  });

  it('item 6: "for 4 working hours" counts the workgroup\'s own window (office), over a weekend', async () => {
    await start(Date.UTC(2026, 2, 6, 16, 30), "\n    working_hours: office"); // Friday 16:30 in London (GMT)
    await apply([alert("disk", { importance: 50 })]);
    const reply = await core.handleChat("alice@x.org/phone", "ack 1 for 4 working hours");
    assert.match(reply ?? "", /acknowledged for 2d19h\S* \(4 working hours\)/);
    assert.equal(store.alerts.get(1)?.ack?.until, Date.UTC(2026, 2, 9, 12, 0), "1h on Friday, 3h on Monday morning");
    const before = got.length;
    await advance(66 * H); // Monday 10:30
    assert.equal(got.length, before, "still acked over the weekend");
    await advance(90 * M);
    assert.deepEqual(firstLines(got.slice(before)), ["xmpp: ACK EXPIRED #1 web1 disk"]);
  });

  it("item 7: an update from a clock 8 months off is applied, warned about once an hour per source, and shown by detail", async () => {
    await start(Date.UTC(2026, 10, 2, 10, 0));
    const eightMonthsAgo = Math.floor(Date.UTC(2026, 2, 2, 10, 0) / 1000);
    const skewed = (after: number) => ({ transmissionTimeS: eightMonthsAgo + after });
    await apply([alert("disk", { importance: 50 })], skewed(0));
    assert.equal(store.alerts.get(1)?.status, "raised", "applied, as Mauve does");
    await advance(30 * M);
    await apply([alert("cpu", { importance: 50 })], skewed(1800));
    const warnings = () => logged.filter((l) => String(l["msg"]).startsWith("sender's clock is far"));
    assert.equal(warnings().length, 1, "once within the hour");
    assert.equal(warnings()[0]!["source"], "web1");
    await advance(31 * M);
    await apply([alert("mem", { importance: 50 })], skewed(3660));
    assert.equal(warnings().length, 2, "again an hour later");
    const detail = await core.handleChat("alice@x.org/phone", "detail 1");
    assert.match(detail ?? "", /Clock skew: web1's clock was \S+ behind AlertBot's at its last update/);
    await apply([alert("disk", { importance: 50 })], { transmissionTimeS: Math.floor(clock.now() / 1000) });
    assert.doesNotMatch(
      (await core.handleChat("alice@x.org/phone", "detail 1")) ?? "",
      /Clock skew/,
      "a clock set right again clears it",
    );
    assert.equal(warnings().length, 2);
  });
});
