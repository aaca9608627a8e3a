import assert from "node:assert/strict";
import { defaultRegistry, parseCommand, type ParseResult } from "../../src/commands/index.js";

const H = 3_600_000;
const ACK_USAGE = 'Usage: ack <ids> [for <duration>] [because <note>], e.g. "ack 42,43 for 2h because rebooting".';
const ack = (ids: number[], durationMs: number | null = null, note = ""): ParseResult => ({ ok: true, command: "ack", args: { ids, durationMs, note } });
const show = (filter: string): ParseResult => ({ ok: true, command: "show", args: { filter } });
const help = (command: string | null): ParseResult => ({ ok: true, command: "help", args: { command } });
const no = (humanMessage: string): ParseResult => ({ ok: false, humanMessage });

// Real phrasings people type, and what each must mean.
const TABLE: Array<[string, ParseResult]> = [
  ["ack 42", ack([42])],
  ["ACK #42", ack([42])],
  ["ack 42,43 for 2h because rebooting", ack([42, 43], 2 * H, "rebooting")],
  ["ack 42 for 2 hours", ack([42], 2 * H)],
  ["ack 42 because disk swap", ack([42], null, "disk swap")],
  ["ack 42 43", ack([42, 43])],
  ["ack #42, #43 and 44", ack([42, 43, 44])],
  ["ack 42 42 43", ack([42, 43])],
  ["ack 42 for 1h30m", ack([42], 1.5 * H)],
  ["ack 42 for 90m", ack([42], 1.5 * H)],
  ["ack 42 for 1d", ack([42], 24 * H)],
  ["ack 42 for an hour because Fixing It FOR real", ack([42], H, "Fixing It FOR real")],
  ["ack 42 because swap is full because of java", ack([42], null, "swap is full because of java")],
  ["/ack 1", ack([1])],
  ["!ack 1", ack([1])],
  ["ack42", ack([42])],
  [" ack\t42\n for 90m ", ack([42], 1.5 * H)],
  ["acknowledge 7 for 1d", ack([7], 24 * H)],
  ["ack", no(`Which alert? ${ACK_USAGE}`)],
  ["ack foo", no(`"foo" is not an alert number. ${ACK_USAGE}`)],
  ["ack 0", no(`"0" is not an alert number. ${ACK_USAGE}`)],
  ["ack 42 2h", no(`"2h" is not an alert number. To say how long, write "for 2h". ${ACK_USAGE}`)],
  ["ack 42 for banana", no(`I can't read "banana" as a duration; try 90m, 2h, 1d or "2 hours". ${ACK_USAGE}`)],
  ["ack 42 for", no(`For how long? Put a duration after "for". ${ACK_USAGE}`)],
  ["ack 42 for 0m", no(`An ack has to last longer than that. ${ACK_USAGE}`)],
  ["ack 42 because", no(`Say why after "because". ${ACK_USAGE}`)],
  [`ack ${Array.from({ length: 51 }, (_, i) => i + 1).join(" ")}`, no(`That is 51 alerts; I take at most 50 at once. ${ACK_USAGE}`)],
  ["show", show("raised")],
  ["show all", show("all")],
  ["SHOW ALL", show("all")],
  ["show acked", show("acked")],
  ["!show acknowledged", show("acked")],
  ["show raised", show("raised")],
  ["list", show("raised")],
  ["status", show("raised")],
  ["show!", show("raised")],
  ["show everything", no('I can show raised, acked or all alerts, not "everything". Usage: show [raised|acked|all]')],
  ["help", help(null)],
  ["  Help  ack", help("ack")],
  ["help /show", help("show")],
  ["help list", help("show")],
  ["help?", help(null)],
  ["?", help(null)],
  ["help frob", no('I don\'t know "frob". Try: ack, show, help')],
  ["frob", no('I don\'t know "frob". Try: ack, show, help')],
  ["thanks!", no('I don\'t know "thanks". Try: ack, show, help')],
  ["akc 42", no('I don\'t know "akc". Did you mean "ack"? Try: ack, show, help')],
  ["shw", no('I don\'t know "shw". Did you mean "show"? Try: ack, show, help')],
  ["hepl", no('I don\'t know "hepl". Did you mean "help"? Try: ack, show, help')],
  ["", no("Start with a command. Try: ack, show, help")],
  ["42", no("Start with a command. Try: ack, show, help")],
];

describe("commands: parsing", () => {
  for (const [text, want] of TABLE) {
    it(`${JSON.stringify(text)} → ${want.ok ? want.command : "a hint"}`, () => assert.deepEqual(parseCommand(text, defaultRegistry), want));
  }
});
