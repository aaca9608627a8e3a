// Each handler beyond ack/show, run through runCommand against a fake bot held in memory.
import assert from "node:assert/strict";
import type { AlertRecord } from "../../src/alerts/types.js";
import { ACK_FORM, FORM_COMMANDS, runFormCommand, SILENCE_FORM } from "../../src/commands/adhoc-forms.js";
import { recognisePerson } from "../../src/commands/authorise.js";
import { runCommand } from "../../src/commands/run.js";
import type { CommandContext, HistoryLine, OnCallOutcome, SilenceRecord } from "../../src/commands/types.js";
import { matches } from "../../src/policy/matcher.js";
import type { Matcher } from "../../src/policy/types.js";

const M = 60_000;
const H = 60 * M;
const NOW = Date.UTC(2025, 0, 1, 12);

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

/** A whole bot in memory: alerts, their history, silences and rotas, with every operation the context offers. */
class FakeBot {
  readonly alerts = new Map<number, AlertRecord>();
  readonly history = new Map<number, HistoryLine[]>();
  readonly silences: SilenceRecord[] = [];
  rota: OnCallOutcome = {
    ok: true,
    rota: [
      { workgroup: "ops", people: ["alice", "bob"] },
      { workgroup: "db", people: [] },
    ],
  };
  escalation: string[] | "nobody-left" = ["carol", "dave"];

  constructor(list: AlertRecord[]) {
    for (const a of list) this.alerts.set(a.shortId, a);
  }

  private log(id: number, kind: string, actor: string, detail: string): void {
    this.history.set(id, [...(this.history.get(id) ?? []), { kind, at: NOW, actor, detail }]);
  }

  context(overrides: Partial<CommandContext> = {}): CommandContext {
    const person = recognisePerson([{ name: "alice", jid: "alice@mauve.localhost" }], "alice@mauve.localhost/phone");
    assert.ok(person);
    const get = (id: number): AlertRecord | undefined => this.alerts.get(id);
    const raised = [...this.alerts.values()].filter((a) => a.status === "raised");
    return {
      person,
      now: NOW,
      ackDefaultMs: H,
      ackMaxMs: 7 * 24 * H,
      alerts: {
        list: (filter) => (filter === "all" ? [...this.alerts.values()] : raised),
        ack: (id) => ({ ok: false, reason: "not-found" as const, ...{ id } }),
        get,
        unack: (id, c) => {
          const a = get(id);
          if (!a) return { ok: false, reason: "not-found" };
          if (a.ack === null) return { ok: false, reason: "not-acked", alert: a };
          this.alerts.set(id, { ...a, ack: null });
          this.log(id, "unacked", c.by, c.note);
          return { ok: true, alert: a };
        },
        clear: (id, c) => {
          const a = get(id);
          if (!a) return { ok: false, reason: "not-found" };
          if (a.status !== "raised") return { ok: false, reason: "not-raised", alert: a };
          this.alerts.set(id, { ...a, status: "cleared", clearedAt: c.at });
          this.log(id, "cleared", c.by, `manual${c.note ? ` because ${c.note}` : ""}`);
          return { ok: true, alert: a };
        },
        note: (id, c) => {
          const a = get(id);
          if (!a) return { ok: false, reason: "not-found" };
          this.log(id, "noted", c.by, c.note);
          return { ok: true, alert: a };
        },
        history: (id) => (get(id) ? (this.history.get(id) ?? []) : undefined),
        escalate: (id) => {
          const a = get(id);
          if (!a) return { ok: false, reason: "not-found" };
          if (a.status !== "raised") return { ok: false, reason: "not-raised", alert: a };
          if (this.escalation === "nobody-left") return { ok: false, reason: "nobody-left", alert: a };
          return { ok: true, alert: a, told: this.escalation };
        },
      },
      silences: {
        add: (matcher: Matcher, until, by, why) => {
          const id = this.silences.length + 1;
          this.silences.push({ id, matcher, until, by, why });
          return id;
        },
        list: (now) => this.silences.filter((s) => s.until > now),
        end: (id, now) => {
          const i = this.silences.findIndex((s) => s.id === id && s.until > now);
          if (i < 0) return false;
          this.silences[i] = { ...this.silences[i]!, until: now };
          return true;
        },
      },
      oncall: (workgroup) => {
        if (workgroup === null || !this.rota.ok) return this.rota;
        const found = this.rota.rota.filter((r) => r.workgroup.toLowerCase() === workgroup.toLowerCase());
        return found.length > 0
          ? { ok: true, rota: found }
          : { ok: false, reason: "unknown-workgroup", known: this.rota.rota.map((r) => r.workgroup) };
      },
      ...overrides,
    };
  }
}

