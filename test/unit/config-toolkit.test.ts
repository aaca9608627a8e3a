import assert from "node:assert/strict";
import { inspect } from "node:util";
import { list, object, optional } from "../../src/schema/combinators.js";
import { formatDuration, parseDuration } from "../../src/util/duration.js";
import { InvalidConfigError, loadYaml } from "../../src/config/load.js";
import type { Reader } from "../../src/schema/reader.js";
import { bareJid, bool, duration, fsPath, int, str, timeZone } from "../../src/schema/scalars.js";
import { secret, Secret } from "../../src/schema/secret.js";
import { ConfigError } from "../../src/errors.js";

const S = 1_000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

/** Loads `text` with `schema` and returns the error message (or fails if it loads). */
function errorOf<T>(text: string, schema: Reader<T>, options: Partial<Parameters<typeof loadYaml>[2]> = {}): string {
  try {
    loadYaml(text, schema, { file: "t.yaml", ...options });
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.message;
  }
  assert.fail("expected a ConfigError");
}

describe("config: durations", () => {
  const table: Array<[string, number | null]> = [
    ["90s", 90 * S],
    ["5m", 5 * M],
    ["2h", 2 * H],
    ["1d", D],
    ["1w", 7 * D],
    ["1h30m", H + 30 * M],
    ["1h 30m", H + 30 * M],
    ["2 hours", 2 * H],
    ["1 hour 30 minutes", H + 30 * M],
    ["2 hours and 30 minutes", 2 * H + 30 * M],
    ["an hour", H],
    ["a day", D],
    ["1.5h", 90 * M],
    ["90 MIN", 90 * M],
    ["0s", 0],
    ["", null],
    ["90", null],
    ["banana", null],
    ["5 fortnights", null],
    ["-5m", null],
    ["5m!", null],
    ["h", null],
    // Terms go from larger units to smaller: a repeat or a reversal was added up silently.
    ["2h 2h", null],
    ["2h\n1h", null],
    ["30m 1h", null],
    ["1 hour and 1 hours", null],
    ["1d 2h 3m 4s", D + 2 * H + 3 * M + 4 * S],
  ];
  for (const [text, ms] of table) it(`parses ${JSON.stringify(text)}`, () => assert.equal(parseDuration(text), ms));

  it("formats with at most two units", () => {
    assert.deepEqual([0, 999, 45 * S, 90 * M, 2 * H, 7 * D, D + 12 * H + 5 * M, H + 5 * S].map(formatDuration), [
      "0s",
      "0s",
      "45s",
      "1h30m",
      "2h",
      "7d",
      "1d12h",
      "1h",
    ]);
  });
});

describe("config: Secret", () => {
  it("never prints its value, however it is printed", () => {
    const s = new Secret("hunter2");
    // The point is to stringify a Secret every way people do by mistake.
    /* eslint-disable @typescript-eslint/restrict-template-expressions, @typescript-eslint/restrict-plus-operands */
    for (const text of [
      String(s),
      `${s}`,
      JSON.stringify({ s }),
      inspect({ s }, { depth: 5 }),
      s + "",
      inspect(s, { showHidden: true }),
    ]) {
      /* eslint-enable @typescript-eslint/restrict-template-expressions, @typescript-eslint/restrict-plus-operands */
      assert.ok(!text.includes("hunter2"), text);
      assert.ok(text.includes("[redacted]"), text);
    }
    assert.equal(s.reveal(), "hunter2");
  });
});

describe("config: secret fields", () => {
  const schema = object({ password: secret() });
  const load = (text: string, options: Partial<Parameters<typeof loadYaml>[2]> = {}): string =>
    loadYaml(text, schema, { file: "/etc/mauve/t.yaml", ...options }).password.reveal();

  it("reads inline, from the environment, and from a file (trimmed, relative to the config)", () => {
    assert.equal(load("password: s3cret"), "s3cret");
    assert.equal(load("password_env: PW", { env: { PW: "from-env" } }), "from-env");
    const read: string[] = [];
    const readFile = (path: string): string => (read.push(path), "from-file\n");
    assert.equal(load("password_file: pw.txt", { readFile }), "from-file");
    assert.deepEqual(read, ["/etc/mauve/pw.txt"]);
  });

  it("names the key and the variable or path when the secret is missing", () => {
    const enoent = (): string => {
      throw Object.assign(new Error("nope"), { code: "ENOENT" });
    };
    assert.equal(
      errorOf("{}", schema),
      "t.yaml: password: expected a secret, given as password, password_env or password_file, got nothing",
    );
    assert.equal(errorOf("password_env: PW", schema), "t.yaml: password_env: environment variable PW is not set");
    assert.equal(
      errorOf("password_env: PW", schema, { env: { PW: "" } }),
      "t.yaml: password_env: environment variable PW is not set",
    );
    assert.equal(
      errorOf("password_env: not a var", schema),
      't.yaml: password_env: expected an environment variable name like XMPP_PASSWORD, got "not a var"',
    );
    assert.equal(
      errorOf("password_file: /run/pw", schema, { readFile: enoent }),
      "t.yaml: password_file: cannot read /run/pw (ENOENT)",
    );
    assert.equal(
      errorOf("password_file: /run/pw", schema, { readFile: () => " \n" }),
      "t.yaml: password_file: /run/pw is empty",
    );
    assert.equal(
      errorOf("password: a\npassword_env: PW", schema),
      "t.yaml: password_env: give only one of password, password_env or password_file, got password and password_env",
    );
  });

  it("never quotes a mistyped secret back", () => {
    assert.equal(errorOf("password: 31337", schema), "t.yaml: password: expected a non-empty string, got a number");
    assert.equal(errorOf("password: [hunter2]", schema), "t.yaml: password: expected a non-empty string, got a list");
  });
});

