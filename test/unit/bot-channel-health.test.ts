// A channel that keeps failing for one person: past a few notices in a row not delivered, AlertBot
// raises an alert of its own, told on the channels still working; the next notice delivered on
// that channel clears it. Real store, fake clock, recording channels.
import assert from "node:assert/strict";
import { BotCore } from "../../src/bot/bot-core.js";
import { Settings, settingsFromConfig, type BotSettings } from "../../src/bot/settings.js";
import { channelAlertId, FAILURES_BEFORE_ALERT, mootChannelAlerts } from "../../src/bot/channel-health.js";
import { OWN_ALERT_ACTOR } from "../../src/bot/own-alert.js";
import { FakeClock } from "../../src/clock/fake-clock.js";
import { failed } from "../../src/notify/channel.js";
import { Store } from "../../src/store/store.js";
import { alert, pubsubOrigin, update } from "../helpers/updates.js";
import { RecordingChannel, channelsOf } from "../helpers/fake-clock-core.js";
import { LogLines } from "../helpers/spine.js";
import { testConfig } from "../helpers/test-config.js";

const TAIL = `sms: { url: "http://127.0.0.1:9/send?to={to}&text={text}", method: GET }
storm: { per_person_limit: 100 per 1m }
`;
const config = testConfig(
  `people:
  - { name: alice, jid: alice@x.org, sms: "+447700900123", notify: { normal: [sms, xmpp] } }
  - { name: bob, jid: bob@x.org, sms: "+447700900456", notify: { normal: [sms, xmpp] } }
${TAIL}`,
  "x.org",
);
const origin = pubsubOrigin("web1", "x.org");
const SELF = "alertbot.x.org";