const DISK = alert(42, {
  alertId: "disk-full",
  importance: 90,
  summary: "Disk / is 97% full",
  ack: { by: "bob", at: NOW - H, until: NOW + H, note: "swapping" },
});
const LOAD = alert(43, { alertId: "load", source: "db1", subject: "db1" });
const OLD = alert(44, { alertId: "ntp", status: "cleared", raisedAt: null, clearedAt: NOW - 5 * M });

async function say(text: string, ctx: CommandContext): Promise<string> {
  return (await runCommand(text, ctx)).reply;
}

describe("commands: unack, clear and note", () => {
  it("unack takes a live ack back and says which had none", async () => {
    const bot = new FakeBot([DISK, LOAD]);
    assert.equal(
      await say("unack 42 43 99", bot.context()),
      "#42 web1 disk-full is no longer acknowledged (by alice); its notifications resume\n#43 db1 load was not acknowledged\n#99: no such alert",
    );
    assert.equal(bot.alerts.get(42)?.ack, null);
  });

  it("clear clears by hand with the note, recorded as manual, and refuses what is already clear", async () => {
    const bot = new FakeBot([DISK, OLD]);
    assert.equal(
      await say("clear 42 44 because replaced the disk", bot.context()),
      "#42 web1 disk-full cleared by hand by alice because replaced the disk\n#44 web1 ntp is already cleared",
    );
    assert.deepEqual(bot.history.get(42), [
      { kind: "cleared", at: NOW, actor: "alice", detail: "manual because replaced the disk" },
    ]);
  });

  it("note adds the person's words to the history", async () => {
    const bot = new FakeBot([DISK]);
    assert.equal(
      await say("note 42 vendor ticket #1234", bot.context()),
      "Noted on #42 web1 disk-full by alice: vendor ticket #1234",
    );
    assert.equal(await say("note 7 hello", bot.context()), "#7: no such alert");
    assert.deepEqual(bot.history.get(42), [{ kind: "noted", at: NOW, actor: "alice", detail: "vendor ticket #1234" }]);
  });
});

