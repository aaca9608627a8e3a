import assert from "node:assert/strict";
import type { AckInfo, AlertRecord } from "../../src/alerts/types.js";
import { registryWithHelp } from "../../src/commands/help.js";
import { recognisePerson } from "../../src/commands/authorise.js";
import { createRegistry } from "../../src/commands/registry.js";
import { defaultRegistry, runCommand, type CommandOutcome } from "../../src/commands/run.js";
import type { AlertFilter, Command, CommandContext } from "../../src/commands/types.js";
import { CommandError, StorageUnavailableError } from "../../src/errors.js";

const M = 60_000;
const H = 60 * M;
const NOW = Date.UTC(2025, 0, 1, 12);
const PEOPLE = [
  { name: "alice", jid: "alice@mauve.localhost" },
  { name: "bob", jid: "bob@mauve.localhost" },
];

function alert(shortId: number, fields: Partial<AlertRecord> = {}): AlertRecord {
  return {
    shortId,
    source: "web1",
    alertId: `alert-${shortId}`,
    status: "raised",
    subject: "web1",
    summary: `Summary ${shortId}`,
    detail: "",
    importance: 50,
    raisedAt: NOW - 12 * M,
    clearedAt: null,
    scheduledRaiseAt: null,
    scheduledClearAt: null,
    suppressUntil: null,
    ack: null,
    policyDueAt: null,
    updatedAt: NOW - 12 * M,
    ...fields,
  };
}

/** A context over an in-memory list of alerts, recording every ack it is asked for. */
function fakeContext(
  alerts: AlertRecord[],
  overrides: Partial<CommandContext> = {},
): CommandContext & { acks: Array<[number, AckInfo]> } {
  const acks: Array<[number, AckInfo]> = [];
  const person = recognisePerson(PEOPLE, "alice@mauve.localhost/phone");
  assert.ok(person);
  const live = (a: AlertRecord): boolean => a.ack !== null && a.ack.until > NOW;
  return {
    person,
    now: NOW,
    ackDefaultMs: H,
    ackMaxMs: 7 * 24 * H,
    acks,
    alerts: {
      list: (filter: AlertFilter) =>
        alerts.filter((a) => filter === "all" || (a.status === "raised" && (filter === "raised" || live(a)))),
      ack(shortId, ack) {
        acks.push([shortId, ack]);
        const found = alerts.find((a) => a.shortId === shortId);
        if (found === undefined) return { ok: false, reason: "not-found" };
        if (found.status !== "raised") return { ok: false, reason: "not-raised", alert: found };
        return { ok: true, alert: { ...found, ack } };
      },
    },
    ...overrides,
  };
}

async function reply(text: string, ctx: CommandContext): Promise<string> {
  const outcome = await runCommand(text, ctx);
  return outcome.reply;
}

