// AlertBot's database cannot be written: the people on call are told once per episode, on every
// channel they have for the level, the database is tried again until a write commits, and then
// they hear it is over and what was refused is read again. Fake clock, recorded effects.
import assert from "node:assert/strict";
import { StorageAlarm, storageAlarmRecipients, STORAGE_PROBE_EVERY_MS } from "../../src/bot/storage-alarm.js";
import { FakeClock } from "../../src/clock/fake-clock.js";
import { StorageUnavailableError } from "../../src/errors.js";
import type { Presence } from "../../src/policy/delivery.js";
import { LogLines } from "../helpers/spine.js";
import { testConfig } from "../helpers/test-config.js";

const SELF = "alertbot.x.org";
const full = new StorageUnavailableError("database or disk is full (SQLITE_FULL)");

describe("StorageAlarm", () => {
  let clock: FakeClock;
  let logs: LogLines;
  let told: Array<[string, string]>;
  let recovered: number;
  let writable: boolean;
  let alarm: StorageAlarm;
  let changes: number;

  beforeEach(() => {
    clock = new FakeClock();
    logs = new LogLines();
    told = [];
    recovered = 0;
    writable = false;
    changes = 0;
    alarm = new StorageAlarm({
      changed: () => changes++,
      clock,
      log: logs.logger,
      probe: () => {
        if (!writable) throw full;
      },
      tell: async (kind, subject) => {
        told.push([kind, subject]);
      },
      recovered: async () => {
        recovered++;
      },
    });
  });
  afterEach(() => alarm.stop());

  it("tells once however many writes fail, probes until one commits, then tells it is over and reads again", () => {
    assert.deepEqual(alarm.troubles(), []);
    clock.advance(1_000);
    const since = clock.now();
    alarm.failed(full);
    alarm.failed(full);
    alarm.failed(full);
    assert.deepEqual(told, [["raised", "AlertBot cannot write its database"]]);
    assert.equal(changes, 1, "boards are told it started");
    const [trouble, ...more] = alarm.troubles();
    assert.equal(more.length, 0);
    assert.equal(trouble!.since, since);
    assert.match(trouble!.text, /^AlertBot cannot write its database \(database or disk is full \(SQLITE_FULL\)\)/);
    assert.equal(alarm.active, true);
    assert.equal(logs.lines.filter((l) => String(l["msg"]).startsWith("AlertBot cannot write")).length, 1);

    clock.advance(STORAGE_PROBE_EVERY_MS * 30); // five minutes of failed probes
    assert.equal(told.length, 1);
    assert.equal(recovered, 0);
    assert.equal(logs.withMsg("AlertBot still cannot write its database").length, 1);

    writable = true;
    clock.advance(STORAGE_PROBE_EVERY_MS);
    assert.deepEqual(told[1], ["cleared", "AlertBot can write its database again"]);
    assert.equal(recovered, 1);
    assert.equal(alarm.active, false);
    assert.deepEqual(alarm.troubles(), []);
    assert.equal(changes, 2, "and that it ended");
    clock.advance(STORAGE_PROBE_EVERY_MS * 10);
    assert.equal(told.length, 2, "nothing more once it is over");

    // The next failure is a new episode, told again.
    writable = false;
    alarm.failed(full);
    assert.deepEqual(told[2], ["raised", "AlertBot cannot write its database"]);
  });

  it("stops probing when stopped", () => {
    alarm.failed(full);
    alarm.stop();
    writable = true;
    clock.advance(STORAGE_PROBE_EVERY_MS * 5);
    assert.equal(recovered, 0);
  });
});

describe("storageAlarmRecipients", () => {
  const config = testConfig(
    `people:
  - { name: alice, jid: alice@x.org, sms: "+447700900123", notify: { urgent: [xmpp, sms] } }
  - { name: bob, jid: bob@x.org, email: bob@x.org, notify: { urgent: [xmpp, email] } }
  - { name: carol, jid: carol@x.org, notify: { urgent: [xmpp] } }
  - { name: dave, jid: dave@x.org, sms: "+447700900456" }
workgroups:
  - { name: ops, members: [alice, bob, carol] }
  - { name: dev, members: [dave] }
rules:
  - { match: { source: "${SELF}" }, level: urgent, workgroup: ops }
  - { level: normal, workgroup: dev }
sms: { url: "http://127.0.0.1:9/send?to={to}&text={text}", method: GET }
email: { from: alertbot@x.org, smtp: { host: 127.0.0.1, port: 9 } }
`,
    "x.org",
  );

  it("everyone on call for AlertBot's own alerts, on all their channels for the level; chat only while connected", () => {
    const presence: Record<string, Presence> = { alice: "online", bob: "offline", carol: "offline" };
    const got = storageAlarmRecipients(config, (p) => presence[p] ?? "unknown", SELF, Date.UTC(2026, 11, 3, 3));
    assert.deepEqual(got, [
      { person: "alice", channels: ["xmpp", "sms"] },
      { person: "bob", channels: ["email"] },
      // Chat is all carol has: her server keeps it for her.
      { person: "carol", channels: ["xmpp"] },
    ]);
  });
});