describe("commands: detail and history", () => {
  it("detail tells state, ack, silences, the sender's hold and schedule, and the detail as text", async () => {
    const bot = new FakeBot([
      {
        ...DISK,
        detail: "<p>Used: <b>97%</b></p><ul><li>/var 60G</li></ul>",
        suppressUntil: NOW + 5 * M,
        scheduledClearAt: NOW + 10 * M,
      },
    ]);
    bot.silences.push({ id: 3, matcher: { source: ["web*"] }, until: NOW + 2 * H, by: "bob", why: "deploy" });
    assert.equal(
      await say("detail 42", bot.context({ timeZone: "Asia/Tokyo" })),
      [
        "#42 web1 disk-full: raised 12m ago, acked by bob for 1h more",
        "Importance: 90",
        "Raised: 2025-01-01 20:48 Asia/Tokyo",
        "Acked until: 2025-01-01 22:00 Asia/Tokyo",
        "Summary: Disk / is 97% full",
        "Ack note (bob): swapping",
        "Silenced for 2h more by silence #3 (source=web*, set by bob)",
        "Its sender holds notifications back for 5m more",
        "Will clear in 10m unless its sender says otherwise",
        "Detail:",
        "> Used: 97%\n>\n> - /var 60G",
      ].join("\n"),
    );
    assert.equal(await say("detail 9", bot.context()), "#9: no such alert");
  });

  it("detail never shows a source as a subject, and shows a sender's subject only as its words", async () => {
    const bot = new FakeBot([
      alert(1, { subject: "" }),
      alert(2, { source: "x9", alertId: "disk2", subject: "web1" }),
      alert(3, { source: "x9", alertId: "ok", subject: `web1' ${"s".repeat(200)}` }),
    ]);
    const lines = async (id: number): Promise<string[]> => (await say(`detail ${id}`, bot.context())).split("\n");
    // No subject sent: the source is not presented as one.
    assert.deepEqual((await lines(1)).slice(0, 3), [
      "#1 web1 alert-1: raised 12m ago",
      "Importance: 50",
      "Raised: 2025-01-01 11:48 UTC",
    ]);
    assert.ok(!(await lines(1)).some((l) => l.startsWith("Subject")));
    // x9 wrote "web1": the first line names x9; "web1" shows, quoted, as what x9 wrote.
    const x9 = await lines(2);
    assert.equal(x9[0], "#2 x9 disk2: raised 12m ago");
    assert.equal(x9.filter((l) => /web1/.test(l)).join("\n"), "Subject, as its sender wrote it: 'web1'");
    // Whole, and its quotes escaped: what the sender wrote cannot end the quote early.
    assert.ok((await lines(3)).includes(`Subject, as its sender wrote it: 'web1\\' ${"s".repeat(200)}'`));
  });

  it("show, detail and history keep sender text on its line, even as stored before ingest folded it", async () => {
    const forged = "disk full\nBcc: attacker@example.org\u2028ack 7\r\nx";
    const bot = new FakeBot([
      alert(5, {
        source: "web1\u2029",
        alertId: "disk\u0085ack 3",
        subject: "s\nack 4",
        summary: forged,
        detail: "d\u2028ack 6",
      }),
    ]);
    bot.history.set(5, [{ kind: "updated", at: NOW, actor: "web1@x\nack 8", detail: forged }]);
    const replies = [
      await say("show all", bot.context()),
      await say("detail 5", bot.context()),
      await say("history 5", bot.context()),
    ];
    for (const reply of replies) {
      for (const line of reply.split(/\r\n|[\n\r\v\f\u0085\u2028\u2029]/)) {
        assert.ok(!/^(Bcc|ack|x$)/.test(line), `${JSON.stringify(line)} in ${JSON.stringify(reply)}`);
      }
    }
    assert.match(
      replies[0]!,
      /^#5 \[importance 50\] web1 disk ack 3 \(subject 's ack 4'\): disk full Bcc: attacker@example\.org ack 7 x \(raised/,
    );
    assert.ok(replies[1]!.includes("Summary: disk full Bcc: attacker@example.org ack 7 x\n"), replies[1]);
    assert.ok(replies[1]!.includes("Detail:\n> d\n> ack 6"), replies[1]);
  });

  it('show puts AlertBot\'s own trouble first, above the list and above "No raised alerts."', async () => {
    const trouble = { since: NOW - 3 * M, text: "AlertBot cannot write its database (disk full)" };
    assert.equal(
      await say("show", new FakeBot([]).context({ troubles: [trouble] })),
      "⚠ AlertBot cannot write its database (disk full) (since 3m ago)\nNo raised alerts.",
    );
    const lines = (await say("show", new FakeBot([DISK]).context({ troubles: [trouble] }))).split("\n");
    assert.equal(lines.length, 2);
    assert.match(lines[0]!, /^⚠ AlertBot cannot write its database/);
    assert.match(lines[1]!, /^#42 /);
    assert.equal(await say("show", new FakeBot([]).context({ troubles: [] })), "No raised alerts.");
  });

  it("detail cuts a long detail text", async () => {
    const bot = new FakeBot([alert(1, { detail: "x".repeat(5_000) })]);
    const text = await say("detail 1", bot.context());
    assert.ok(text.endsWith("x…") && text.length < 1_700, String(text.length));
  });

  it("history lists events oldest first, the last 20 with a count of the rest", async () => {
    const bot = new FakeBot([DISK]);
    bot.history.set(42, [
      { kind: "raised", at: NOW - 3 * H, actor: "web1@mauve.localhost", detail: "" },
      { kind: "notified", at: NOW - 3 * H + 1_000, actor: "policy", detail: "raised to bob by xmpp" },
      { kind: "acked", at: NOW - H, actor: "bob", detail: "until 2025-01-01T13:00:00.000Z because swapping" },
    ]);
    assert.equal(
      await say("history 42", bot.context({ timeZone: "Asia/Tokyo" })),
      [
        "History of #42 web1 disk-full, times in Asia/Tokyo:",
        "2025-01-01 18:00 (3h ago): raised by web1@mauve.localhost",
        "2025-01-01 18:00 (2h59m ago): notified by policy — raised to bob by xmpp",
        "2025-01-01 20:00 (1h ago): acked by bob — until 2025-01-01 22:00 because swapping",
      ].join("\n"),
    );
    bot.history.set(
      42,
      Array.from({ length: 25 }, (_, i) => ({
        kind: "notified",
        at: NOW - (25 - i) * M,
        actor: "policy",
        detail: `n${i}`,
      })),
    );
    const lines = (await say("history 42", bot.context())).split("\n");
    assert.equal(
      lines[0],
      "History of #42 web1 disk-full, times in UTC (the last 20; 5 older, kept: the web board, once an admin turns it on, lists them):",
    );
    const withBoard = bot.context({ webSignIn: () => ({ ok: false, reason: "room" }) });
    assert.equal(
      (await say("history 42", withBoard)).split("\n")[0],
      `History of #42 web1 disk-full, times in UTC (the last 20; 5 older, listed on the web board's page for #42 ("web" in a direct chat gives a link)):`,
    );
    assert.equal(lines[1], "2025-01-01 11:40 (20m ago): notified by policy — n5");
    assert.equal(lines.length, 21);
    assert.equal(await say("history 8", bot.context()), "#8: no such alert");
    assert.equal(await say("history 43", new FakeBot([LOAD]).context()), "#43 db1 load has no history yet.");
  });
});

describe("commands: silence, silences, unsilence", () => {
  it("silence stores the matcher and names the raised alerts it mutes", async () => {
    const bot = new FakeBot([DISK, LOAD, OLD]);
    assert.equal(
      await say("silence source=web* for 2h because deploy", bot.context()),
      "Silence #1 by alice: source=web* for 2h because deploy.\nIt mutes 1 raised alert now: #42 web1 disk-full.",
    );
    assert.deepEqual(bot.silences, [
      { id: 1, matcher: { source: ["web*"] }, until: NOW + 2 * H, by: "alice", why: "deploy" },
    ]);
    assert.equal(
      await say("silence lab* for 1h", bot.context()),
      "Silence #2 by alice: source=lab* for 1h.\nNo raised alert matches it now.",
    );
    assert.equal(
      await say("silence everything for 30d", bot.context()).then((r) => r.split("\n").slice(1).join("\n")),
      "(30d is longer than silences may last, so I used the maximum, 7d.)\nIt mutes 2 raised alerts now: #42 web1 disk-full, #43 db1 load.",
    );
  });

  it("silence names the first 10 alerts it mutes, and says where the rest are listed", async () => {
    const bot = new FakeBot(Array.from({ length: 14 }, (_, i) => ({ ...DISK, shortId: i + 1, alertId: `d${i + 1}` })));
    const reply = await say("silence source=web1 for 1h", bot.context());
    assert.ok(
      reply.endsWith(
        `It mutes 14 raised alerts now: ${Array.from({ length: 10 }, (_, i) => `#${i + 1} web1 d${i + 1}`).join(", ")}, and 4 more ("show silenced" lists them).`,
      ),
      reply,
    );
  });

  it("silence #id covers exactly that alert, even with glob characters in its id", async () => {
    const odd = alert(7, { source: "web1", alertId: "disk-*" });
    const bot = new FakeBot([odd, alert(8, { alertId: "disk-sda" })]);
    assert.equal(
      await say("silence #7 for 1h", bot.context()),
      "Silence #1 by alice: #7 web1 disk-* for 1h.\nIt mutes 1 raised alert now: #7 web1 disk-*.",
    );
    const matcher = bot.silences[0]?.matcher ?? {};
    assert.ok(matches(matcher, odd) && !matches(matcher, alert(8, { alertId: "disk-sda" })));
    assert.equal(await say("silence #99 for 1h", bot.context()), "#99: no such alert");
  });

  it("silences lists those in force; unsilence ends one", async () => {
    const bot = new FakeBot([DISK, LOAD]);
    assert.equal(await say("silences", bot.context()), "No silences in force.");
    await say("silence source=web* id=disk-* for 2h because deploy", bot.context());
    await say("silence importance>=80 for 30m", bot.context());
    assert.equal(
      await say("silences", bot.context()),
      [
        "Silences in force:",
        "#1 source=web* id=disk-*: 2h left, set by alice because deploy (mutes 1 raised)",
        "#2 importance>=80: 30m left, set by alice (mutes 1 raised)",
      ].join("\n"),
    );
    assert.equal(
      await say("unsilence 1 5", bot.context()),
      'Silence #1 (source=web* id=disk-*) ended by alice; its alerts notify again.\nSilence #5: none in force by that number (see "silences").',
    );
    assert.equal((await say("silences", bot.context())).split("\n").length, 2);
  });

  it("refuses a silence to someone not allowed, but lets people end their own", async () => {
    const bot = new FakeBot([DISK]);
    bot.silences.push(
      { id: 1, matcher: {}, until: NOW + H, by: "alice", why: "" },
      { id: 2, matcher: {}, until: NOW + H, by: "bob", why: "" },
    );
    const ctx = bot.context({ may: () => ({ ok: false, workgroup: null }) });
    assert.equal(
      await say("silence web1 for 1h", ctx),
      "Sorry, you may not silence across workgroups (ask someone listed in its permissions).",
    );
    assert.equal(
      await say("unsilence 1 2", ctx),
      "Silence #1 (everything) ended by alice; its alerts notify again.\nSilence #2: sorry, you may not silence across workgroups (ask someone listed in its permissions).",
    );
    assert.equal(bot.silences.length, 2);
  });
});

describe("commands: oncall and escalate", () => {
  it("oncall names who is on call and the backstop, per workgroup or for one", async () => {
    const bot = new FakeBot([]);
    assert.equal(await say("oncall", bot.context()), "ops: alice is on call, then bob\ndb: nobody is on call");
    assert.equal(await say("oncall OPS", bot.context()), "ops: alice is on call, then bob");
    assert.equal(await say("oncall dba", bot.context()), 'I don\'t know a workgroup "dba". Workgroups: ops, db.');
  });

  it("escalate tells who was told, or why nobody was", async () => {
    const bot = new FakeBot([DISK, OLD]);
    assert.equal(await say("escalate 42", bot.context()), "#42 web1 disk-full escalated by alice: telling carol, dave");
    assert.equal(
      await say("escalate 44", bot.context()),
      "#44 web1 ntp is not raised, so there is nothing to escalate",
    );
    bot.escalation = "nobody-left";
    assert.equal(
      await say("escalate 42", bot.context()),
      "#42 web1 disk-full is already at the last step of its escalation: nobody is left to tell",
    );
    assert.equal(
      await say("escalate 1", bot.context({ may: () => ({ ok: false, workgroup: "ops" }) })),
      "#1: no such alert",
    );
    assert.equal(
      await say("escalate 42", bot.context({ may: () => ({ ok: false, workgroup: "ops" }) })),
      "#42 web1 disk-full: you may not escalate alerts of workgroup ops (ask someone listed in its permissions)",
    );
  });
});

describe("commands: a bot without an operation", () => {
  it("answers that it can't, as a refusal rather than a failure", async () => {
    const bare = new FakeBot([DISK]).context();
    const ctx: CommandContext = {
      person: bare.person,
      now: NOW,
      ackDefaultMs: H,
      ackMaxMs: H,
      alerts: { list: () => [], ack: () => ({ ok: false, reason: "not-found" }) },
    };
    for (const [text, what] of [
      ["unack 1", "take acks back"],
      ["clear 1", "clear alerts by hand"],
      ["note 1 x", "take notes"],
      ["detail 1", "look alerts up"],
      ["history 1", "show history"],
      ["escalate 1", "escalate"],
      ["silence web1 for 1h", "keep silences"],
      ["silences", "keep silences"],
    ] as const) {
      const outcome = await runCommand(text, ctx);
      assert.equal(outcome.ok ? "ok" : outcome.kind, "refused", text);
      assert.equal(outcome.reply, `Sorry, this bot can't ${what}: it has not been set up for that.`);
    }
    assert.equal((await runCommand("oncall", ctx)).reply, "Sorry, this bot has no rotas to tell who is on call.");
  });
});

describe("commands: ad-hoc forms", () => {
  it("offers ack and silence, with fields shaped like XEP-0004's", () => {
    assert.deepEqual(
      FORM_COMMANDS.map((c) => [c.node, c.form.fields.map((f) => `${f.var}${f.required ? "*" : ""}`)]),
      [
        ["ack", ["ids*", "duration", "note"]],
        ["silence", ["matcher*", "duration*", "note"]],
      ],
    );
  });

  it("parses a filled ack form into the same arguments as chat", () => {
    const form = (values: Record<string, string>) => (field: string) => values[field] ?? "";
    assert.deepEqual(ACK_FORM.parse(form({ ids: "42, 43", duration: "for 2h", note: "rebooting\nthe box" })), {
      ok: true,
      args: { ids: [42, 43], length: { kind: "for", ms: 2 * H }, note: "rebooting the box" },
    });
    assert.deepEqual(ACK_FORM.parse(form({ ids: "42", duration: "3 working hours" })), {
      ok: true,
      args: { ids: [42], length: { kind: "working-hours", hours: 3 }, note: "" },
    });
    assert.deepEqual(ACK_FORM.parse(form({ ids: "" })), { ok: false, humanMessage: "Which alert?" });
    assert.deepEqual(ACK_FORM.parse(form({ ids: "42", duration: "soon" })), {
      ok: false,
      humanMessage: `I can't read "soon" as a duration; try 90m, 2h, 1d, "2 hours" or "4 working hours".`,
    });
    assert.deepEqual(SILENCE_FORM.parse(form({ matcher: "source=web* because", duration: "1h" })), {
      ok: true,
      args: { target: { kind: "matcher", matcher: { source: ["web*", "because"] } }, durationMs: H, note: "" },
    });
  });

  it("runs a submitted form through the command's handler", async () => {
    const bot = new FakeBot([DISK]);
    const value = (values: Record<string, string>) => (field: string) => values[field] ?? "";
    assert.deepEqual(
      await runFormCommand(SILENCE_FORM, value({ matcher: "#42", duration: "2h", note: "disk swap" }), bot.context()),
      {
        ok: true,
        command: "silence",
        note: "Silence #1 by alice: #42 web1 disk-full for 2h because disk swap.\nIt mutes 1 raised alert now: #42 web1 disk-full.",
        effects: ["silences-changed"],
      },
    );
    assert.deepEqual(
      await runFormCommand(SILENCE_FORM, value({ matcher: "colour=red", duration: "2h" }), bot.context()),
      {
        ok: false,
        kind: "unparsed",
        command: "silence",
        text: 'I don\'t know the field "colour"; use source, id, subject or importance. A matcher looks like: source=web*, id=disk-*, subject="db *", importance>=80, /regex/, #42 or everything; a bare word is a source.',
      },
    );
    const noSilences = { ...bot.context(), silences: undefined } as unknown as CommandContext;
    const refused = await runFormCommand(SILENCE_FORM, value({ matcher: "web1", duration: "2h" }), noSilences);
    assert.ok(!refused.ok);
    assert.deepEqual(
      [refused.kind, refused.text],
      ["refused", "Sorry, this bot can't keep silences: it has not been set up for that."],
    );
  });
});