describe("commands: ack", () => {
  const alerts = [
    alert(42, { alertId: "disk-full" }),
    alert(43, { alertId: "load", status: "cleared", raisedAt: null, clearedAt: NOW - M }),
  ];

  it("acknowledges each alert by the sender's name, for the asked time, with the note", async () => {
    const ctx = fakeContext(alerts);
    assert.equal(
      await reply("ack 42 for 2h because rebooting", ctx),
      "#42 web1 disk-full acknowledged for 2h by alice because rebooting",
    );
    assert.deepEqual(ctx.acks, [[42, { by: "alice", at: NOW, until: NOW + 2 * H, note: "rebooting" }]]);
  });

  it("uses the default duration and reports per-id failures", async () => {
    const ctx = fakeContext(alerts);
    assert.equal(
      await reply("ack 42, 43, 99", ctx),
      [
        "#42 web1 disk-full acknowledged for 1h by alice",
        "#43 web1 load is not raised, so there is nothing to acknowledge",
        "#99: no such alert",
      ].join("\n"),
    );
    assert.deepEqual(
      ctx.acks.map(([id, a]) => [id, a.until - NOW, a.note]),
      [
        [42, H, ""],
        [43, H, ""],
        [99, H, ""],
      ],
    );
  });

  it("caps the duration at the maximum and says so", async () => {
    const ctx = fakeContext(alerts);
    assert.equal(
      await reply("ack 42 for 30 days", ctx),
      "#42 web1 disk-full acknowledged for 7d by alice\n(30d is longer than acks may last, so I used the maximum, 7d.)",
    );
    assert.equal(ctx.acks[0]?.[1].until, NOW + 7 * 24 * H);
  });
  it("resolves working hours through the context, and caps them like any ack", async () => {
    const asked: Array<[number, number]> = [];
    const ctx = fakeContext(alerts, {
      workingHoursFrom: (now, hours) => {
        asked.push([now, hours]);
        return hours > 100 ? now + 30 * 24 * H : now + 18 * H; // overnight: 4 working hours end tomorrow at 12:00
      },
    });
    assert.equal(
      await reply("ack 42 for 4 working hours because vendor", ctx),
      "#42 web1 disk-full acknowledged for 18h (4 working hours) by alice because vendor",
    );
    assert.deepEqual(asked, [[NOW, 4]]);
    assert.equal(ctx.acks[0]?.[1].until, NOW + 18 * H);
    assert.equal(
      await reply("ack 42 for 200 working hours", ctx),
      "#42 web1 disk-full acknowledged for 7d (200 working hours) by alice\n(30d is longer than acks may last, so I used the maximum, 7d.)",
    );
  });

  it("says so when working hours are unknown or none lie ahead", async () => {
    assert.equal(
      await reply("ack 42 for 2 working hours", fakeContext(alerts)),
      'No working hours are configured here, so I can\'t count "2 working hours"; say how long instead, e.g. "for 2h".',
    );
    const none = fakeContext(alerts, { workingHoursFrom: () => null });
    assert.equal(
      await reply("ack 42 for 2 working hours", none),
      'The working hours configured here have no 2 hours left in the calendar I know; say how long instead, e.g. "for 2h".',
    );
    assert.deepEqual(none.acks, []);
  });

  it("acks only where the sender may, alert by alert", async () => {
    const ctx = fakeContext(alerts, {
      alerts: { ...fakeContext(alerts).alerts, get: (id) => alerts.find((a) => a.shortId === id) },
      may: (action, alert) => (alert?.alertId === "disk-full" ? { ok: false, workgroup: "storage" } : { ok: true }),
    });
    assert.equal(
      await reply("ack 42 43", ctx),
      "#42 web1 disk-full: you may not acknowledge alerts of workgroup storage (ask someone listed in its permissions)\n#43 web1 load is not raised, so there is nothing to acknowledge",
    );
  });
});

