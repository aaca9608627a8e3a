// The few protobuf wire-level facts shared by the encoder and the decoder.
import Long from "long";
import type protobuf from "protobufjs/minimal.js";

/** Protobuf wire types used by Mauve's messages (groups are skipped, never written). */
export const WIRE = { VARINT: 0, FIXED64: 1, LEN: 2, FIXED32: 5 } as const;

/** The largest value of a uint64 field. */
export const MAX_UINT64 = (1n << 64n) - 1n;

/** The tag (field number and wire type) that precedes a field on the wire. */
export function tag(field: number, wire: number): number {
  return ((field << 3) | wire) >>> 0;
}

/**
 * Reads a varint of up to 64 bits as an exact bigint. protobufjs 7's own `uint64()` is not used:
 * near the end of a buffer it takes a truncated varint for a complete one (it reads a 4th byte
 * without a bounds check and ignores its continuation bit), and without `long` it rounds to a Number.
 */
export function readVarint64(r: protobuf.Reader): bigint {
  let value = 0n;
  for (let i = 0n; i < 70n; i += 7n) {
    const byte = r.buf[r.pos];
    if (byte === undefined || r.pos >= r.len) throw new RangeError(`truncated varint at offset ${r.pos}`);
    r.pos++;
    value |= BigInt(byte & 0x7f) << i;
    // Bits beyond 64 in a 10th byte are dropped, as the reference implementation does.
    if (byte < 0x80) return value & MAX_UINT64;
  }
  throw new RangeError(`varint longer than 10 bytes at offset ${r.pos}`);
}

/** Converts a bigint in [0, 2^64) to the unsigned Long protobufjs writes. */
export function bigIntToLong(value: bigint): Long {
  return Long.fromBits(Number(value & 0xffffffffn) | 0, Number(value >> 32n) | 0, true);
}
