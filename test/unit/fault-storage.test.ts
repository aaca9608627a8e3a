// Fault: storage. WAL on a real file, every update applied in one transaction (a SIGKILLed writer
// leaves whole updates or none), a damaged file refused at start with a clear error, and migrations
// from the previous schema version keeping the data.
import assert from "node:assert/strict";
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ingestUpdate, RECENT_SEQUENCED_KEPT } from "../../src/ingest/ingest-update.js";
import { openDatabase, StoreError } from "../../src/store/database.js";
import { MIGRATIONS } from "../../src/store/migrations.js";
import { Store } from "../../src/store/store.js";
import { ChildRun } from "../helpers/process-child.js";
import { waitFor } from "../helpers/wait-for.js";
import { alert, update } from "../helpers/updates.js";

describe("fault: storage", function () {
  this.timeout(30_000);
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "mauve-fault-store-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("runs in WAL mode with synchronous=NORMAL on a real file", () => {
    const path = join(dir, "bot.sqlite");
    const db = openDatabase(path);
    try {
      assert.equal(db.pragma("journal_mode", { simple: true }), "wal");
      assert.equal(db.pragma("synchronous", { simple: true }), 1, "NORMAL");
    } finally {
      db.close();
    }
    const store = Store.open(path);
    ingestUpdate(store, update("web1", [alert("disk")]), { via: "bot" }, Date.now());
    assert.ok(existsSync(`${path}-wal`), "writes go to the write-ahead log");
    store.close();
  });

  it("applies an update in one transaction: a failure halfway leaves nothing of it, and it applies whole later", () => {
    const store = Store.open(join(dir, "bot.sqlite"));
    try {
      const u = update("web1", [alert("one", { summary: "first" }), alert("two", { summary: "second" })]);
      const record = store.alerts.record.bind(store.alerts);
      let calls = 0;
      store.alerts.record = (shortId, events) => {
        if (++calls === 2) throw new Error("disk full (injected)");
        record(shortId, events);
      };
      assert.throws(() => ingestUpdate(store, u, { via: "bot" }, Date.now()), /injected/);
      assert.equal(store.alerts.find("web1", "one"), undefined, "the first alert's change was rolled back");
      assert.equal(store.transmissions.seen(u.source, u.transmissionId), false, "not remembered as applied");
      assert.equal(store.sources.get("web1"), undefined, "the source was not claimed");
      store.alerts.record = record;
      const outcome = ingestUpdate(store, u, { via: "bot" }, Date.now());
      assert.equal(outcome.status, "applied");
      assert.deepEqual(
        ["one", "two"].map((id) => store.alerts.find("web1", id)?.status),
        ["raised", "raised"],
      );
    } finally {
      store.close();
    }
  });

  it("keeps whole updates or none when the writing process is SIGKILLed, again and again", async () => {
    const path = join(dir, "bot.sqlite");
    let first = 1;
    const kills: number[] = [];
    for (let round = 0; round < 3; round++) {
      const worker = ChildRun.start("test/fixtures/fault/ingest-worker.ts", [path, String(first)], {}, "ingest-worker");
      // Kill somewhere past a few hundred updates into this run, while it is writing as fast as it can.
      await waitFor(
        "the worker to be busy",
        () => {
          if (worker.hasExited) throw new Error(`worker exited: ${worker.stderr}`);
          const done = worker.stdout.trim().split("\n").filter(Boolean).map(Number);
          return (done.at(-1) ?? 0) >= first + 200 + round * 75;
        },
        20_000,
      );
      await worker.crash();
      const store = Store.open(path);
      try {
        // Sequenced updates: the source's row holds the last sequence and the newest ids, in one write.
        const source = store.sources.get("crash")!;
        const last = Number(source.lastSequence);
        const newest = Array.from({ length: Math.min(last, RECENT_SEQUENCED_KEPT) }, (_, i) =>
          String(last - Math.min(last, RECENT_SEQUENCED_KEPT) + 1 + i),
        );
        assert.deepEqual(source.recentTransmissions, newest, "the newest applied ids, in order, none missing");
        for (let j = 0; j < 5; j++) {
          const a = store.alerts.find("crash", `a${j}`)!;
          assert.equal(a.summary, `u${last}`, `a${j} shows the last remembered update, no more, no less`);
          assert.equal(
            store.alerts.history(a.shortId).filter((h) => h.kind === "updated").length,
            last - 1,
            `a${j}: one history line per update after the first`,
          );
        }
        kills.push(last);
        first = last + 1;
      } finally {
        store.close();
      }
    }
    assert.ok(kills[0]! < kills[1]! && kills[1]! < kills[2]!, `progress across kills: ${kills.join(", ")}`);
    console.log(
      `      writer SIGKILLed 3 times, after update ${kills.join(", ")}: whole updates only, none half-applied`,
    );
  });

  describe("integrity check at start", () => {
    /** A store with enough rows to span many pages, closed (checkpointed) so the file holds them all. */
    const filled = (): string => {
      const path = join(dir, "bot.sqlite");
      const store = Store.open(path);
      for (let i = 0; i < 300; i++)
        ingestUpdate(
          store,
          update("web1", [alert(`disk-${i}`, { summary: "x".repeat(200) })]),
          { via: "bot" },
          Date.now(),
        );
      store.close();
      return path;
    };
    const scribble = (path: string, at: number, length: number): void => {
      const fd = openSync(path, "r+");
      writeSync(fd, Buffer.alloc(length, 0xa5), 0, length, at);
      closeSync(fd);
    };

    it("refuses a file whose pages are damaged, naming the file", () => {
      const path = filled();
      const size = statSync(path).size;
      assert.ok(size > 40 * 4096, `a big enough file (${size} bytes)`);
      scribble(path, Math.floor(size / 2 / 4096) * 4096 + 8, 2000);
      assert.throws(
        () => Store.open(path),
        (err: Error) => {
          assert.ok(err instanceof StoreError, `${err.name}: ${err.message}`);
          assert.ok(err.message.startsWith(`${path}: `), err.message);
          assert.match(err.message, /integrity check failed|malformed|corrupt/i);
          return true;
        },
      );
    });

    it("refuses a file that is not a database at all, naming the file", () => {
      const path = filled();
      scribble(path, 0, 100);
      assert.throws(
        () => Store.open(path),
        (err: Error) =>
          err instanceof StoreError && err.message.startsWith(`${path}: `) && /not a database/.test(err.message),
      );
    });

    it("refuses a file from newer code rather than guess at its schema", () => {
      const path = join(dir, "bot.sqlite");
      const db = openDatabase(path);
      db.pragma(`user_version = ${MIGRATIONS.at(-1)!.version + 1}`);
      db.close();
      assert.throws(() => Store.open(path), /newer than this mauve-xmpp understands/);
    });

    it("makes AlertBot say why with a clear reason, before it connects to anything, and wait rather than exit 1 (restarted in a loop)", async () => {
      const path = filled();
      scribble(path, 0, 100);
      const config = join(dir, "alertbot.yaml");
      writeFileSync(
        config,
        `xmpp: { service: "xmpp://127.0.0.1:9", component: alertbot.x.org, secret: s, pubsub: pubsub.x.org }\ndatabase: ${path}\npeople: [{ name: alice, jid: alice@x.org }]\n`,
      );
      const before = readFileSync(path);
      const bot = ChildRun.start("bots/alertbot.ts", ["--config", config], {}, "alertbot");
      const line = await bot.waitForLog(
        "the reason",
        (l) => l["msg"] === "AlertBot cannot start; telling the people on call, and trying again",
      );
      assert.match(String(line["advice"]), /will not replace it with an empty one/);
      assert.equal(bot.hasExited, false);
      assert.equal((await bot.stop()).code, 0);
      assert.deepEqual(readFileSync(path), before, "the file is left as it was, for the admin to look at");
      assert.match(JSON.stringify(line["err"]), new RegExp(`${path.replace(/[/.]/g, "\\$&")}: .*not a database`));
      // Where and why, not only what: the stack, and the cause SQLite gave.
      const err = line["err"] as { stack?: unknown; cause?: { code?: unknown; stack?: unknown } };
      assert.match(String(err.stack), /\n\s+at /, JSON.stringify(err));
      assert.equal(err.cause?.code, "SQLITE_NOTADB", JSON.stringify(err));
    });
  });

  it("moves an agent's damaged outbox aside, intact, names both files and goes on, before it connects", async () => {
    // It exited 1 at every start on it, and the host went unmonitored: see damaged-outbox.ts.
    const stateDir = join(dir, "agent-state");
    mkdirSync(stateDir);
    const outbox = join(stateDir, "outbox.sqlite");
    writeFileSync(outbox, Buffer.alloc(8192, 0xa5));
    const config = join(dir, "agent.yaml");
    writeFileSync(
      config,
      `xmpp: { service: "xmpp://127.0.0.1:9", jid: web1@x.org, password: s }\nstate_dir: ${stateDir}\n`,
    );
    const agent = ChildRun.start("agents/mauve-agent.ts", ["--config", config], {}, "mauve-agent");
    const line = await agent.waitForLog("the damaged outbox moved aside", (l) =>
      String(l["msg"]).startsWith("the outbox is damaged: moved aside"),
    );
    assert.equal(line["path"], outbox);
    assert.match(String(line["reason"]), /not a database/);
    const movedTo = String(line["movedTo"]);
    assert.equal(readFileSync(movedTo).length, 8192, "the file is kept as it was, for the admin to look at");
    assert.deepEqual(await agent.stop(), { code: 0, signal: null });
  });

  describe("migrations", () => {
    it(`opens a version-1 database with the current code (version ${MIGRATIONS.at(-1)!.version}) and keeps its data`, () => {
      const path = join(dir, "bot.sqlite");
      // Written the way version 1 wrote it: its own schema, its own SQL.
      const v1 = openDatabase(path, MIGRATIONS.slice(0, 1));
      assert.equal(v1.pragma("user_version", { simple: true }), 1);
      v1.exec(`
        INSERT INTO alerts (short_id, source, alert_id, status, subject, summary, detail, importance, raised_at, ack_by, ack_at, ack_until, ack_note, policy_due_at, due_at, updated_at)
          VALUES (42, 'web1', 'disk-full', 'raised', 'web1', 'Disk / is 97% full', '<b>97%</b>', 80, 1767600000000, 'alice', 1767600060000, 1767607200000, 'rebooting', 1767603600000, 1767603600000, 1767600060000);
        INSERT INTO alert_history (short_id, kind, at, actor, detail) VALUES (42, 'raised', 1767600000000, 'web1@x.org', 'Disk / is 97% full'), (42, 'acked', 1767600060000, 'alice', 'rebooting');
        INSERT INTO sources (source, node, owner_jid, last_sequence, first_seen_at, last_seen_at) VALUES ('web1', 'mauve/alerts/web1', 'web1@x.org', '18446744073709551615', 1767600000000, 1767600000000);
        INSERT INTO transmissions (transmission_id, source, received_at) VALUES ('18446744073709551615', 'web1', 1767600000000);
        INSERT INTO escalations (short_id, state) VALUES (42, '{"version":1,"nextStep":1}');
        INSERT INTO deliveries (short_id, person, body, status, not_before, created_at, updated_at) VALUES (42, 'alice', '{"kind":"raised","shortId":42,"person":"alice"}', 'pending', 1767600300000, 1767600000000, 1767600000000);
        INSERT INTO silences (matcher, until, by, why, created_at) VALUES ('{"source":["web*"]}', 1767610000000, 'alice', 'migrating', 1767600000000);
        INSERT INTO presence_approvals (jid, approved_at) VALUES ('alice@x.org', 1767600000000);
        INSERT INTO bot_state (key, value) VALUES ('audit-cursor', '2');
      `);
      v1.close();

      const store = Store.open(path);
      try {
        assert.equal(store.schemaVersion(), MIGRATIONS.at(-1)!.version);
        const a = store.alerts.get(42);
        assert.equal(a?.alertId, "disk-full");
        assert.equal(a?.summary, "Disk / is 97% full");
        assert.deepEqual(a?.ack, { by: "alice", at: 1767600060000, until: 1767607200000, note: "rebooting" });
        assert.deepEqual(
          store.alerts.history(42).map((h) => h.kind),
          ["raised", "acked"],
        );
        store.alerts.record(42, [{ kind: "noted", at: 1767600120000, actor: "bob", detail: "after the upgrade" }]);
        assert.deepEqual(
          store.alerts.history(42).map((h) => h.kind),
          ["raised", "acked", "noted"],
          "new lines follow the lines from before",
        );
        assert.equal(store.sources.get("web1")?.lastSequence, 18446744073709551615n);
        assert.equal(
          store.transmissions.seen("web1", 18446744073709551615n),
          true,
          "duplicates still recognised after the upgrade",
        );
        assert.deepEqual(store.policy.escalation(42), { version: 1, nextStep: 1 });
        assert.equal(store.policy.pending("alice", 1767600300000).length, 1, "the waiting fallback survived");
        assert.equal(store.policy.liveSilences(1767600000000).length, 1);
        assert.equal(store.policy.presenceApproved("alice@x.org"), true);
        assert.equal(store.policy.botState("audit-cursor"), "2");
      } finally {
        store.close();
      }
    });

    it("opens a version-3 database: its transmissions, agents' and mauvesend's, still refuse replays in one keyed table", () => {
      const path = join(dir, "bot.sqlite");
      const T = 1767600000000;
      const v3 = openDatabase(path, MIGRATIONS.slice(0, 3));
      assert.equal(v3.pragma("user_version", { simple: true }), 3);
      // As version 3 wrote them: every update's id a row, an agent's (sequenced) too.
      const row = v3.prepare("INSERT INTO transmissions (transmission_id, source, received_at) VALUES (?, ?, ?)");
      for (let k = 1; k <= 30; k++) row.run(String(1000 + k), "web1", T + k);
      row.run("18446744073709551615", "mail1", T);
      v3.exec(`
        INSERT INTO sources (source, node, owner_jid, last_sequence, first_seen_at, last_seen_at) VALUES
          ('web1', 'mauve/alerts/web1', 'web1@x.org', '30', ${T}, ${T + 30}),
          ('mail1', 'mauve/alerts/mail1', '', '0', ${T}, ${T});
      `);
      v3.close();

      const store = Store.open(path);
      try {
        assert.equal(store.schemaVersion(), MIGRATIONS.at(-1)!.version);
        const raw = openDatabase(path);
        const objects = raw
          .prepare("SELECT type, sql FROM sqlite_master WHERE tbl_name = 'transmissions'")
          .all() as Array<{ type: string; sql: string }>;
        raw.close();
        assert.deepEqual(
          objects.map((o) => o.type),
          ["table"],
          "one B-tree: no rowid table beside its key, no index",
        );
        assert.match(objects[0]!.sql, /PRIMARY KEY \(source, transmission_id\)\s*\) WITHOUT ROWID/);
        assert.equal(store.transmissions.count(), 31);
        const agent = { via: "pubsub" as const, node: "mauve/alerts/web1", publisher: "web1@x.org" };
        const replay = (k: number) =>
          update("web1", [alert("a")], { transmissionId: BigInt(1000 + k), sequence: BigInt(k) });
        assert.equal(ingestUpdate(store, replay(30), agent, T + 100).status, "duplicate");
        // Sequence 1 would pass as a fresh start: its id, written by version 3, refuses it.
        assert.equal(ingestUpdate(store, replay(1), agent, T + 100).status, "duplicate");
        const mauvesend = update("mail1", [alert("q")], { transmissionId: 18446744073709551615n });
        assert.equal(ingestUpdate(store, mauvesend, { via: "udp" }, T + 100).status, "duplicate");
        assert.equal(ingestUpdate(store, replay(31), agent, T + 200).status, "applied");
        assert.equal(store.transmissions.count(), 31, "a sequenced update adds no row");
        assert.equal(store.transmissions.prune("web1", T + 1_000, 20, 100), 10, "pruned by age, newest 20 kept");
        assert.equal(store.transmissions.seen("web1", 1030n), true);
      } finally {
        store.close();
      }
    });

    it("opens a version-8 database: each alert's row rebuilt with its long texts last, nothing lost, no short id given twice", () => {
      const path = join(dir, "bot.sqlite");
      const T = 1767600000000;
      const detail = `<pre>${"df -h output\n".repeat(700)}</pre>`;
      const v8 = openDatabase(path, MIGRATIONS.slice(0, 8));
      assert.equal(v8.pragma("user_version", { simple: true }), 8);
      v8.prepare(
        `INSERT INTO alerts (short_id, source, alert_id, status, subject, summary, detail, importance, raised_at, ack_by, ack_at, ack_until, ack_note, policy_due_at, due_at, updated_at, escalation)
           VALUES (42, 'web1', 'disk-full', 'raised', 'web1', 'Disk / is 97% full', ?, 80, ${T}, 'alice', ${T + 60_000}, ${T + 7_200_000}, 'rebooting', ${T + 3_600_000}, ${T + 3_600_000}, ${T + 60_000}, '[2,1]')`,
      ).run(detail);
      v8.exec(`
        INSERT INTO alert_history (short_id, kind, at, actor, detail) VALUES (42, 'raised', ${T}, 'web1@x.org', '');
        INSERT INTO deliveries (short_id, person, body, status, created_at, updated_at) VALUES (42, 'alice', '[1]', 'pending', ${T}, ${T});
        -- Alerts 43 to 57 were given out by a copy of this file that a standby took over from (ids are never reused).
        UPDATE sqlite_sequence SET seq = 57 WHERE name = 'alerts';
      `);
      v8.close();

      const store = Store.open(path);
      try {
        assert.equal(store.schemaVersion(), MIGRATIONS.at(-1)!.version);
        const a = store.alerts.get(42)!;
        assert.equal(a.detail, detail);
        assert.deepEqual(a.ack, { by: "alice", at: T + 60_000, until: T + 7_200_000, note: "rebooting" });
        assert.equal(a.policyDueAt, T + 3_600_000);
        assert.equal(store.policy.escalationText(42), "[2,1]");
        store.alerts.record(42, [{ kind: "noted", at: T + 120_000, actor: "bob", detail: "after the upgrade" }]);
        assert.deepEqual(
          store.alerts.history(42).map((h) => h.kind),
          ["raised", "noted"],
          "the trigger that moves an alert's history head is back",
        );
        assert.equal(store.policy.pending("alice", T).length, 1);
        ingestUpdate(store, update("web1", [alert("load")]), { via: "udp" }, T + 200_000);
        assert.equal(
          store.alerts.find("web1", "load")?.shortId,
          58,
          "the next alert is numbered after every id given out",
        );
      } finally {
        store.close();
      }
      const raw = openDatabase(path);
      try {
        const columns = (raw.pragma("table_info(alerts)") as Array<{ name: string }>).map((c) => c.name);
        assert.deepEqual(columns.slice(-4), ["subject", "summary", "ack_note", "detail"]);
        const objects = (
          raw
            .prepare(
              "SELECT name FROM sqlite_master WHERE tbl_name = 'alerts' AND type IN ('index', 'trigger') ORDER BY name",
            )
            .all() as Array<{ name: string }>
        ).map((o) => o.name);
        assert.deepEqual(objects, [
          "alert_raise_heard",
          "alerts_by_due",
          "alerts_by_status",
          "sqlite_autoindex_alerts_1",
        ]);
        assert.deepEqual(raw.pragma("foreign_key_check"), []);
        assert.equal(raw.pragma("foreign_keys", { simple: true }), 1, "foreign keys enforced again after the step");
        assert.throws(
          () =>
            raw
              .prepare(
                "INSERT INTO deliveries (short_id, person, body, created_at, updated_at) VALUES (999, 'bob', '[1]', 0, 0)",
              )
              .run(),
          /FOREIGN KEY constraint failed/,
        );
        assert.equal(
          (raw.prepare("SELECT COUNT(*) AS n FROM sqlite_master WHERE name = 'alerts_v9'").get() as { n: number }).n,
          0,
        );
      } finally {
        raw.close();
      }
    });

    it("opens a version-11 database: who heard of each alert's raise is worked out from its deliveries", () => {
      const path = join(dir, "bot.sqlite");
      const T = 1767600000000;
      const v11 = openDatabase(path, MIGRATIONS.slice(0, 11));
      const page = (kind: string) => JSON.stringify([2, kind, "low", ["xmpp"], [], "test"]);
      v11.exec(`
        INSERT INTO alerts (short_id, source, alert_id, status, importance, raised_at, updated_at)
          VALUES (7, 'web1', 'disk', 'raised', 50, ${T}, ${T});
        -- The raise before: bob heard of it, and of its clear.
        INSERT INTO deliveries (id, short_id, person, body, status, created_at, updated_at) VALUES
          (1, 7, 'bob', '${page("raised")}', 'sent', ${T}, ${T}),
          (2, 7, 'bob', '${page("cleared")}', 'sent', ${T}, ${T}),
        -- This raise: alice was sent it, carol had it in a digest, dave's page the storm limit holds.
          (3, 7, 'alice', '${page("raised")}', 'sent', ${T}, ${T}),
          (4, 7, 'carol', '${page("raised")}', 'digested', ${T}, ${T}),
          (5, 7, 'dave', '${page("raised")}', 'pending', ${T}, ${T}),
          (6, 7, 'erin', '{"kind":"raised","why":"an old row stored as an object"}', 'sent', ${T}, ${T}),
          (7, 7, 'frank', 'not json', 'failed', ${T}, ${T});
      `);
      v11.close();
      const store = Store.open(path);
      try {
        const raise = store.policy.heardOf([7]).get(7)!;
        assert.equal(raise.floor, 2, "this raise began after the last CLEARED queued");
        assert.deepEqual([...raise.heard].sort(), ["alice", "carol", "erin"]);
        assert.equal(raise.heardBefore, null, "the raise before is not known");
      } finally {
        store.close();
      }
      const raw = openDatabase(path);
      try {
        const indexes = (
          raw
            .prepare("SELECT name FROM sqlite_master WHERE tbl_name = 'deliveries' AND type = 'index'")
            .all() as Array<{
            name: string;
          }>
        ).map((o) => o.name);
        assert.deepEqual(indexes.sort(), ["deliveries_held", "deliveries_pending", "deliveries_waiting"]);
      } finally {
        raw.close();
      }
    });

    it("knows who heard of each raise: a new raise starts with nobody, and the one before is kept", () => {
      const store = Store.open(":memory:");
      const T = 1767600000000;
      try {
        const applied = (clear: boolean, at: number) =>
          ingestUpdate(
            store,
            update("web1", [alert("disk", clear ? { clearTimeS: Math.floor(at / 1000) } : {})]),
            { via: "udp" },
            at,
          );
        applied(false, T);
        const id = store.alerts.find("web1", "disk")!.shortId;
        const queue = (person: string) => store.policy.addDeliveries([{ person, shortId: id, kind: "raised" }], T);
        queue("alice");
        queue("bob");
        store.policy.markHeard("alice", [{ shortId: id, id: 1 }]);
        store.policy.markHeard("alice", [{ shortId: id, id: 1 }]);
        assert.deepEqual(store.policy.heardOf([id]).get(id), { floor: 0, heard: ["alice"], heardBefore: null });
        applied(true, T + 60_000);
        assert.deepEqual(store.policy.heardOf([id]).get(id)!.heard, ["alice"], "a clear keeps who heard of the raise");
        applied(false, T + 120_000);
        assert.deepEqual(store.policy.heardOf([id]).get(id), { floor: 2, heard: [], heardBefore: ["alice"] });
        // bob's page of the raise before, sent late, counts for that raise only.
        store.policy.markHeard("bob", [{ shortId: id, id: 2 }]);
        queue("carol");
        store.policy.markHeard("carol", [{ shortId: id, id: 3 }]);
        assert.deepEqual(store.policy.heardOf([id]).get(id), {
          floor: 2,
          heard: ["carol"],
          heardBefore: ["alice", "bob"],
        });
        assert.equal(store.policy.heardOf([id + 1]).size, 0, "an alert not kept is left out");
      } finally {
        store.close();
      }
    });

    it("keeps an alert's detail last in its row, where reading the other columns never walks it", () => {
      // A column added by ALTER TABLE ADD COLUMN lands after the detail: add it by rebuilding the
      // table, as migration 9 does, with the detail last again.
      const db = openDatabase(":memory:");
      try {
        const columns = (db.pragma("table_info(alerts)") as Array<{ name: string }>).map((c) => c.name);
        assert.equal(columns.at(-1), "detail");
      } finally {
        db.close();
      }
    });

    it("rolls a failing migration step back whole: the file stays at the version before", () => {
      const path = join(dir, "bot.sqlite");
      openDatabase(path).close();
      const broken = [
        ...MIGRATIONS,
        {
          version: MIGRATIONS.at(-1)!.version + 1,
          description: "broken",
          sql: "CREATE TABLE half (x INTEGER); INSERT INTO no_such_table VALUES (1);",
        },
      ];
      assert.throws(() => openDatabase(path, broken), /no such table/);
      const db = openDatabase(path);
      try {
        assert.equal(db.pragma("user_version", { simple: true }), MIGRATIONS.at(-1)!.version);
        const half = db.prepare("SELECT COUNT(*) AS n FROM sqlite_master WHERE name = 'half'").get() as { n: number };
        assert.equal(half.n, 0, "the step's first statement was rolled back with it");
      } finally {
        db.close();
      }
    });
  });
});