describe("commands: show", () => {
  it("lists by the level the rules give, then importance, one compact line each, naming both", async () => {
    const ctx = fakeContext(
      [
        alert(1, { importance: 50, summary: "Backups are late", source: "db1", subject: "db1", raisedAt: NOW - 3 * H }),
        alert(42, { importance: 90, summary: "Disk / is 97% full" }),
        alert(7, { importance: 10, summary: "", alertId: "ntp-drift", raisedAt: NOW - 500 }),
        alert(8, {
          importance: 65,
          ack: { by: "bob", at: NOW - H, until: NOW + 90 * M, note: "" },
          raisedAt: NOW - 2 * H,
        }),
        alert(9, { status: "cleared", raisedAt: null, clearedAt: NOW - 5 * M }),
      ],
      // The rules make db1 urgent whatever its importance; importance 90 alone makes nothing urgent.
      {
        gradeOf: (a) =>
          a.source === "db1" ? { level: "urgent", workgroup: "db" } : { level: "normal", workgroup: "ops" },
      },
    );
    assert.equal(
      await reply("show", ctx),
      [
        "#1 [urgent, importance 50] db1 alert-1: Backups are late (raised 3h ago)",
        "#42 [normal, importance 90] web1 alert-42: Disk / is 97% full (raised 12m ago)",
        "#8 [normal, importance 65] web1 alert-8: Summary 8 (raised 2h ago, acked by bob for 1h30m more)",
        "#7 [normal, importance 10] web1 ntp-drift (raised just now)",
      ].join("\n"),
    );
    assert.equal(
      await reply("show acked", ctx),
      "#8 [normal, importance 65] web1 alert-8: Summary 8 (raised 2h ago, acked by bob for 1h30m more)",
    );
    assert.match(
      await reply("show all", ctx),
      /\n#9 \[normal, importance 50\] web1 alert-9: Summary 9 \(cleared 5m ago\)$/,
    );
  });

  it("names each alert by its source and id, the sender's subject after it marked as its words, so no sender lists as another", async () => {
    // Source x9 writes "web1" (and a Cyrillic look-alike of it) as its subject, beside the real web1.
    const ctx = fakeContext([
      alert(1, { source: "web1", subject: "", alertId: "disk", summary: "Disk / is 97% full", importance: 90 }),
      alert(2, { source: "x9", subject: "web1", alertId: "disk2", summary: "Disk / is 97% full", importance: 80 }),
      alert(3, { source: "x9", subject: "w\u0435b1", alertId: "ok", summary: "all clear", importance: 70 }),
      alert(4, { source: "db1", subject: "db1", alertId: "backup", summary: "late", importance: 60 }),
    ]);
    assert.deepEqual((await reply("show", ctx)).split("\n"), [
      "#1 [importance 90] web1 disk: Disk / is 97% full (raised 12m ago)",
      "#2 [importance 80] x9 disk2 (subject 'web1'): Disk / is 97% full (raised 12m ago)",
      "#3 [importance 70] x9 ok (subject 'w\u0435b1'): all clear (raised 12m ago)",
      "#4 [importance 60] db1 backup: late (raised 12m ago)",
    ]);
  });

  it("says so when there is nothing to show", async () => {
    const ctx = fakeContext([]);
    assert.equal(await reply("show", ctx), "No raised alerts.");
    assert.equal(await reply("show acked", ctx), "No acknowledged alerts.");
    assert.equal(await reply("show all", ctx), "No alerts.");
  });

  it("caps the list at 30 lines and says how many more there are and how to see them", async () => {
    const ctx = fakeContext(Array.from({ length: 45 }, (_, i) => alert(i + 1)));
    const lines = (await reply("show", ctx)).split("\n");
    assert.equal(lines.length, 31);
    assert.equal(lines[0], "#1 [importance 50] web1 alert-1: Summary 1 (raised 12m ago)");
    assert.equal(lines[30], '…and 15 more (45 in all): say "show 100" to list them all');
  });

  it("past the 100 chat lists at most, points to the board, which lists them all", async () => {
    const many = Array.from({ length: 150 }, (_, i) =>
      alert(i + 1, { ack: { by: "bob", at: NOW, until: NOW + H, note: "" } }),
    );
    const noBoard = fakeContext(many);
    assert.equal(
      (await reply("show", noBoard)).split("\n").at(-1),
      '…and 120 more (150 in all): say "show 100" for the first 100; the web board would list them all (an admin can turn it on: http.board, docs/web.md)',
    );
    const board = fakeContext(many, { webSignIn: () => ({ ok: false, reason: "room" }) });
    const all = (await reply("show all 100", board)).split("\n");
    assert.equal(all.length, 101);
    assert.equal(
      all.at(-1),
      '…and 50 more (150 in all): chat lists 100 at most; the web board lists them all (say "web" to me in a direct chat for a link)',
    );
    // The hint repeats the list asked for.
    assert.match(
      (await reply("show acked 5", board)).split("\n").at(-1)!,
      /^…and 145 more \(150 in all\): say "show acked 100" for the first 100; /,
    );
    assert.match((await reply("show all 5", board)).split("\n").at(-1)!, /: say "show all 100" for /);
  });

  it("keeps a full list of 100 alerts whose senders wrote the longest fields within one chat message", async () => {
    // Mauve's limits: source 512 (ASCII, the source rule), id 256, subject 512, summary 1024; each
    // character of the sender's text the costliest on the wire: "&" is 5 bytes once XML-escaped.
    const alerts = Array.from({ length: 100 }, (_, i) =>
      alert(i + 1, {
        source: "s".repeat(509) + String(i).padStart(3, "0"),
        alertId: "&".repeat(256),
        subject: "&".repeat(512),
        summary: "&".repeat(1024),
        ack: { by: "&".repeat(64), at: NOW, until: NOW + H, note: "" },
      }),
    );
    const text = await reply("show all 100", fakeContext(alerts));
    assert.equal(text.split("\n").length, 100);
    const xmlBytes = Buffer.byteLength(text.replace(/&/g, "&amp;"), "utf8");
    // Prosody takes stanzas of at most 512 KiB from a component (component_stanza_size_limit, as
    // s2s): a bigger reply closes AlertBot's stream. A quarter of it is left for the stanza around
    // the text and AlertBot's own trouble lines above the list. (A subject shown whole made 521 KiB.)
    assert.ok(xmlBytes <= 384 * 1024, `${xmlBytes} bytes`);
  });
  it("marks silenced alerts, lists only them with 'show silenced', and honours a count", async () => {
    const silences = {
      add: () => 1,
      list: () => [{ id: 3, matcher: { source: ["db*"] }, until: NOW + 2 * H, by: "bob", why: "" }],
      end: () => true,
    };
    const ctx = fakeContext(
      [
        alert(1, { source: "db1", subject: "db1", importance: 90 }),
        alert(2, { importance: 60 }),
        alert(3, { source: "db2", subject: "db2", status: "cleared", raisedAt: null, clearedAt: NOW - M }),
      ],
      { silences },
    );
    assert.equal(
      await reply("show", ctx),
      "#1 [importance 90] db1 alert-1: Summary 1 (raised 12m ago, silenced for 2h more)\n#2 [importance 60] web1 alert-2: Summary 2 (raised 12m ago)",
    );
    assert.equal(
      await reply("show silenced", ctx),
      "#1 [importance 90] db1 alert-1: Summary 1 (raised 12m ago, silenced for 2h more)",
    );
    assert.equal(
      await reply("show 1", ctx),
      '#1 [importance 90] db1 alert-1: Summary 1 (raised 12m ago, silenced for 2h more)\n…and 1 more (2 in all): say "show 100" to list them all',
    );
    assert.equal(
      await reply("show all 5", ctx).then((r) => r.split("\n")[2]),
      "#3 [importance 50] db2 alert-3: Summary 3 (cleared 1m ago)",
    );
    assert.equal(await reply("show silenced", fakeContext([alert(1)])), "No silenced alerts.");
  });

  it("does not count an ack past its end as acked", async () => {
    const ctx = fakeContext([alert(5, { ack: { by: "bob", at: NOW - 2 * H, until: NOW - 1, note: "" } })]);
    ctx.alerts.list = () => [alert(5, { ack: { by: "bob", at: NOW - 2 * H, until: NOW - 1, note: "" } })];
    assert.equal(await reply("show acked", ctx), "No acknowledged alerts.");
    assert.equal(await reply("show", ctx), "#5 [importance 50] web1 alert-5: Summary 5 (raised 12m ago)");
  });
});