describe("config: readers", () => {
  const schema = object({
    name: optional(str({ max: 5 }), "x"),
    count: optional(int(1, 10), 1),
    on: optional(bool(), true),
    wait: optional(duration({ min: S, max: H }), "1m"),
    who: optional(bareJid(), "a@b"),
    tz: optional(timeZone(), "UTC"),
    path: optional(fsPath(), "data/x.db"),
    tags: optional(list(str(), { unique: [{ key: "", of: (t) => t }] }), []),
  });

  it("fills defaults through the same readers, resolves paths and normalises values", () => {
    const got = loadYaml("who: Alice@Example.ORG\ntz: america/new_york", schema, { file: "/srv/mauve/t.yaml" });
    assert.deepEqual(got, {
      name: "x",
      count: 1,
      on: true,
      wait: M,
      who: "alice@example.org",
      tz: "America/New_York",
      path: "/srv/mauve/data/x.db",
      tags: [],
    });
  });

  it("reports every problem, each with its key and what was expected", () => {
    const text =
      "name: toolong\ncount: 11\non: yes\nwait: 2h\nwho: a@b/c\ntz: Nowhere\npath: ''\ntags: [a, 1]\nextra: 1\n";
    assert.equal(
      errorOf(text, schema),
      [
        "t.yaml: extra: unknown key (expected one of: name, count, on, wait, who, tz, path, tags)",
        "t.yaml: name: expected at most 5 characters, got 7",
        "t.yaml: count: expected a whole number between 1 and 10, got 11",
        't.yaml: on: expected true or false, got "yes"',
        't.yaml: wait: expected a duration between 1s and 1h, got "2h"',
        't.yaml: who: expected a bare JID like alice@example.org, got "a@b/c"',
        't.yaml: tz: expected an IANA time zone like Europe/London, got "Nowhere"',
        't.yaml: path: expected a file path, got ""',
        "t.yaml: tags[1]: expected a non-empty string, got 1",
      ].join("\n"),
    );
  });

  it("throws one InvalidConfigError carrying the first issue's key and all issues", () => {
    try {
      loadYaml("count: 0\non: 1", schema, { file: "t.yaml" });
      assert.fail("expected an error");
    } catch (err) {
      assert.ok(err instanceof InvalidConfigError && err instanceof ConfigError);
      assert.equal(err.name, "ConfigError");
      assert.equal(err.file, "t.yaml");
      assert.equal(err.key, "count");
      assert.equal(err.problem, "expected a whole number between 1 and 10, got 0");
      assert.deepEqual(
        err.issues.map((i) => i.key),
        ["count", "on"],
      );
    }
  });

  it("rejects documents that are empty or not a mapping, and runaway aliases", () => {
    assert.equal(
      errorOf("# nothing\n", schema),
      "t.yaml: (top level): expected a mapping of settings, got an empty document",
    );
    assert.equal(errorOf("- 1\n", schema), "t.yaml: (top level): expected a mapping, got a list");
    assert.match(errorOf("name: *nope\n", schema), /^t\.yaml: \(top level\): YAML error: Unresolved alias/);
    assert.equal(
      errorOf("name: !secret x\n", schema),
      "t.yaml: line 1, column 7: YAML syntax error: Unresolved tag: !secret",
    );
  });

  it("quotes long values shortened and odd keys quoted", () => {
    assert.equal(
      errorOf(`who: "${"x".repeat(60)}"\n"a b": 1\n`, schema),
      `t.yaml: "a b": unknown key (expected one of: name, count, on, wait, who, tz, path, tags)\nt.yaml: who: expected a bare JID like alice@example.org, got "${"x".repeat(39)}…"`,
    );
  });
});
