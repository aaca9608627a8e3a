// AlertUpdate -> Mauve protobuf bytes. Optional fields are written only when set (not 0 / ""):
// to every proto2 reader, Mauve included, an absent field and its default mean the same.
import protobuf from "protobufjs/minimal.js";
import { CodecError } from "../errors.js";
import { MAX_UPDATE_BYTES } from "./limits.js";
import type { Alert, AlertUpdate } from "./types.js";
import { MAX_UINT64, WIRE, bigIntToLong, tag } from "./wire.js";

type Writer = protobuf.Writer;

// TextEncoder turns lone surrogates into U+FFFD, so we never emit invalid UTF-8.
const utf8 = new TextEncoder();

function checkUint64(value: bigint, label: string): void {
  if (typeof value !== "bigint" || value < 0n || value > MAX_UINT64) {
    throw new CodecError(`${label} must be a bigint in [0, 2^64)`);
  }
}

function checkInteger(value: number, max: number, label: string): void {
  if (!Number.isSafeInteger(value) || value < 0 || value > max) {
    throw new CodecError(`${label} must be an integer in [0, ${max}]`);
  }
}

function writeString(w: Writer, field: number, value: string): void {
  w.uint32(tag(field, WIRE.LEN)).bytes(utf8.encode(value));
}

function writeTime(w: Writer, field: number, seconds: number, label: string): void {
  checkInteger(seconds, Number.MAX_SAFE_INTEGER, label);
  if (seconds !== 0) w.uint32(tag(field, WIRE.VARINT)).uint64(seconds);
}

function writeAlert(w: Writer, alert: Alert, label: string): void {
  if (alert.id === "") throw new CodecError(`${label} has an empty id`);
  writeString(w, 1, alert.id);
  writeTime(w, 2, alert.raiseTime, `${label}.raiseTime`);
  writeTime(w, 3, alert.clearTime, `${label}.clearTime`);
  if (alert.subject !== "") writeString(w, 4, alert.subject);
  if (alert.summary !== "") writeString(w, 5, alert.summary);
  if (alert.detail !== "") writeString(w, 6, alert.detail);
  checkInteger(alert.importance, 0xffffffff, `${label}.importance`);
  if (alert.importance !== 0) w.uint32(tag(7, WIRE.VARINT)).uint32(alert.importance);
  writeTime(w, 8, alert.suppressUntil, `${label}.suppressUntil`);
}

/**
 * Encodes an AlertUpdate as Mauve protobuf bytes (with our `sequence` as field 16 when set).
 * Throws CodecError for values the wire can't carry or a result over 64 KiB.
 */
export function encodeUpdate(update: AlertUpdate): Uint8Array {
  checkUint64(update.transmissionId, "transmissionId");
  checkUint64(update.sequence, "sequence");
  if (update.source === "") throw new CodecError("update has an empty source");
  const w = protobuf.Writer.create();
  w.uint32(tag(1, WIRE.VARINT)).uint64(bigIntToLong(update.transmissionId));
  writeString(w, 2, update.source);
  w.uint32(tag(3, WIRE.VARINT)).bool(update.replace); // required, so always written
  update.alerts.forEach((alert, i) => {
    w.uint32(tag(4, WIRE.LEN)).fork();
    writeAlert(w, alert, `alert[${i}]`);
    w.ldelim();
  });
  if (update.signature.length > 0) w.uint32(tag(5, WIRE.LEN)).bytes(update.signature);
  writeTime(w, 8, update.transmissionTime, "transmissionTime");
  if (update.sequence !== 0n) w.uint32(tag(16, WIRE.VARINT)).uint64(bigIntToLong(update.sequence));
  const bytes = w.finish();
  if (bytes.length > MAX_UPDATE_BYTES) {
    throw new CodecError(`update would be ${bytes.length} bytes, over the ${MAX_UPDATE_BYTES}-byte limit`);
  }
  return new Uint8Array(bytes); // a copy: protobufjs may hand out a view of a shared pool
}