describe("commands: help", () => {
  it("is generated from the registry and lists every command", async () => {
    const text = await reply("help", fakeContext([]));
    const lines = text.split("\n");
    assert.equal(lines[0], "Commands:");
    assert.equal(
      lines[1],
      "ack <ids> [for <duration> | for <n> working hours] [because <note>] — acknowledge alerts, which stops their notifications for a while (default and maximum set by the bot)",
    );
    assert.equal(lines.at(-2), "help [command] — list the commands, or explain one");
    assert.equal(lines.at(-1), 'Say "help <command>" for details and an example.');
    assert.equal(lines.length, defaultRegistry.commands.length + 2);
    for (const command of defaultRegistry.commands)
      assert.ok(text.includes(`${command.usage} — ${command.summary}`), command.name);
  });

  it("explains one command with its aliases and example", async () => {
    assert.equal(
      await reply("help show", fakeContext([])),
      "show [raised|acked|silenced|all] [N]\nList alerts, most important first (raised ones unless you say acked, silenced or all).\nAlso: list, ls, status\nExample: show all 10",
    );
  });

  it("explains every command with an example that parses", async () => {
    for (const command of defaultRegistry.commands) {
      assert.match(
        await reply(`help ${command.name}`, fakeContext([])),
        new RegExp(`^${command.usage.replace(/[[\]|()*.?+]/g, "\\$&")}\n`),
      );
      assert.ok(
        command.parse(command.example.slice(command.example.indexOf(" ") + 1)).ok || command.example === command.name,
        command.example,
      );
    }
  });

  it("declares what each command changes, so the bot acts on it from any door (changes for those that write, none for those that only read)", async () => {
    const effects = Object.fromEntries(defaultRegistry.commands.map((c) => [c.name, [...c.effects]]));
    assert.deepEqual(effects, {
      ack: ["alerts-changed"],
      unack: ["alerts-changed"],
      show: [],
      detail: [],
      history: [],
      note: ["alerts-changed"],
      clear: ["alerts-changed"],
      silence: ["silences-changed"],
      silences: [],
      unsilence: ["silences-changed", "silences-lifted"],
      oncall: [],
      escalate: ["alerts-changed"],
      web: [],
      help: [],
    });
    // An alias declares what its command does: nothing is matched on the word typed.
    const acked = await runCommand("acknowledge 42", fakeContext([alert(42)]));
    assert.ok(acked.ok);
    assert.deepEqual(acked.effects, ["alerts-changed"]);
  });

  it("picks up commands added later", async () => {
    const ping: Command<null> = {
      name: "ping",
      aliases: [],
      usage: "ping",
      summary: "check the bot is listening",
      example: "ping",
      effects: [],
      parse: () => ({ ok: true, args: null }),
      handler: () => "pong",
    };
    const registry = registryWithHelp([ping]);
    assert.match((await runCommand("help", fakeContext([]), registry)).reply, /^ping — check the bot is listening$/m);
    assert.equal((await runCommand("frob", fakeContext([]), registry)).reply, 'I don\'t know "frob". Try: ping, help');
    assert.throws(() => createRegistry([ping, ping]), /registered twice/);
  });
});

