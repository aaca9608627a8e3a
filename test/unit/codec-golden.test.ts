// Golden bytes made by protoc from text-format vectors: our decoder must read what Mauve's
// reference implementation writes, and protoc must read what we write.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { decodeUpdate, encodeUpdate } from "../../src/codec/protobuf.js";
import { VECTORS } from "../fixtures/codec/vectors.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const fixtures = fileURLToPath(new URL("../fixtures/codec/", import.meta.url));
const bin = (name: string): Uint8Array => new Uint8Array(readFileSync(`${fixtures}${name}.bin`));
const txtpb = (name: string): string => readFileSync(`${fixtures}${name}.txtpb`, "utf8");

function protoc(mode: "encode" | "decode", input: Uint8Array | string): Buffer {
  const run = spawnSync("protoc", [`--${mode}=mauve.proto.AlertUpdate`, "-I", "proto", "mauve.proto"], {
    cwd: root,
    input,
  });
  if (run.status !== 0) throw new Error(`protoc --${mode} failed: ${run.stderr.toString()}`);
  return run.stdout;
}

describe("codec golden vectors", () => {
  for (const vector of VECTORS) {
    it(`decodes ${vector.name}.bin to the expected update`, () => {
      assert.deepStrictEqual(decodeUpdate(bin(vector.name)), vector.expected);
    });

    it(`round-trips ${vector.name} through our encoder`, () => {
      const bytes = encodeUpdate(vector.expected);
      assert.deepStrictEqual(decodeUpdate(bytes), vector.expected);
      if (vector.reencodesExactly) assert.deepStrictEqual(bytes, bin(vector.name));
    });
  }

  it("keeps transmission ids and sequences above 2^53 exact, as bigint", () => {
    const max = decodeUpdate(bin("max-transmission-id"));
    assert.equal(typeof max.transmissionId, "bigint");
    assert.equal(max.transmissionId.toString(), "18446744073709551615");
    assert.equal(decodeUpdate(bin("above-2-53")).transmissionId.toString(), "9007199254740993");
    assert.equal(decodeUpdate(bin("sequence")).sequence.toString(), "12345678901234567890");
  });

  it("reads every optional field sent at its default as unset", () => {
    const bytes = bin("all-defaults");
    // protoc put all eight Alert fields and signature, transmission_time, sequence on the wire.
    assert.equal(bytes.length, 39);
    const [first] = decodeUpdate(bytes).alerts;
    assert.deepStrictEqual(first, {
      id: "disk",
      raiseTimeS: 0,
      clearTimeS: 0,
      subject: "",
      summary: "",
      detail: "",
      importance: 0,
      suppressUntilS: 0,
    });
  });

  it("skips unknown fields of every wire type, as proto2 requires", () => {
    const extra = [
      0xa0,
      0x01,
      0x2a, // field 20 varint 42
      0xaa,
      0x01,
      0x02,
      0x68,
      0x69, // field 21 bytes "hi"
      0x4d,
      1,
      2,
      3,
      4, // field 9 fixed32
      0x51,
      1,
      2,
      3,
      4,
      5,
      6,
      7,
      8, // field 10 fixed64
      0xbb,
      0x01,
      0x08,
      0x01,
      0xbc,
      0x01, // field 23 group { field 1 varint 1 }
    ];
    const bytes = new Uint8Array([...bin("minimal"), ...extra]);
    assert.deepStrictEqual(decodeUpdate(bytes), VECTORS[0]?.expected);
  });

  describe("against protoc", function () {
    before(function () {
      if (spawnSync("protoc", ["--version"]).status !== 0) {
        console.log(
          "      protoc is not on PATH: skipping golden-byte regeneration (install protobuf-compiler; CI does)",
        );
        this.skip();
      }
    });

    for (const vector of VECTORS) {
      it(`regenerates ${vector.name}.bin byte for byte from ${vector.name}.txtpb`, () => {
        assert.deepStrictEqual(new Uint8Array(protoc("encode", txtpb(vector.name))), bin(vector.name));
      });

      it(`has protoc read our encoding of ${vector.name} as the same values`, () => {
        const text = protoc("decode", encodeUpdate(vector.expected)).toString("utf8");
        assert.deepStrictEqual(decodeUpdate(protoc("encode", text)), vector.expected);
        if (vector.reencodesExactly) assert.equal(text, protoc("decode", bin(vector.name)).toString("utf8"));
      });
    }

    it("has protoc print our largest transmission id and sequence exactly", () => {
      const max = VECTORS.find((v) => v.name === "max-transmission-id")?.expected;
      assert.ok(max);
      const text = protoc("decode", encodeUpdate({ ...max, sequence: (1n << 64n) - 2n })).toString("utf8");
      assert.match(text, /^transmission_id: 18446744073709551615$/m);
      assert.match(text, /^sequence: 18446744073709551614$/m);
    });
  });
});
