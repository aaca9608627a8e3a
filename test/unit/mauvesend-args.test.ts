import assert from "node:assert/strict";
import { parseMauvesendArgs, type MauvesendArgs } from "../../src/cli/mauvesend-args.js";
import { parseTimeSpec } from "../../src/cli/mauvesend-time.js";

const NOW = 1_700_000_000;
const alert = (id: string, fields: Record<string, unknown> = {}) => ({
  id, raiseTime: 0, clearTime: 0, subject: "", summary: "", detail: "", importance: 0, suppressUntil: 0, ...fields,
});
const parse = (line: string[]): MauvesendArgs => parseMauvesendArgs(line, NOW);
const send = (line: string[]) => {
  const r = parse(line);
  assert.equal(r.kind, "send", JSON.stringify(r));
  return r as Extract<MauvesendArgs, { kind: "send" }>;
};

describe("mauvesend: command line", () => {
  it("reads Mauve's time specs: now, epoch seconds, and signed or unit-suffixed offsets", () => {
    const table: Array<[string, number | null]> = [
      ["now", NOW], ["", NOW], ["1600000000", 1_600_000_000], ["+5m", NOW + 300], ["-1h", NOW - 3600],
      ["+30", NOW + 30], ["10m", NOW + 600], ["2d", NOW + 172_800], ["90s", NOW + 90], ["soon", null], ["+5y", null], ["5.5m", null],
    ];
    for (const [spec, expected] of table) assert.equal(parseTimeSpec(spec, NOW), expected, spec);
  });

  it("reads the brief's example: one alert raised now", () => {
    const r = send(["-o", "web9", "-i", "disk", "-s", "full", "-r", "now"]);
    assert.deepEqual(r, {
      kind: "send", source: "web9", replace: false, verbose: 0, config: null, timeoutSec: 30, destinations: [],
      alerts: [alert("disk", { summary: "full", raiseTime: NOW })],
    });
  });

  it("starts a new alert at every -i, and raises now those with neither -r nor -c", () => {
    const r = send(["-i", "a", "-s", "A", "-u", "box", "-d", "<b>x</b>", "-i", "b", "-c", "-i", "c", "-r", "+10m", "-c", "now", "-e", "+1h"]);
    assert.deepEqual(r.alerts, [
      alert("a", { summary: "A", subject: "box", detail: "<b>x</b>", raiseTime: NOW }),
      alert("b", { clearTime: NOW }),
      alert("c", { raiseTime: NOW + 600, clearTime: NOW, suppressUntil: NOW + 3600 }),
    ]);
  });

  it("takes -r/-c/-e's optional time only when the next word is one (a negative one too)", () => {
    assert.deepEqual(send(["-i", "x", "-r", "-1h"]).alerts[0]?.raiseTime, NOW - 3600);
    assert.deepEqual(send(["-i", "x", "-c", "-i", "y"]).alerts.map((a) => [a.id, a.clearTime]), [["x", NOW], ["y", 0]]);
    assert.deepEqual(send(["-i", "x", "-r", "alerts.example.com"]).destinations, ["alerts.example.com"]);
  });

  it("accepts bundled, attached and long forms", () => {
    const r = send(["-pvv", "-oweb1", "--id=disk", "--summary", "s", "--raise=+5m", "-c+1h", "--config", "/etc/a.yaml", "--timeout", "5"]);
    assert.deepEqual([r.replace, r.verbose, r.source, r.config, r.timeoutSec], [true, 2, "web1", "/etc/a.yaml", 5]);
    assert.deepEqual(r.alerts, [alert("disk", { summary: "s", raiseTime: NOW + 300, clearTime: NOW + 3600 })]);
  });

  it("allows -p alone: an empty replace clears the whole source", () => {
    assert.deepEqual(send(["-p", "-o", "web1"]).alerts, []);
  });

  it("reports usage errors in words", () => {
    const table: Array<[string[], string]> = [
      [[], "No alerts specified"],
      [["-s", "x"], "Must specify --id before --summary"],
      [["-i", "a", "-i", "a"], "Cannot specify the same ID twice in one update -- ID a"],
      [["-o", "a", "-o", "b", "-p"], "Can only specify one source"],
      [["-i", "a", "-s", ""], "--summary cannot be empty"],
      [["-i"], "--id needs a value"],
      [["-x"], "Unknown option -x"],
      [["--frobnicate"], "Unknown option --frobnicate"],
      [["-i", "a", "--raise=soon"], 'Unrecognised time format "soon" for --raise (try now, +5m, -1h or epoch seconds)'],
      [["-p", "--timeout", "0"], '--timeout expects whole seconds between 1 and 3600, got "0"'],
    ];
    for (const [line, message] of table) assert.deepEqual(parse(line), { kind: "usage", message }, line.join(" "));
  });

  it("answers -h and -V before complaining about anything else", () => {
    assert.deepEqual(parse(["-h"]), { kind: "help" });
    assert.deepEqual(parse(["-V"]), { kind: "version" });
  });
});