describe("commands: runCommand, the error boundary", () => {
  const failing = (error: unknown): Command<null> => ({
    name: "boom",
    aliases: [],
    usage: "boom",
    summary: "fails",
    effects: [],
    example: "boom",
    parse: () => ({ ok: true, args: null }),
    handler: () => {
      throw error;
    },
  });

  it("reports success and parse failures as values", async () => {
    const ctx = fakeContext([alert(42)]);
    assert.deepEqual(await runCommand("ack 42", ctx), {
      ok: true,
      command: "ack",
      reply: "#42 web1 alert-42 acknowledged for 1h by alice",
      effects: ["alerts-changed"],
    });
    const unparsed: CommandOutcome = await runCommand("frob", ctx);
    assert.deepEqual(unparsed, {
      ok: false,
      kind: "unparsed",
      command: null,
      reply:
        'I don\'t know "frob". Try: ack, unack, show, detail, history, note, clear, silence, silences, unsilence, oncall, escalate, web, help',
    });
  });

  it("gives a CommandError's human message and keeps the error for the log", async () => {
    const error = new CommandError("The store is read-only during maintenance.", { detail: "SQLITE_READONLY" });
    const outcome = await runCommand("boom", fakeContext([]), createRegistry([failing(error)]));
    assert.deepEqual(outcome, {
      ok: false,
      kind: "refused",
      command: "boom",
      reply: "The store is read-only during maintenance.",
      error,
    });
  });

  it("apologises for anything else, without its detail, and never throws", async () => {
    const error = new Error("SQLITE_CORRUPT: database disk image is malformed");
    for (const registry of [
      createRegistry([failing(error)]),
      createRegistry([{ ...failing(error), handler: () => Promise.reject(error) }]),
    ]) {
      const outcome = await runCommand("boom", fakeContext([]), registry);
      assert.equal(outcome.ok, false);
      assert.equal(outcome.reply, 'Sorry, something went wrong on my side while running "boom". It has been logged.');
      assert.ok(!outcome.ok && outcome.kind === "failed" && outcome.error === error);
    }
  });

  it("says plainly that nothing changed when the database cannot be written", async () => {
    const error = new StorageUnavailableError("database or disk is full (SQLITE_FULL)");
    const outcome = await runCommand("boom", fakeContext([]), createRegistry([failing(error)]));
    assert.equal(
      outcome.reply,
      'Sorry, I cannot write my database right now (database or disk is full (SQLITE_FULL)), so "boom" changed nothing. ' +
        "Try again once it is fixed; the people on call have been told.",
    );
    assert.ok(!outcome.ok && outcome.kind === "failed" && outcome.error === error);
  });
});

describe("commands: recognisePerson", () => {
  it("recognises configured people by bare or full JID in any case, and nobody else", () => {
    assert.deepEqual(recognisePerson(PEOPLE, "Bob@Mauve.Localhost/laptop"), {
      name: "bob",
      jid: "bob@mauve.localhost",
    });
    assert.equal(recognisePerson(PEOPLE, "mallory@mauve.localhost"), null);
    assert.equal(recognisePerson(PEOPLE, "mauve.localhost/alice@mauve.localhost"), null);
  });
});
