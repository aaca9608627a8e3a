// Bad input is refused with a CodecError whose message is safe to log, and nothing else is thrown.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { CodecError } from "../../src/errors.js";
import { MAX_TIME_S, MAX_UPDATE_BYTES } from "../../src/codec/types.js";
import { decodeUpdate, decodeUpdateWithNotes, encodeUpdate } from "../../src/codec/protobuf.js";
import { unwrapPayload, wrapPayload } from "../../src/codec/payload.js";
import { alert, update } from "../fixtures/codec/vectors.js";

const fixtures = fileURLToPath(new URL("../fixtures/codec/", import.meta.url));
const bin = (name: string): Uint8Array => new Uint8Array(readFileSync(`${fixtures}${name}.bin`));
const ascii = (text: string): number[] => [...Buffer.from(text, "utf8")];
// The three required fields: transmission_id 1, source "web1", replace false.
const HEADER = [0x08, 0x01, 0x12, 0x04, ...ascii("web1"), 0x18, 0x00];

function rejects(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof CodecError, `expected a CodecError, got ${String(e)}`);
    assert.match(e.message, message);
    return true;
  });
}

const decodeBytes = (bytes: number[]): unknown => decodeUpdate(new Uint8Array(bytes));

describe("codec rejections", () => {
  it("refuses empty input", () => rejects(() => decodeBytes([]), /empty input/));

  it("refuses random bytes", () => {
    rejects(() => decodeBytes([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), /malformed/);
    rejects(() => decodeBytes([0x07, 0x13, 0x37]), /malformed/); // wire type 7
  });

  it("refuses truncated bytes", () => {
    const bytes = bin("several-alerts");
    rejects(() => decodeUpdate(bytes.subarray(0, bytes.length - 2)), /malformed/); // inside a varint
    rejects(() => decodeUpdate(bytes.subarray(0, 40)), /malformed/); // inside an alert
    rejects(() => decodeBytes([0x08, 0x01, 0x12, 0x09, ...ascii("web1")]), /malformed/); // short string
  });

  it("refuses an update missing transmission_id, source or replace", () => {
    rejects(() => decodeBytes([0x12, 0x04, ...ascii("web1"), 0x18, 0x00]), /missing required field transmission_id/);
    rejects(() => decodeBytes([0x08, 0x01, 0x18, 0x00]), /missing required field source/);
    rejects(() => decodeBytes([0x08, 0x01, 0x12, 0x04, ...ascii("web1")]), /missing required field replace/);
  });

  it("refuses an alert without an id, or with an empty one", () => {
    rejects(() => decodeBytes([...HEADER, 0x22, 0x02, 0x10, 0x05]), /alert\[0\] is missing required field id/);
    rejects(() => decodeBytes([...HEADER, 0x22, 0x02, 0x0a, 0x00]), /alert\[0\] has an empty id/);
    rejects(() => decodeBytes([...HEADER, 0x22, 0x04, 0x0a, 0x02, 0x01, 0x20]), /alert\[0\] has an empty id/);
  });

  it("refuses alone an alert no receiver could key, where its update's other alerts can be read", () => {
    const a = (id: number[]): number[] => [0x22, id.length, ...id];
    const good = (name: string): number[] => a([0x0a, name.length, ...ascii(name)]);
    const bytes = (bad: number[]): Uint8Array =>
      new Uint8Array([...HEADER, ...good("disk"), ...a(bad), ...good("mem")]);
    for (const [bad, reason] of [
      [[0x10, 0x05], "alert[1] is missing required field id"],
      [[0x0a, 0x02, 0x01, 0x20], "alert[1] has an empty id"],
      [[0x0a, 0x02, 0x61, 0xe9], "alert[1].id is not valid UTF-8"],
    ] as const) {
      const read = decodeUpdateWithNotes(bytes([...bad]));
      assert.deepEqual(
        read.update.alerts.map((x) => x.id),
        ["disk", "mem"],
        reason,
      );
      assert.deepEqual(read.refused, [reason]);
      // For a sender that is answered (HTTP), the update is refused with the reason, as before.
      rejects(() => decodeUpdate(bytes([...bad])), new RegExp(`^${reason.replace(/[[\].]/g, "\\$&")}$`));
    }
    // The rest of a malformed alert is no alert's alone: the update is refused.
    rejects(() => decodeUpdate(bytes([0x0a, 0x01, 0x61, 0x12, 0x00])), /raise_time has wire type 2/);
  });

  it("refuses an empty source, also once control characters are stripped", () => {
    rejects(() => decodeBytes([0x08, 0x01, 0x12, 0x00, 0x18, 0x00]), /empty source/);
    rejects(() => decodeBytes([0x08, 0x01, 0x12, 0x02, 0x07, 0x0a, 0x18, 0x00]), /empty source/);
  });

  it("refuses a known field with the wrong wire type, and field numbers out of range", () => {
    rejects(() => decodeBytes([0x0a, 0x01, 0x41, 0x12, 0x00, 0x18, 0x00]), /transmission_id has wire type 2/);
    rejects(() => decodeBytes([0x00, 0x01, ...HEADER]), /field number out of range/);
    rejects(() => decodeBytes([...HEADER, 0xf8, 0xff, 0xff, 0xff, 0xff, 0x01, 0x00]), /field number out of range/);
  });

  it("refuses stray or unterminated groups", () => {
    rejects(() => decodeBytes([...HEADER, 0xbc, 0x01]), /malformed/);
    rejects(() => decodeBytes([...HEADER, 0xbb, 0x01, 0x08, 0x01]), /malformed/);
  });

  it("refuses invalid UTF-8, naming the field but not the content", () => {
    const bytes = [0x08, 0x01, 0x12, 0x08, ...ascii("SECRET"), 0xc3, 0x28, 0x18, 0x00];
    rejects(() => decodeBytes(bytes), /^source is not valid UTF-8$/);
  });

  it("reads invalid UTF-8 in a text field with U+FFFD and notes it, but refuses it in an alert id", () => {
    // An alert: id "a", then summary "caf" + Latin-1 é (0xe9), as an old script sends it.
    const summary = [0x2a, 0x04, ...ascii("caf"), 0xe9];
    const withAlert = (body: number[]): Uint8Array => new Uint8Array([...HEADER, 0x22, body.length, ...body]);
    const { update: read, notes } = decodeUpdateWithNotes(withAlert([0x0a, 0x01, 0x61, ...summary]));
    assert.equal(read.alerts[0]?.summary, "caf\uFFFD");
    assert.deepEqual(notes, ["alert[0].summary: not valid UTF-8, bad bytes read as U+FFFD"]);
    assert.equal(
      decodeUpdate(withAlert([0x0a, 0x01, 0x61, 0x22, 0x01, 0xff, 0x32, 0x01, 0xc3])).alerts[0]?.subject,
      "\uFFFD",
    );
    rejects(() => decodeUpdate(withAlert([0x0a, 0x04, ...ascii("caf"), 0xe9])), /^alert\[0\]\.id is not valid UTF-8$/);
  });

  it("refuses times beyond a safe integer of seconds, and takes the largest safe one", () => {
    const time = (varint: number[]): number[] => [
      ...HEADER,
      0x22,
      4 + varint.length,
      0x0a,
      0x01,
      0x61,
      0x10,
      ...varint,
    ];
    const twoTo53 = [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10];
    const maxSafe = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f];
    rejects(() => decodeBytes(time(twoTo53)), /alert\[0\]\.raise_time is out of range/);
    const ok = decodeUpdate(new Uint8Array(time(maxSafe)));
    assert.equal(ok.alerts[0]?.raiseTimeS, MAX_TIME_S, "read as 9999-12-31 (codec-sanitise)");
    rejects(() => decodeBytes([...HEADER, 0x40, ...twoTo53]), /transmission_time is out of range/);
  });

  it("refuses more than 64 KiB, and accepts exactly 64 KiB", () => {
    rejects(() => decodeUpdate(new Uint8Array(MAX_UPDATE_BYTES + 1)), /65537 bytes, over the 65536-byte limit/);
    const base = update({ transmissionId: 1n, source: "web1", alerts: [alert({ id: "big" })] });
    const overhead =
      encodeUpdate({ ...base, alerts: [alert({ id: "big", detail: "x".repeat(60_000) })] }).length - 60_000;
    const detail = "x".repeat(MAX_UPDATE_BYTES - overhead);
    const exact = encodeUpdate({ ...base, alerts: [alert({ id: "big", detail })] });
    assert.equal(exact.length, MAX_UPDATE_BYTES);
    assert.equal(decodeUpdate(exact).alerts[0]?.detail, detail);
    rejects(
      () => encodeUpdate({ ...base, alerts: [alert({ id: "big", detail: `${detail}x` })] }),
      /over the 65536-byte limit/,
    );
  });

  it("refuses input that is not bytes", () => {
    rejects(() => decodeUpdate("CAESBHdlYjEYAA==" as unknown as Uint8Array), /not a byte array/);
  });

  it("refuses to encode what the wire can't carry", () => {
    const ok = update({ transmissionId: 1n, source: "web1", alerts: [alert({ id: "a" })] });
    rejects(() => encodeUpdate({ ...ok, transmissionId: -1n }), /transmissionId/);
    rejects(() => encodeUpdate({ ...ok, transmissionId: 1n << 64n }), /transmissionId/);
    rejects(() => encodeUpdate({ ...ok, transmissionId: 1 as unknown as bigint }), /transmissionId/);
    rejects(() => encodeUpdate({ ...ok, sequence: -5n }), /sequence/);
    rejects(() => encodeUpdate({ ...ok, transmissionTimeS: 1.5 }), /transmissionTime/);
    rejects(() => encodeUpdate({ ...ok, alerts: [alert({ id: "a", raiseTimeS: -1 })] }), /alert\[0\]\.raiseTime/);
    rejects(() => encodeUpdate({ ...ok, alerts: [alert({ id: "a", importance: 2 ** 32 })] }), /importance/);
    rejects(() => encodeUpdate({ ...ok, source: "" }), /empty source/);
    rejects(() => encodeUpdate({ ...ok, alerts: [alert({ id: "" })] }), /alert\[0\] has an empty id/);
  });
});

