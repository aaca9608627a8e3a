import assert from "node:assert/strict";
import { compilePattern, matches } from "../../src/policy/matcher.js";
import { parseMatcher } from "../../src/commands/silence-matcher.js";

// Patterns run on a linear-time engine (RE2), so the shapes behind catastrophic backtracking are
// accepted and still answer on long adversarial texts. The mocha timeout is the only clock here:
// on a backtracking engine each of these would run for longer than the universe has existed.
describe("patterns that could hang the bot", () => {
  const ADVERSARIAL = `${"a".repeat(100_000)}!`;
  const table: ReadonlyArray<readonly [string, string, boolean]> = [
    ["/(a+)+$/", ADVERSARIAL, false],
    ["/(a|a)+$/", ADVERSARIAL, false],
    ["/^(a|aa)*$/", ADVERSARIAL, false],
    ["/^(a*)*b$/", ADVERSARIAL, false],
    ["/(x*y?)*z/", `${"x".repeat(100_000)}`, false],
    ["/((ab)*)+c/", `${"ab".repeat(50_000)}`, false],
    ["/(a{1,5})+b/", ADVERSARIAL, false],
    ["/(a+)+$/", "a".repeat(100_000), true],
    ["/(a|a)+!$/", ADVERSARIAL, true],
    ["/^(a*)*!$/", ADVERSARIAL, true],
  ];
  for (const [pattern, text, expected] of table) {
    it(`accepts ${pattern} and answers ${expected} on ${text.length.toLocaleString("en")} characters`, () => {
      const compiled = compilePattern(pattern);
      assert.ok(compiled.ok, compiled.ok ? "" : compiled.reason);
      assert.equal(compiled.regex.test(text), expected);
      assert.equal(
        matches({ alertId: [pattern] }, { source: "s", alertId: text, subject: "", importance: 50 }),
        expected,
      );
    });
  }

  it("runs globs with many stars on the same engine", () => {
    const compiled = compilePattern(`${"*a".repeat(20)}*b`);
    assert.ok(compiled.ok);
    assert.equal(compiled.regex.test(ADVERSARIAL), false);
    assert.equal(compiled.regex.test(`${ADVERSARIAL}b`), true);
  });

  for (const fine of [
    "/^pg-[0-9]+$/",
    "/(web|db)[0-9]+/",
    "/backup|replication/i",
    "/(ab)+/",
    "/[(+*)]+/",
    "web*",
    "/a\\(b+\\)+/",
  ]) {
    it(`accepts ${fine}`, () => assert.equal(compilePattern(fine).ok, true));
  }

  it("keeps JavaScript's syntax and flags where RE2 spells them differently", () => {
    const cases: ReadonlyArray<readonly [string, string, boolean]> = [
      ["/caf\\u00e9/", "café", true],
      ["/(?<host>web)\\d+/", "web12", true],
      ["/^db\\d+$/i", "DB12", true],
      ["/^a.b$/s", "a\nb", true],
      ["/^a.b$/", "a\nb", false],
      ["/^b$/m", "a\nb", true],
      ["/^b$/", "a\nb", false],
      ["/a\\/b/", "a/b", true],
    ];
    for (const [pattern, text, expected] of cases) {
      const compiled = compilePattern(pattern);
      assert.ok(compiled.ok, pattern);
      assert.equal(compiled.regex.test(text), expected, `${pattern} on ${JSON.stringify(text)}`);
    }
  });

  for (const [unsupported, what] of [
    ["/(a)\\1/", "\\1"],
    ["/(?<x>a)\\k<x>/", "\\k<...>"],
    ["/a(?=b)/", "(?="],
    ["/(?<!a)b/", "(?<!"],
  ] as const) {
    it(`refuses ${unsupported}, which RE2 cannot run, saying why`, () => {
      const r = compilePattern(unsupported);
      assert.equal(r.ok, false);
      assert.match(
        r.ok ? "" : r.reason,
        /^a regex the linear-time engine \(RE2\) cannot run: it has no backreferences or lookaround \(.+\)$/,
      );
      assert.ok(!r.ok && r.reason.includes(what), r.ok ? "" : r.reason);
    });
  }

  it("refuses such a regex in a silence with the reason", () => {
    const parsed = parseMatcher("id=/(disk)\\1/");
    assert.equal(parsed.ok, false);
    assert.match(
      parsed.ok ? "" : parsed.text,
      /^"\/\(disk\)\\1\/" is a regex the linear-time engine \(RE2\) cannot run: it has no backreferences or lookaround/,
    );
  });
});
