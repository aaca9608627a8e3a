import assert from "node:assert/strict";
import { gsmSpelling, longestFitting, smsFits, smsLength } from "../../src/codec/sms-encoding.js";
import { BASIC, EXTENSION, cutBetweenGraphemes } from "../helpers/sms-segments.js";

describe("SMS encoding: the GSM-7 alphabet and UCS-2", () => {
  it("counts GSM-7 septets, extension characters as two", () => {
    assert.deepEqual(smsLength(BASIC), { encoding: "GSM-7", units: [...BASIC].length });
    assert.deepEqual(smsLength(EXTENSION), { encoding: "GSM-7", units: 20 });
    assert.deepEqual(smsLength("a€b"), { encoding: "GSM-7", units: 4 });
  });

  it("counts UTF-16 units once any character is outside GSM-7", () => {
    assert.deepEqual(smsLength("aaaç"), { encoding: "UCS-2", units: 4 }, "ç is not in GSM-7, Ç is");
    assert.deepEqual(smsLength("x🔥"), { encoding: "UCS-2", units: 3 }, "an emoji is two units");
    assert.deepEqual(smsLength("a`b"), { encoding: "UCS-2", units: 3 }, "the backtick is not in GSM-7");
    assert.deepEqual(smsLength("\u00a0"), { encoding: "UCS-2", units: 1 });
  });

  it("fits 160 septets, or 70 UCS-2 units, in one SMS", () => {
    assert.ok(smsFits("x".repeat(160)));
    assert.ok(!smsFits("x".repeat(161)));
    assert.ok(smsFits("[".repeat(80)));
    assert.ok(!smsFits("x" + "[".repeat(80)));
    assert.ok(smsFits("é".repeat(158) + "€"), "é is GSM-7");
    assert.ok(smsFits("🔥".repeat(35)));
    assert.ok(!smsFits("🔥".repeat(35) + "a"));
    assert.ok(smsFits("ç".repeat(70)));
    assert.ok(!smsFits("ç".repeat(71)));
    assert.ok(smsFits("ç".repeat(131), 300), "300 septets hold 131 UTF-16 units");
  });

  it("respells typographic punctuation in GSM-7, and leaves letters alone", () => {
    const typed = "it’s “full” – ‘really’ — 3 ‒ 4 … • `x`";
    assert.equal(gsmSpelling(typed), `it's "full" - 'really' - 3 - 4 ... * 'x'`);
    assert.equal(smsLength(gsmSpelling(typed)).encoding, "GSM-7");
    assert.equal(gsmSpelling("Диск çà"), "Диск çà");
  });

  it("cuts between graphemes: never inside a surrogate pair, a flag or an emoji sequence", () => {
    const text = "ab🇬🇧👨‍👩‍👧e\u0301🔥".repeat(10);
    for (let units = 1; units <= 60; units++) {
      const start = longestFitting(text, (s) => s.length <= units);
      assert.ok(start.length <= units);
      assert.ok(text.startsWith(start));
      cutBetweenGraphemes(start, text);
    }
    assert.equal(
      longestFitting("abc", () => false),
      "",
    );
    assert.equal(
      longestFitting("abc", () => true),
      "abc",
    );
  });
});
