// Seeded fuzzing: whatever arrives, the decoder returns a valid, bounded update or throws a
// CodecError, and the sanitiser's output is inert and stable. Deterministic, so failures replay.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { CodecError } from "../../src/errors.js";
import { FIELD_LIMITS, type AlertUpdate } from "../../src/codec/types.js";
import { charCount } from "../../src/codec/text.js";
import { decodeUpdate } from "../../src/codec/protobuf.js";
import { sanitiseHtml, toPlainText } from "../../src/codec/html.js";
import { unwrapPayload } from "../../src/codec/payload.js";
import { VECTORS } from "../fixtures/codec/vectors.js";
import { mulberry32 } from "../fixtures/fault/fuzz-payloads.js";

const SEED = 0x6d617576; // "mauv"

const fixtures = fileURLToPath(new URL("../fixtures/codec/", import.meta.url));
const SEEDS = VECTORS.map((v) => new Uint8Array(readFileSync(`${fixtures}${v.name}.bin`)));
// eslint-disable-next-line no-control-regex
const ID_CONTROLS = /[\u0000-\u001f\u007f-\u009f]/;

function mutate(rand: () => number, int: (n: number) => number): Uint8Array {
  if (rand() < 0.2) return Uint8Array.from({ length: int(300) }, () => int(256)); // pure noise
  const bytes = [...(SEEDS[int(SEEDS.length)] ?? [])];
  for (let n = 1 + int(4); n > 0; n--) {
    const at = int(bytes.length + 1);
    switch (int(6)) {
      case 0:
        bytes[at] = (bytes[at] ?? 0) ^ (1 << int(8));
        break; // flip a bit
      case 1:
        bytes.length = at;
        break; // truncate
      case 2:
        bytes.splice(at, 0, ...Array.from({ length: 1 + int(8) }, () => int(256)));
        break; // insert noise
      case 3:
        bytes.splice(at, int(8));
        break; // delete a run
      case 4:
        bytes.splice(at, 0, ...bytes.slice(int(bytes.length), int(bytes.length) + 16));
        break; // duplicate
      default:
        bytes[at] = [0x00, 0x7f, 0x80, 0xff][int(4)] ?? 0; // boundary byte
    }
  }
  return new Uint8Array(bytes);
}

function assertValid(u: AlertUpdate): void {
  assert.equal(typeof u.transmissionId, "bigint");
  assert.ok(u.transmissionId >= 0n && u.transmissionId < 1n << 64n);
  assert.ok(u.sequence >= 0n && u.sequence < 1n << 64n);
  assert.ok(Number.isSafeInteger(u.transmissionTimeS) && u.transmissionTimeS >= 0);
  assert.ok(u.source.trim() !== "" && charCount(u.source) <= FIELD_LIMITS.source && !ID_CONTROLS.test(u.source));
  assert.ok(u.signature instanceof Uint8Array);
  for (const a of u.alerts) {
    assert.ok(a.id.trim() !== "" && charCount(a.id) <= FIELD_LIMITS.id && !ID_CONTROLS.test(a.id));
    assert.ok(charCount(a.subject) <= FIELD_LIMITS.subject && charCount(a.summary) <= FIELD_LIMITS.summary);
    assert.ok(charCount(a.detail) <= FIELD_LIMITS.detail);
    assert.equal(sanitiseHtml(a.detail), a.detail, "detail is already sanitised");
    for (const t of [a.raiseTimeS, a.clearTimeS, a.suppressUntilS]) assert.ok(Number.isSafeInteger(t) && t >= 0);
    assert.ok(Number.isInteger(a.importance) && a.importance >= 0 && a.importance <= 0xffffffff);
  }
}

function decodeOrCodecError(run: () => AlertUpdate): "ok" | "rejected" {
  try {
    assertValid(run());
    return "ok";
  } catch (e) {
    if (e instanceof CodecError) return "rejected";
    throw e;
  }
}

const HTML_PIECES = [
  "<script>",
  "</script>",
  "<b>",
  "</b>",
  "<p",
  ">",
  "<a href=",
  '"javascript:alert(1)"',
  "'https://x.example'",
  " onerror=",
  "alert(1)",
  "<img src=x",
  "<!--",
  "-->",
  "<svg>",
  "</svg>",
  "<style>",
  "&lt;",
  "&#106;",
  "&amp",
  "<li>",
  "<table><tr><td>",
  "\u0000",
  "\n",
  " ",
  "text",
  '"',
  "'",
  "=",
  "</",
  "<",
  "<iframe>",
  "<object>",
  "&#x0;",
];

describe("codec fuzz (seeded)", () => {
  it("decodes 2,000 random and mutated payloads into valid updates or CodecErrors, nothing else", () => {
    const rand = mulberry32(SEED);
    const int = (n: number): number => Math.floor(rand() * n);
    const outcomes = { ok: 0, rejected: 0 };
    for (let i = 0; i < 2000; i++) {
      const bytes = mutate(rand, int);
      try {
        outcomes[decodeOrCodecError(() => decodeUpdate(bytes))]++;
      } catch (e) {
        assert.fail(`case ${i} (${Buffer.from(bytes).toString("hex")}) threw ${String(e)}`);
      }
    }
    // Both paths must really be exercised, or the fuzzer tests nothing.
    assert.ok(outcomes.ok > 100 && outcomes.rejected > 100, JSON.stringify(outcomes));
  });

  it("unwraps 500 random payload strings into valid updates or CodecErrors", () => {
    const rand = mulberry32(SEED + 1);
    const int = (n: number): number => Math.floor(rand() * n);
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=\n !-_";
    const outcomes = { ok: 0, rejected: 0 };
    for (let i = 0; i < 500; i++) {
      const data =
        rand() < 0.5
          ? Buffer.from(mutate(rand, int)).toString("base64")
          : Array.from({ length: int(64) }, () => alphabet[int(alphabet.length)]).join("");
      outcomes[decodeOrCodecError(() => unwrapPayload({ data }))]++;
    }
    // Both paths must really be exercised (most random strings are refused; some decode).
    assert.ok(outcomes.ok > 0 && outcomes.rejected > 0, JSON.stringify(outcomes));
  });

  it("sanitises 1,000 random HTML soups into inert, stable output", () => {
    const rand = mulberry32(SEED + 2);
    const int = (n: number): number => Math.floor(rand() * n);
    for (let i = 0; i < 1000; i++) {
      const html = Array.from({ length: int(40) }, () => HTML_PIECES[int(HTML_PIECES.length)]).join("");
      const out = sanitiseHtml(html);
      const context = `case ${i}: ${JSON.stringify(html)} -> ${JSON.stringify(out)}`;
      assert.equal(sanitiseHtml(out), out, context);
      assert.doesNotMatch(out, /<(?!\/?(?:b|p|a|li|table|tr|td)\b)/, context); // only whitelisted tags
      assert.doesNotMatch(out, /<[^>]*\s(?:on\w+|src|style)=/i, context);
      assert.doesNotMatch(out, /<[^>]*javascript:|<script|<svg|<iframe|<img/i, context); // as text it's inert
      // eslint-disable-next-line no-control-regex -- looking for the NUL the codec must strip
      assert.doesNotMatch(out, /\u0000/, context);
      toPlainText(html);
    }
  });
});
