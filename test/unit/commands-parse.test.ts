import assert from "node:assert/strict";
import type { AckLength } from "../../src/commands/ack.js";
import { parseCommand, roomCommand, type ParseResult } from "../../src/commands/registry.js";
import { defaultRegistry } from "../../src/commands/run.js";
import type { Matcher } from "../../src/policy/types.js";

const M = 60_000;
const H = 60 * M;
const ALL = "ack, unack, show, detail, history, note, clear, silence, silences, unsilence, oncall, escalate, web, help";
const ACK_USAGE =
  'Usage: ack <ids> [for <duration> | for <n> working hours] [because <note>], e.g. "ack 42,43 for 2h because rebooting".';
const SILENCE_USAGE =
  'Usage: silence <matcher> for <duration> [because <note>], e.g. "silence source=web* id=disk-* for 2h because migrating storage".';
const SYNTAX =
  'A matcher looks like: source=web*, id=disk-*, subject="db *", importance>=80, /regex/, #42 or everything; a bare word is a source.';

const DEFAULT: AckLength = { kind: "default" };
const hours = (ms: number): AckLength => ({ kind: "for", ms });
const working = (n: number): AckLength => ({ kind: "working-hours", hours: n });
const ack = (ids: number[], length: AckLength = DEFAULT, note = ""): ParseResult => ({
  ok: true,
  command: "ack",
  args: { ids, length, note },
});
const ids = (command: string, list: number[], note = ""): ParseResult => ({
  ok: true,
  command,
  args: { ids: list, note },
});
const one = (command: string, id: number): ParseResult => ({ ok: true, command, args: { id } });
const show = (filter: string, limit = 30): ParseResult => ({ ok: true, command: "show", args: { filter, limit } });
const help = (command: string | null): ParseResult => ({ ok: true, command: "help", args: { command } });
const note = (id: number, text: string): ParseResult => ({ ok: true, command: "note", args: { id, text } });
const silence = (matcher: Matcher, durationMs: number, why = ""): ParseResult => ({
  ok: true,
  command: "silence",
  args: { target: { kind: "matcher", matcher }, durationMs, note: why },
});
const silenceAlert = (shortId: number, durationMs: number, why = ""): ParseResult => ({
  ok: true,
  command: "silence",
  args: { target: { kind: "alert", shortId }, durationMs, note: why },
});
const oncall = (workgroup: string | null): ParseResult => ({ ok: true, command: "oncall", args: { workgroup } });
const no = (humanMessage: string): ParseResult => ({ ok: false, humanMessage });