describe("AlertBot's own alert about a channel that keeps failing for a person", () => {
  let clock: FakeClock;
  let store: Store;
  let core: BotCore;
  let chat: RecordingChannel;
  let sms: RecordingChannel;
  let settings: Settings<BotSettings>;
  const logs = new LogLines();

  beforeEach(async () => {
    clock = new FakeClock();
    store = Store.open(":memory:");
    chat = new RecordingChannel("xmpp");
    sms = new RecordingChannel("sms");
    settings = new Settings<BotSettings>(settingsFromConfig(config, channelsOf(chat, sms)));
    core = new BotCore({
      settings,
      store,
      clock,
      log: logs.logger,
      inputs: { presence: () => "online", down: () => new Map() },
      retry: { attempts: 1 },
      ownSource: SELF,
    });
    await core.start();
  });
  afterEach(() => {
    core.stop();
    store.close();
  });

  /** One new alert from web1, told to everyone; the SMS gateway answers as given, per person. */
  async function raise(id: string, smsFor: Record<string, "ok" | "401">): Promise<void> {
    const original = sms.send.bind(sms);
    sms.send = async (to, m) => {
      const r = await original(to, m);
      return smsFor[to.name] === "401" ? failed(false, "HTTP 401 Unauthorized") : r;
    };
    await core.applyUpdate(update("web1", [alert(id)]), origin);
    // The own alert is raised as the notices' outcomes come in, and told in turn: let it all settle.
    for (let i = 0; i < 3; i++) {
      await core.idle();
      await new Promise((r) => setImmediate(r));
      clock.advance(1_000);
      await core.tick();
    }
    await core.idle();
    sms.send = original;
  }

  const own = (person: string) => store.alerts.find(SELF, channelAlertId("sms", person));

  it(`raises after ${FAILURES_BEFORE_ALERT} notices in a row fail for one person, tells everyone on what works, clears on the next delivered`, async () => {
    for (let i = 1; i < FAILURES_BEFORE_ALERT; i++) await raise(`a${i}`, { alice: "401", bob: "ok" });
    assert.equal(own("alice"), undefined, "not before the threshold");
    await raise(`a${FAILURES_BEFORE_ALERT}`, { alice: "401", bob: "ok" });
    const raised = own("alice");
    assert.equal(raised?.status, "raised");
    assert.match(raised.summary, /alice cannot be reached by SMS: the last 3 notices failed \(HTTP 401 Unauthorized\)/);
    assert.equal(store.alerts.history(raised.shortId)[0]?.actor, OWN_ALERT_ACTOR);
    assert.equal(own("bob"), undefined, "bob's SMS works");
    // Told like any alert: bob by SMS, alice in chat (her SMS failing, chat at once).
    const told = new RegExp(
      `RAISED #${raised.shortId} ${SELF.replace(/\./g, "\\.")} ${channelAlertId("sms", "alice")}`,
    );
    assert.ok(
      chat.sent.some((l) => l.startsWith("alice: ") && told.test(l)),
      chat.sent.join("\n"),
    );
    assert.ok(
      sms.sent.some((l) => l.startsWith("bob: ") && told.test(l)),
      sms.sent.join("\n"),
    );

    await raise("after", { alice: "ok", bob: "ok" });
    assert.equal(own("alice")?.status, "cleared");
    assert.deepEqual(
      store.alerts
        .history(raised.shortId)
        .map((h) => h.kind)
        .filter((k) => k === "raised" || k === "cleared"),
      ["raised", "cleared"],
    );
  });

  it("a clear that could not be written (the disk full) is tried again by the next notice delivered", async () => {
    for (let i = 1; i <= FAILURES_BEFORE_ALERT; i++) await raise(`a${i}`, { alice: "401" });
    assert.equal(own("alice")?.status, "raised");
    const save = store.alerts.save.bind(store.alerts);
    let failing = true;
    store.alerts.save = (state, stored, escalation) => {
      if (failing && state.alertId === channelAlertId("sms", "alice") && state.status === "cleared")
        throw new Error("disk I/O error");
      return save(state, stored, escalation);
    };
    await raise("works-again", { alice: "ok" });
    assert.equal(own("alice")?.status, "raised", "its clear was not written");
    failing = false;
    await raise("and-again", { alice: "ok" });
    assert.equal(own("alice")?.status, "cleared", "not left saying her SMS fails while it works");
  });

  it("a reload that no longer tells alice by SMS clears her alert: no notice would ever clear it", async () => {
    for (let i = 1; i <= FAILURES_BEFORE_ALERT; i++) await raise(`a${i}`, { alice: "401" });
    assert.equal(own("alice")?.status, "raised");
    const reload = async (people: string): Promise<void> => {
      await settings.replace(
        settingsFromConfig(testConfig(`people:\n${people}${TAIL}`, "x.org"), channelsOf(chat, sms)),
      );
      await core.idle();
    };
    // Still told by SMS at some level: kept.
    await reload(`  - { name: alice, jid: alice@x.org, sms: "+447700900123", notify: { urgent: [sms], normal: [xmpp] } }
  - { name: bob, jid: bob@x.org, notify: { normal: [xmpp] } }
`);
    assert.equal(own("alice")?.status, "raised");
    await reload(`  - { name: alice, jid: alice@x.org, notify: { normal: [xmpp] } }
  - { name: bob, jid: bob@x.org, notify: { normal: [xmpp] } }
`);
    const cleared = own("alice");
    assert.equal(cleared?.status, "cleared");
    assert.equal(cleared.summary, "alice is no longer told by SMS");
  });

  it("mootChannelAlerts: a person removed, or no longer told on the channel; others' alerts and other sources left alone", () => {
    const people = testConfig(
      `people:
  - { name: bob, jid: bob@x.org, email: bob@x.org, notify: { normal: [xmpp], low: [email_digest] } }
  - { name: carol, jid: carol@x.org, notify: { normal: [xmpp] } }
email: { smtp: { host: 127.0.0.1, port: 2525, secure: false }, from: m@x.org }
`,
      "x.org",
    ).people;
    const raisedOwn = (source: string, alertId: string) =>
      ({ source, alertId, status: "raised" }) as Parameters<typeof mootChannelAlerts>[0][number];
    const moot = mootChannelAlerts(
      [
        raisedOwn(SELF, "notify-sms-alice"),
        raisedOwn(SELF, "notify-email-bob"),
        raisedOwn(SELF, "notify-email-carol"),
        raisedOwn("web1", "notify-sms-carol"),
        raisedOwn(SELF, "xmpp-link"),
      ],
      SELF,
      people,
    );
    assert.deepEqual(moot, [
      { person: "alice", channel: "sms", why: "alice is no longer in AlertBot's configuration" },
      { person: "carol", channel: "email", why: "carol is no longer told by email" },
    ]);
  });

  it("a notice delivered in between starts the count again", async () => {
    await raise("a1", { alice: "401" });
    await raise("a2", { alice: "401" });
    await raise("a3", { alice: "ok" });
    await raise("a4", { alice: "401" });
    await raise("a5", { alice: "401" });
    assert.equal(own("alice"), undefined);
  });

  it("a failing chat line raises nothing (the link alert is for a server AlertBot cannot reach)", async () => {
    for (let i = 0; i < FAILURES_BEFORE_ALERT + 1; i++) {
      chat.answers.push(failed(false, "not connected"), failed(false, "not connected"));
      await raise(`c${i}`, {});
    }
    assert.equal(store.alerts.find(SELF, channelAlertId("xmpp", "alice")), undefined);
  });
});
