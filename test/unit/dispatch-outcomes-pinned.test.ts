// Issue 17, people first: what a due run's outbox flush tells people, and what it stores of it,
// pinned as the dispatcher tells it (recorded before any work to split it across turns): every
// message each person got on each channel, every delivery row and who heard of each alert's raise.
// A mixed case: a few single pages, a storm digested, an ack in the middle (its notice to those
// told, the reminders it makes moot), then the reminders of the rest falling due together.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { FakeClock } from "../../src/clock/fake-clock.js";
import type { Channel, ChannelKind, Recipient } from "../../src/notify/channel.js";
import type { NotificationMessage } from "../../src/notify/message.js";
import { smsText } from "../../src/notify/sms-channel.js";
import { Store } from "../../src/store/store.js";
import { advanceCore, fakeClockCore } from "../helpers/fake-clock-core.js";
import { testConfig } from "../helpers/test-config.js";
import { alert, update } from "../helpers/updates.js";

const T0 = 1_700_000_000_000;
const M = 60_000;

class Recorder implements Channel {
  constructor(
    readonly name: ChannelKind,
    private readonly got: string[],
  ) {}
  async send(to: Recipient, m: NotificationMessage) {
    this.got.push(`${to.name} by ${this.name}: ${this.name === "sms" ? smsText(m) : m.text}`);
    return { ok: true as const };
  }
}

const config = testConfig(
  `people:
  - { name: alice, jid: alice@x.org, email: alice@x.org, sms: "+447700900001", notify: { urgent: [xmpp, sms], normal: [xmpp, email], low: [email] } }
  - { name: bob, jid: bob@x.org, email: bob@x.org, notify: { urgent: [xmpp, email], normal: [xmpp], low: [xmpp] } }
workgroups:
  - name: ops
    members: [alice, bob]
    escalation:
      urgent: { steps: [{ after: 0m, notify: all }], reminder: 30m }
      normal: { steps: [{ after: 0m, notify: oncall }], reminder: 30m }
rules:
  - { match: { importance: "100.." }, level: urgent, workgroup: ops }
  - { level: normal, workgroup: ops }
storm: { per_person_limit: 5 per 10m, digest_after: 3, digest_top: 3, quiet_digest_every: 1h }
email: { smtp: { host: 127.0.0.1, port: 2525, secure: false }, from: m@x.org }
sms: { url: "http://127.0.0.1:9/send", body_template: '{"to": "{to}", "text": "{text}"}', encoding: json, from: Mauve }
`,
  "x.org",
);

/** The same rows counted by what they say but the alert, for a storm too large to list. */
function counted(rows: readonly string[]): string[] {
  const counts = new Map<string, number>();
  for (const r of rows) {
    const key = r.replace(/^#\d+ /, "");
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([k, n]) => `${n} × ${k}`).sort();
}

const CASES = [
  { name: "a storm of 40", storm: 40, fixture: "outcomes-pinned.json", list: true },
  { name: "a storm of 4,500 (several slices)", storm: 4_500, fixture: "outcomes-pinned-large.json", list: false },
];

describe("what a due run's outbox flush tells and stores (pinned)", () => {
  for (const { name, storm, fixture, list } of CASES)
    it(`${name}: tells every notice, and stores every delivery and who heard, as before`, async () => {
      const FIXTURE = new URL(`../fixtures/dispatch/${fixture}`, import.meta.url);
      const store = Store.open(":memory:");
      const clock = new FakeClock(T0);
      const got: string[] = [];
      const channels = new Map<ChannelKind, Channel>(
        (["xmpp", "email", "sms"] as const).map((k) => [k, new Recorder(k, got)]),
      );
      const core = fakeClockCore({ store, clock, policy: config, channels });
      await core.start();
      const steps: string[] = [];
      const step = (name: string): void => {
        steps.push(`== ${name}`, ...got.splice(0));
      };
      // A few alerts, one urgent: single pages.
      await core.applyUpdate(
        update("few", [
          alert("disk", { summary: "disk full", importance: 100 }),
          alert("load", { summary: "load high", importance: 50 }),
        ]),
        { via: "udp" },
      );
      await advanceCore(clock, core, 1_000);
      step("a few raised");
      // A storm: past the limit, digested.
      await core.applyUpdate(
        update(
          "storm",
          Array.from({ length: storm }, (_, i) =>
            alert(`c${i}`, { summary: `check ${i} failed`, importance: (i * 37) % 99 }),
          ),
        ),
        { via: "udp" },
      );
      await advanceCore(clock, core, 1_000);
      step("a storm raised");
      await advanceCore(clock, core, 12 * M);
      step("the limit frees");
      // An ack in the middle: of a single page and of one of the storm.
      const ackFew = await core.handleChat("bob@x.org", "ack 1 for 2h");
      const ackStorm = await core.handleChat("alice@x.org", "ack 10 for 2h");
      await advanceCore(clock, core, 1_000);
      step(`acks: ${ackFew?.split("\n")[0]} / ${ackStorm?.split("\n")[0]}`);
      // The reminders of the rest fall due together.
      for (let i = 0; i < 8; i++) {
        await advanceCore(clock, core, 5 * M);
        step(`+${(i + 1) * 5}m`);
      }
      await core.idle();
      const shortIds = store.alerts.list("raised").map((a) => a.shortId);
      const all = [...new Set([...shortIds, ...store.alerts.list("acked").map((a) => a.shortId)])].sort(
        (a, b) => a - b,
      );
      const heard = store.policy.heardOf(all);
      const rows = all.flatMap((id) =>
        store.policy
          .deliveriesOf(id)
          .map(
            (d) =>
              `#${id} ${d.person} ${d.status} ${JSON.stringify(d.delivery)} created ${d.createdAt - T0} updated ${d.updatedAt - T0}`,
          ),
      );
      const heardRows = all.map((id) => `#${id} heard ${JSON.stringify(heard.get(id))}`);
      const actual = list
        ? { told: steps, deliveries: rows, heard: heardRows }
        : { told: steps, deliveries: counted(rows), heard: counted(heardRows) };
      core.stop();
      store.close();
      if (process.env.PIN_RECORD) writeFileSync(FIXTURE, JSON.stringify(actual, null, 1) + "\n");
      const expected = JSON.parse(readFileSync(FIXTURE, "utf8")) as typeof actual;
      assert.deepEqual(actual.told, expected.told);
      assert.deepEqual(actual.deliveries, expected.deliveries);
      assert.deepEqual(actual.heard, expected.heard);
    });
});