// Real phrasings people type, and what each must mean.
const TABLE: Array<[string, ParseResult]> = [
  // ack
  ["ack 42", ack([42])],
  ["ACK #42", ack([42])],
  ["Ack 42", ack([42])],
  ["ack 42,43 for 2h because rebooting", ack([42, 43], hours(2 * H), "rebooting")],
  ["ack 42 for 2 hours", ack([42], hours(2 * H))],
  ["ack 42 because disk swap", ack([42], DEFAULT, "disk swap")],
  ["ack 42 43", ack([42, 43])],
  ["ack #42, #43 and 44", ack([42, 43, 44])],
  ["ack 42 & 43", ack([42, 43])],
  ["ack 42; 43", ack([42, 43])],
  ["ack 42 42 43", ack([42, 43])],
  ["ack 42 for 1h30m", ack([42], hours(1.5 * H))],
  ["ack 42 for 90m", ack([42], hours(1.5 * H))],
  ["ack 42 for 1d", ack([42], hours(24 * H))],
  ["ack 42 for 45 minutes", ack([42], hours(45 * M))],
  ["ack 42 for an hour because Fixing It FOR real", ack([42], hours(H), "Fixing It FOR real")],
  ["ack 42 because swap is full because of java", ack([42], DEFAULT, "swap is full because of java")],
  ["ack 42 for 2h, because rebooting", ack([42], hours(2 * H), "rebooting")],
  ["ack 42 because: rebooting", ack([42], DEFAULT, "rebooting")],
  ["ack 42 for 4 working hours", ack([42], working(4))],
  ["ack 42 for 8 Working Hours because waiting on the vendor", ack([42], working(8), "waiting on the vendor")],
  ["ack 7 for a working hour", ack([7], working(1))],
  ["ack 7 for 3 business hours", ack([7], working(3))],
  ["ack 7 for 1 work hour", ack([7], working(1))],
  ["/ack 1", ack([1])],
  ["!ack 1", ack([1])],
  ["ack42", ack([42])],
  [" ack\t42\n for 90m ", ack([42], hours(1.5 * H))],
  ["acknowledge 7 for 1d", ack([7], hours(24 * H))],
  ["ack", no(`Which alert? ${ACK_USAGE}`)],
  ["ack foo", no(`"foo" is not an alert number. ${ACK_USAGE}`)],
  ["ack 0", no(`"0" is not an alert number. ${ACK_USAGE}`)],
  ["ack 42 2h", no(`"2h" is not an alert number. To say how long, write "for 2h". ${ACK_USAGE}`)],
  [
    "ack 42 for banana",
    no(`I can't read "banana" as a duration; try 90m, 2h, 1d, "2 hours" or "4 working hours". ${ACK_USAGE}`),
  ],
  ["ack 42 for", no(`For how long? Put a duration after "for". ${ACK_USAGE}`)],
  ["ack 42 for 0m", no(`An ack has to last longer than that. ${ACK_USAGE}`)],
  ["ack 42 for 0 working hours", no(`An ack has to last longer than that. ${ACK_USAGE}`)],
  ["ack 42 because", no(`Say why after "because". ${ACK_USAGE}`)],
  // Durations that add up silently, or round to nothing, are refused.
  [
    "ack 42 for 2h 2h",
    no(
      `"2h 2h" gives a unit twice or out of order; write one duration, largest unit first, e.g. 2h or 1h30m. ${ACK_USAGE}`,
    ),
  ],
  [
    "ack 42 for 30m 1h",
    no(
      `"30m 1h" gives a unit twice or out of order; write one duration, largest unit first, e.g. 2h or 1h30m. ${ACK_USAGE}`,
    ),
  ],
  ["ack 42 for 1 hour 30 minutes", ack([42], hours(1.5 * H))],
  ["ack 42 for 0.4s", no(`An ack has to last longer than that. ${ACK_USAGE}`)],
  ["ack 42 for 0.0001 working hours", no(`An ack has to last longer than that. ${ACK_USAGE}`)],
  // Notes after "because" have the same limit as `note`; what is quoted back is shortened.
  [`ack 42 because ${"x".repeat(1_001)}`, no(`That note is 1001 characters; keep it under 1000. ${ACK_USAGE}`)],
  [
    `ack ${"9".repeat(5)}z${"z".repeat(500)}`,
    no(`"${"9".repeat(5)}${"z".repeat(34)}…" is not an alert number. ${ACK_USAGE}`),
  ],
  [
    `ack ${Array.from({ length: 51 }, (_, i) => i + 1).join(" ")}`,
    no(`That is 51 alerts; I take at most 50 at once. ${ACK_USAGE}`),
  ],
  // unack and clear
  ["unack 42", ids("unack", [42])],
  ["UNACK 42, 43", ids("unack", [42, 43])],
  ["un-ack #42 because wrong alert", ids("unack", [42], "wrong alert")],
  [
    `clear 42 because ${"c".repeat(1_001)}`,
    no(
      'That note is 1001 characters; keep it under 1000. Usage: clear <ids> [because <note>], e.g. "clear 42 because fixed by hand".',
    ),
  ],
  ["unack", no('Which alert? Usage: unack <ids> [because <note>], e.g. "unack 42".')],
  ["clear 42", ids("clear", [42])],
  ["clear 42 because fixed by hand", ids("clear", [42], "fixed by hand")],
  ["resolve 42 43 because replaced the disk", ids("clear", [42, 43], "replaced the disk")],
  [
    "clear web1",
    no('"web1" is not an alert number. Usage: clear <ids> [because <note>], e.g. "clear 42 because fixed by hand".'),
  ],
  // show
  ["show", show("raised")],
  ["show all", show("all")],
  ["SHOW ALL", show("all")],
  ["show acked", show("acked")],
  ["!show acknowledged", show("acked")],
  ["show raised", show("raised")],
  ["show silenced", show("silenced")],
  ["show muted 5", show("silenced", 5)],
  ["show 5", show("raised", 5)],
  ["show all 10", show("all", 10)],
  ["show 10 all", show("all", 10)],
  ["show all 5000", show("all", 100)],
  ["list", show("raised")],
  ["status", show("raised")],
  ["show!", show("raised")],
  ["show everything", show("all")],
  [
    "show constructor",
    no(
      'I can show raised, acked, silenced or all alerts, and a number of them, not "constructor". Usage: show [raised|acked|silenced|all] [N]',
    ),
  ],
  [
    "show frobs",
    no(
      'I can show raised, acked, silenced or all alerts, and a number of them, not "frobs". Usage: show [raised|acked|silenced|all] [N]',
    ),
  ],
  [
    "show silences",
    no(
      'I can show raised, acked, silenced or all alerts, and a number of them, not "silences". To list the silences themselves, say "silences". Usage: show [raised|acked|silenced|all] [N]',
    ),
  ],
  // detail, history, note, escalate
  ["detail 42", one("detail", 42)],
  ["details #42", one("detail", 42)],
  ["info 42", one("detail", 42)],
  ["detail", no('Which alert? Usage: detail <id>, e.g. "detail 42".')],
  ["detail 42 43", no('One alert at a time, please. Usage: detail <id>, e.g. "detail 42".')],
  ["history 42", one("history", 42)],
  ["log #7", one("history", 7)],
  ["history disk", no('"disk" is not an alert number. Usage: history <id>, e.g. "history 42".')],
  ["note 42 the RAID card is being replaced", note(42, "the RAID card is being replaced")],
  ["note #42: vendor ticket 1234", note(42, "vendor ticket 1234")],
  ["comment 42 - ok for now, because nothing else runs there", note(42, "ok for now, because nothing else runs there")],
  [
    "note 42",
    no(
      'What should the note say? Usage: note <id> <text>, e.g. "note 42 the RAID controller is being replaced on Tuesday".',
    ),
  ],
  [
    "note disk full",
    no(
      '"disk" is not an alert number. Usage: note <id> <text>, e.g. "note 42 the RAID controller is being replaced on Tuesday".',
    ),
  ],
  ["escalate 42", one("escalate", 42)],
  ["esc #42", one("escalate", 42)],
  ["escalate", no('Which alert? Usage: escalate <id>, e.g. "escalate 42".')],
  // silence
  ["silence web1 for 2h", silence({ source: ["web1"] }, 2 * H)],
  [
    "silence source=web* id=disk-* for 2h because migrating storage",
    silence({ source: ["web*"], alertId: ["disk-*"] }, 2 * H, "migrating storage"),
  ],
  ["Silence SOURCE = web* for 30 minutes", silence({ source: ["web*"] }, 30 * M)],
  ["mute host=db1,db2 for 1d", silence({ source: ["db1", "db2"] }, 24 * H)],
  [
    'silence subject="backup *" for 6h because the NAS is moving',
    silence({ subject: ["backup *"] }, 6 * H, "the NAS is moving"),
  ],
  ["silence id=/^disk-(sda|sdb)$/ for 1h", silence({ alertId: ["/^disk-(sda|sdb)$/"] }, H)],
  ["silence importance<=30 for 1w", silence({ importance: { max: 30 } }, 7 * 24 * H)],
  // A /regex/ with a space: quoted, it is one regex; bare, it is refused (it was taken as two globs).
  ['silence "/web 1/" for 1h', silence({ source: ["/web 1/"] }, H)],
  ['silence source="/web 1/i" for 1h', silence({ source: ["/web 1/i"] }, H)],
  [
    "silence /web 1/ for 1h",
    no(
      `"/web" starts a /regex/ but does not end one. A regex with spaces goes in double quotes, e.g. source="/web 1/". ${SYNTAX} ${SILENCE_USAGE}`,
    ),
  ],
  [
    "silence id=/disk sda/ for 1h",
    no(
      `"/disk" starts a /regex/ but does not end one. A regex with spaces goes in double quotes, e.g. source="/web 1/". ${SYNTAX} ${SILENCE_USAGE}`,
    ),
  ],
  [
    `silence web1 for 1h because ${"n".repeat(1_200)}`,
    no(`That note is 1200 characters; keep it under 1000. ${SILENCE_USAGE}`),
  ],
  [
    "silence web1 for 1h 1h",
    no(
      `"1h 1h" gives a unit twice or out of order; write one duration, largest unit first, e.g. 2h or 1h30m. ${SILENCE_USAGE}`,
    ),
  ],
  [
    "silence importance=80-100 source=lab* for 2h",
    silence({ importance: { min: 80, max: 100 }, source: ["lab*"] }, 2 * H),
  ],
  [
    "silence importance=urgent for 2h",
    no(
      `I can't read "importance=urgent"; try importance>=80 or importance=40-59 (urgent, normal and low are levels the rules give, not importances). ${SYNTAX} ${SILENCE_USAGE}`,
    ),
  ],
  ["silence importance=40-59 for 2h", silence({ importance: { min: 40, max: 59 } }, 2 * H)],
  ["silence everything for 15m because planned outage", silence({}, 15 * M, "planned outage")],
  ["silence source=forge* for 1h", silence({ source: ["forge*"] }, H)],
  ["silence #42 for 2h", silenceAlert(42, 2 * H)],
  ["silence 42 for 2h because flapping", silenceAlert(42, 2 * H, "flapping")],
  ["silence web1", no(`For how long? ${SILENCE_USAGE}`)],
  ["silence web1 2h", no(`For how long? Write "for 2h". ${SILENCE_USAGE}`)],
  ["silence for 2h", no(`What should I silence? ${SILENCE_USAGE}`)],
  ["silence", no(`What should I silence? ${SILENCE_USAGE}`)],
  ["silence web1 for ever", no(`I can't read "ever" as a duration; try 30m, 2h or 1d. ${SILENCE_USAGE}`)],
  [
    "silence colour=red for 2h",
    no(`I don't know the field "colour"; use source, id, subject or importance. ${SYNTAX} ${SILENCE_USAGE}`),
  ],
  // Words that name a property of every JavaScript object are words like any other: this one
  // used to be read as a field and silence everything.
  [
    "silence constructor=web1 for 2h",
    no(`I don't know the field "constructor"; use source, id, subject or importance. ${SYNTAX} ${SILENCE_USAGE}`),
  ],
  [
    "silence id=/disk(/ for 2h",
    no(
      `"/disk(/" is not a valid regex (Invalid regular expression: /disk(/: Unterminated group). ${SYNTAX} ${SILENCE_USAGE}`,
    ),
  ],
  [
    "silence importance>=lots for 2h",
    no(
      `I can't read "importance>=lots"; try importance>=80 or importance=40-59 (urgent, normal and low are levels the rules give, not importances). ${SYNTAX} ${SILENCE_USAGE}`,
    ),
  ],
  ["silence source>web for 2h", no(`">" only works with importance; write source=pattern. ${SYNTAX} ${SILENCE_USAGE}`)],
  [
    "silence web1 42 for 2h",
    no(`To silence one alert, say "silence #42 for …" on its own. ${SYNTAX} ${SILENCE_USAGE}`),
  ],
  // silences, unsilence, oncall
  ["silences", { ok: true, command: "silences", args: null }],
  ["silences web1", no('Just "silences" lists them; to end one, say "unsilence <n>".')],
  ["unsilence 3", { ok: true, command: "unsilence", args: { ids: [3] } }],
  ["unmute #3, #4", { ok: true, command: "unsilence", args: { ids: [3, 4] } }],
  ["unsilence", no('Which silence? "silences" lists their numbers. Usage: unsilence <n>, e.g. "unsilence 3".')],
  ["oncall", oncall(null)],
  ["oncall ops", oncall("ops")],
  ["on-call for DBA", oncall("DBA")],
  ["who", oncall(null)],
  ["oncall ops db", no('One workgroup at a time, please. Usage: oncall [workgroup], e.g. "oncall ops".')],
  // help and the unknown
  ["help", help(null)],
  ["  Help  ack", help("ack")],
  ["help /show", help("show")],
  ["help list", help("show")],
  ["help mute", help("silence")],
  ["help?", help(null)],
  ["?", help(null)],
  ["help frob", no(`I don't know "frob". Try: ${ALL}`)],
  ["frob", no(`I don't know "frob". Try: ${ALL}`)],
  [`${"z".repeat(100_000)}`, no(`I don't know "${"z".repeat(39)}…". Try: ${ALL}`)],
  ["\u200b", no(`Start with a command. Try: ${ALL}`)],
  ["\u200bshow\u2060", parseCommand("show", defaultRegistry)],
  // Invisible characters inside the line (a pasted U+200B, a soft hyphen, the marks a right-to-left
  // keyboard puts around digits) are not part of what was typed; the joiners of emoji and scripts stay.
  ["ack\u200b 42", ack([42])],
  ["a\u00adck 4\u200b2 for 2\u2060h", ack([42], hours(2 * H))],
  ["ack \u200f42\u200f, \u200e43\u200e", ack([42, 43])],
  [
    "note 42 \u{1F468}\u200d\u{1F527} on it, \u0645\u06cc\u200c\u0634\u0648\u062f",
    note(42, "\u{1F468}\u200d\u{1F527} on it, \u0645\u06cc\u200c\u0634\u0648\u062f"),
  ],
  ["thanks!", no(`I don't know "thanks". Try: ${ALL}`)],
  ["akc 42", no(`I don't know "akc". Did you mean "ack"? Try: ${ALL}`)],
  ["shw", no(`I don't know "shw". Did you mean "show"? Try: ${ALL}`)],
  ["hepl", no(`I don't know "hepl". Did you mean "help"? Try: ${ALL}`)],
  ["silense web1 for 2h", no(`I don't know "silense". Did you mean "silence"? Try: ${ALL}`)],
  ["", no(`Start with a command. Try: ${ALL}`)],
  ["42", no(`Start with a command. Try: ${ALL}`)],
];

