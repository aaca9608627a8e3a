import assert from "node:assert/strict";
import { parseMauvesendArgs, parseTimeSpec, type MauvesendArgs } from "../../src/cli/mauvesend-args.js";

const NOW = 1_700_000_000;
const alert = (id: string, fields: Record<string, unknown> = {}) => ({
  id,
  raiseTimeS: 0,
  clearTimeS: 0,
  subject: "",
  summary: "",
  detail: "",
  importance: 0,
  suppressUntilS: 0,
  ...fields,
});
const parse = (line: string[]): MauvesendArgs => parseMauvesendArgs(line, NOW);
const send = (line: string[]) => {
  const r = parse(line);
  assert.equal(r.kind, "send", JSON.stringify(r));
  return r;
};

describe("mauvesend: command line", () => {
  it("reads Mauve's time specs: now, epoch seconds, and signed or unit-suffixed offsets", () => {
    const table: Array<[string, number | null]> = [
      ["now", NOW],
      ["", NOW],
      ["1600000000", 1_600_000_000],
      ["+5m", NOW + 300],
      ["-1h", NOW - 3600],
      ["+30", NOW + 30],
      ["10m", NOW + 600],
      ["2d", NOW + 172_800],
      ["90s", NOW + 90],
      ["soon", null],
      ["+5y", null],
      ["5.5m", null],
    ];
    for (const [spec, expected] of table) assert.equal(parseTimeSpec(spec, NOW), expected, spec);
  });

  it("reads the brief's example: one alert raised now", () => {
    const r = send(["-o", "web9", "-i", "disk", "-s", "full", "-r", "now"]);
    assert.deepEqual(r, {
      kind: "send",
      source: "web9",
      replace: false,
      verbose: 0,
      config: null,
      timeoutSec: 30,
      destinations: [],
      alerts: [alert("disk", { summary: "full", raiseTimeS: NOW })],
    });
  });

  it("starts a new alert at every -i, and raises now those with neither -r nor -c", () => {
    const r = send([
      "-i",
      "a",
      "-s",
      "A",
      "-u",
      "box",
      "-d",
      "<b>x</b>",
      "-i",
      "b",
      "-c",
      "-i",
      "c",
      "-r",
      "+10m",
      "-c",
      "now",
      "-e",
      "+1h",
    ]);
    assert.deepEqual(r.alerts, [
      alert("a", { summary: "A", subject: "box", detail: "<b>x</b>", raiseTimeS: NOW }),
      alert("b", { clearTimeS: NOW }),
      alert("c", { raiseTimeS: NOW + 600, clearTimeS: NOW, suppressUntilS: NOW + 3600 }),
    ]);
  });

  it("takes an option's value from its own word, else from the next word unless that is an option (GetoptLong)", () => {
    assert.deepEqual(send(["-i", "x", "-r-1h"]).alerts[0]?.raiseTimeS, NOW - 3600);
    assert.deepEqual(send(["-i", "x", "--raise=-1h"]).alerts[0]?.raiseTimeS, NOW - 3600);
    assert.deepEqual(
      send(["-i", "x", "-c", "-i", "y"]).alerts.map((a) => [a.id, a.clearTimeS]),
      [
        ["x", NOW],
        ["y", 0],
      ],
    );
    assert.deepEqual(
      send(["-i", "x", "-c", "", "-r", "+10m"]).alerts.map((a) => [a.clearTimeS, a.raiseTimeS]),
      [[NOW, NOW + 600]],
    );
    assert.deepEqual(send(["-i", "x", "-s", "-"]).alerts[0]?.summary, "-");
    assert.deepEqual(send(["-vix", "alerts.example.com:32741"]).destinations, ["alerts.example.com:32741"]);
    assert.deepEqual(send(["-i", "x", "--", "-v", "-i"]).destinations, ["-v", "-i"]);
  });

  it("reads unique abbreviations of Mauve's long options, as GetoptLong does", () => {
    const r = send(["--i", "x", "--sum", "full", "--re", "--ra=+1m", "--sub", "box"]);
    assert.deepEqual(
      [r.replace, r.alerts],
      [true, [alert("x", { summary: "full", subject: "box", raiseTimeS: NOW + 60 })]],
    );
  });

  it("accepts bundled, attached and long forms", () => {
    const r = send([
      "-pvv",
      "-oweb1",
      "--id=disk",
      "--summary",
      "s",
      "--raise=+5m",
      "-c+1h",
      "--config",
      "/etc/a.yaml",
      "--timeout",
      "5",
    ]);
    assert.deepEqual([r.replace, r.verbose, r.source, r.config, r.timeoutSec], [true, 2, "web1", "/etc/a.yaml", 5]);
    assert.deepEqual(r.alerts, [alert("disk", { summary: "s", raiseTimeS: NOW + 300, clearTimeS: NOW + 3600 })]);
  });

  it("allows -p alone: an empty replace clears the whole source", () => {
    assert.deepEqual(send(["-p", "-o", "web1"]).alerts, []);
  });

  // Each message and the refusal itself checked against Mauve's own bin/mauvesend (Ruby, GetoptLong):
  // see test/integration/mauvesend-vs-mauve.test.ts, which runs both side by side.
  const MAUVE_REFUSALS: Array<[string[], string, boolean?]> = [
    [["-i", "x", "-r", "+10min"], 'Unrecognised time format "+10min"'],
    [["-i", "x", "-r", "bogus"], 'Unrecognised time format "bogus"'],
    [["-i", "x", "-r", "10mins"], 'Unrecognised time format "10mins"'],
    [["-i", "x", "-e", "2026-12-25"], 'Unrecognised time format "2026-12-25"'],
    [["-i", "x", "-c", "now", "-r", "+10min"], 'Unrecognised time format "+10min"'],
    [["-i", "x", "-c", "yesterday"], 'Unrecognised time format "yesterday"'],
    [["-i", "x", "--suppress=+1w"], 'Unrecognised time format "+1w"'],
    [["-i", "x", "-r", "alerts.example.com"], 'Unrecognised time format "alerts.example.com"'],
    [["-i", "x", "-r", "5.5m"], 'Unrecognised time format "5.5m"'],
    [["-i", "-s", "foo"], "-i cannot be empty"],
    [["-i"], "-i cannot be empty"],
    [["--id="], "-i cannot be empty"],
    [["-i", "x", "-s"], "-s cannot be empty"],
    [["-i", "x", "-s", ""], "-s cannot be empty"],
    [["-i", "x", "-u", "-d", "y"], "-u cannot be empty"],
    [["-i", "x", "-d"], "-d cannot be empty"],
    [["-i", "x", "-e"], "-e cannot be empty"],
    [["-i", "x", "-e", "-r"], "-e cannot be empty"],
    [["-o"], "-o cannot be empty"],
    [["-o", "-i", "x"], "-o cannot be empty"],
    [["-r", "+10min"], "Must specify --id before message"],
    [["-s", "x"], "Must specify --id before message"],
    [["-h", "-s", "x"], "Must specify --id before message"],
    [["-i", "a", "-i", "a"], "Cannot specify the same ID twice in one update -- ID a"],
    [["-o", "a", "-o", "b", "-p"], "Can only specify one source"],
    [[], "No alerts specified"],
    [["-v", "alerts.example.com"], "No alerts specified"],
    [["-i", "x", "-r", "-10h"], "invalid option -- 1", true],
    [["-x"], "invalid option -- x", true],
    [["-m", "-x"], "invalid option -- x", true],
    [["-pq"], "invalid option -- q", true],
    [["--frob"], "unrecognized option `--frob'", true],
    [["--frob=1"], "unrecognized option `--frob=1'", true],
    [["--s", "x"], "option `--s' is ambiguous between --source, --summary, --subject, --suppress", true],
    [["--ver"], "option `--ver' is ambiguous between --version, --verbose", true],
    [["-i", "x", "--help=3"], "option `--help' doesn't allow an argument", true],
    [["-i", "x", "--verbose=2"], "option `--verbose' doesn't allow an argument", true],
  ];

  it("refuses what Mauve's mauvesend refuses, in its words, at the first problem", () => {
    for (const [line, message, fromParser = false] of MAUVE_REFUSALS) {
      assert.deepEqual(parse(line), { kind: "usage", message, fromParser }, line.join(" "));
    }
  });

  it("refuses our own options' bad values too", () => {
    const table: Array<[string[], string, boolean?]> = [
      [["-p", "--timeout", "0"], '--timeout expects whole seconds between 1 and 3600, got "0"'],
      [["-p", "--timeout"], "option `--timeout' requires an argument", true],
      [["--config", "-i", "x"], "option `--config' requires an argument", true],
      [["-i", "x", "--timeout", "-v"], "option `--timeout' requires an argument", true],
      [["-p", "--config="], "--config cannot be empty"],
      // Ours are never abbreviated: these mean what they mean in Mauve.
      [["-p", "--conf", "x"], "unrecognized option `--conf'", true],
      [["-i", "x", "-r", "99999999999999999999"], 'Unrecognised time format "99999999999999999999"'],
    ];
    for (const [line, message, fromParser = false] of table)
      assert.deepEqual(parse(line), { kind: "usage", message, fromParser }, line.join(" "));
    assert.deepEqual(send(["-i", "x", "--c"]).alerts[0]?.clearTimeS, NOW, "--c is Mauve's --clear, not --config");
  });

  it("answers -h, -m and -V after reading the whole line, and before asking for alerts", () => {
    const info = (help: boolean, manual: boolean, version: boolean) => ({ kind: "info", help, manual, version });
    assert.deepEqual(parse(["-h"]), info(true, false, false));
    assert.deepEqual(parse(["--manual"]), info(false, true, false));
    assert.deepEqual(parse(["-V", "-i", "x"]), info(false, false, true));
    assert.deepEqual(parse(["-hV"]), info(true, false, true));
  });
});