describe("codec payload rejections", () => {
  const valid = wrapPayload(update({ transmissionId: 1n, source: "web1" }));

  it("refuses data that is not base64", () => {
    rejects(() => unwrapPayload({ data: "not base64!" }), /not valid base64/);
    rejects(() => unwrapPayload({ data: "CAESBHdlYjEYAA=" }), /not valid base64/); // length not a multiple of 4
    rejects(() => unwrapPayload({ data: "CAES=BHdlYjEYAA=" }), /not valid base64/); // padding inside
    rejects(() => unwrapPayload({ data: "  \n " }), /payload is empty/);
  });

  it("refuses a huge base64 string on its length, before decoding it", () => {
    const huge = "A".repeat(10 * 1024 * 1024);
    const started = process.hrtime.bigint();
    rejects(() => unwrapPayload({ data: huge }), /over the 64 KiB limit/);
    assert.ok(process.hrtime.bigint() - started < 50_000_000n, "the length check should be immediate");
  });

  it("refuses base64 that decodes to more than 64 KiB", () => {
    const data = Buffer.alloc(MAX_UPDATE_BYTES + 3).toString("base64");
    rejects(() => unwrapPayload({ data }), /decodes to 65539 bytes/);
  });

  it("accepts the payload it wrapped (the element's namespace is checked by src/xmpp)", () => {
    assert.equal(unwrapPayload(valid).source, "web1");
  });

  it("accepts base64 wrapped in lines, as some clients send it", () => {
    const data = wrapPayload(
      update({ transmissionId: 2n, source: "web1", alerts: [alert({ id: "x", detail: "y".repeat(300) })] }),
    ).data;
    const wrapped = data.replace(/.{76}/g, "$&\r\n");
    assert.equal(unwrapPayload({ data: wrapped }).alerts[0]?.detail, "y".repeat(300));
  });

  it("refuses valid base64 of bytes that are not an update", () => {
    rejects(() => unwrapPayload({ data: Buffer.from("hello world").toString("base64") }), /malformed|missing required/);
  });
});