describe("commands: parsing", () => {
  it("has a table of at least 60 real phrasings", () => assert.ok(TABLE.length >= 60, String(TABLE.length)));
  for (const [text, want] of TABLE) {
    it(`${JSON.stringify(text.length > 60 ? text.slice(0, 57) + "..." : text)} → ${want.ok ? want.command : "a hint"}`, () =>
      assert.deepEqual(parseCommand(text, defaultRegistry), want));
  }
});

describe("commands: lines said in a room", () => {
  const ROOM: Array<[string, string | null]> = [
    ["AlertBot: ack 42", "ack 42"],
    ["alertbot, show all", "show all"],
    ["@AlertBot help", "help"],
    ["AlertBot:", "help"],
    ["AlertBot: \u200b", "help"],
    ["AlertBot frob", "frob"], // addressed: a typo gets its hint
    ["ack 42 for 2h", null], // not addressed: people talk among themselves
    ["show", null],
    ["help", null],
    ["who broke the build?", null],
    ["note to self: coffee", null],
    ["clear", null],
    ["hi all", null],
    ["AlertBots are great", null],
  ];
  for (const [body, want] of ROOM) {
    it(`${JSON.stringify(body)} → ${want === null ? "ignored" : JSON.stringify(want)}`, () =>
      assert.equal(roomCommand(body, "AlertBot"), want));
  }
  it("escapes the nick", () => assert.equal(roomCommand("a.b+c: show", "a.b+c"), "show"));
});
