// Mauve AlertUpdate bytes -> a validated, sanitised AlertUpdate. Everything that fails is a
// CodecError with a message that names fields and sizes, never payload content.
import protobuf from "protobufjs/minimal.js";
import { CodecError } from "../errors.js";
import { MAX_UPDATE_BYTES } from "./limits.js";
import { sanitiseUpdate } from "./sanitise-update.js";
import type { SanitisedUpdate } from "./sanitise-update.js";
import type { Alert, AlertUpdate } from "./types.js";
import { WIRE, readVarint64 } from "./wire.js";

type Reader = protobuf.Reader;

// fatal: invalid UTF-8 is an error, not U+FFFD; ignoreBOM: keep the text exactly as sent.
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

function fail(message: string, cause?: unknown): never {
  throw new CodecError(message, { cause });
}

function readTag(r: Reader): { field: number; wire: number } {
  const at = r.pos;
  const tag = readVarint64(r);
  const field = Number(tag >> 3n);
  if (field === 0 || field > 0x1fffffff) fail(`malformed protobuf: field number out of range at offset ${at}`);
  return { field, wire: Number(tag & 7n) };
}

// A known field with another wire type is corrupt data, not a field we may skip.
function expect(wire: number, want: number, label: string): void {
  if (wire !== want) fail(`malformed protobuf: ${label} has wire type ${wire}, expected ${want}`);
}

function readString(r: Reader, wire: number, label: string): string {
  expect(wire, WIRE.LEN, label);
  try {
    return utf8.decode(r.bytes());
  } catch (e) {
    if (e instanceof TypeError) fail(`${label} is not valid UTF-8`, e);
    throw e;
  }
}

function readUint64(r: Reader, wire: number, label: string): bigint {
  expect(wire, WIRE.VARINT, label);
  return readVarint64(r);
}

// Times are UNIX seconds; beyond 2^53 they can't be a JS number, and no real clock gets there.
function readTime(r: Reader, wire: number, label: string): number {
  const value = readUint64(r, wire, label);
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) fail(`${label} is out of range (over 2^53 seconds)`);
  return Number(value);
}

// A uint32 field keeps the low 32 bits of a longer varint, as the reference implementation does.
function readUint32(r: Reader, wire: number, label: string): number {
  return Number(readUint64(r, wire, label) & 0xffffffffn);
}

function decodeAlert(bytes: Uint8Array, label: string): Alert {
  const r = protobuf.Reader.create(bytes);
  const alert: Alert = { id: "", raiseTime: 0, clearTime: 0, subject: "", summary: "", detail: "", importance: 0, suppressUntil: 0 };
  let hasId = false;
  while (r.pos < r.len) {
    const { field, wire } = readTag(r);
    switch (field) {
      case 1: alert.id = readString(r, wire, `${label}.id`); hasId = true; break;
      case 2: alert.raiseTime = readTime(r, wire, `${label}.raise_time`); break;
      case 3: alert.clearTime = readTime(r, wire, `${label}.clear_time`); break;
      case 4: alert.subject = readString(r, wire, `${label}.subject`); break;
      case 5: alert.summary = readString(r, wire, `${label}.summary`); break;
      case 6: alert.detail = readString(r, wire, `${label}.detail`); break;
      case 7: alert.importance = readUint32(r, wire, `${label}.importance`); break;
      case 8: alert.suppressUntil = readTime(r, wire, `${label}.suppress_until`); break;
      default: r.skipType(wire); // unknown fields are legal: newer senders may add them
    }
  }
  if (!hasId) fail(`${label} is missing required field id`);
  return alert;
}

function decodeFields(bytes: Uint8Array): AlertUpdate {
  const r = protobuf.Reader.create(bytes);
  const update: AlertUpdate = {
    transmissionId: 0n, source: "", replace: false, alerts: [], signature: new Uint8Array(0), transmissionTime: 0, sequence: 0n,
  };
  const seen = new Set<number>();
  while (r.pos < r.len) {
    const { field, wire } = readTag(r);
    seen.add(field);
    switch (field) {
      case 1: update.transmissionId = readUint64(r, wire, "transmission_id"); break;
      case 2: update.source = readString(r, wire, "source"); break;
      case 3: update.replace = readUint64(r, wire, "replace") !== 0n; break;
      case 4: expect(wire, WIRE.LEN, "alert"); update.alerts.push(decodeAlert(r.bytes(), `alert[${update.alerts.length}]`)); break;
      case 5: expect(wire, WIRE.LEN, "signature"); update.signature = new Uint8Array(r.bytes()); break;
      case 8: update.transmissionTime = readTime(r, wire, "transmission_time"); break;
      case 16: update.sequence = readUint64(r, wire, "sequence"); break;
      default: r.skipType(wire);
    }
  }
  // proto2 "required": Mauve itself refuses updates without these, so we do too.
  for (const [field, name] of [[1, "transmission_id"], [2, "source"], [3, "replace"]] as const) {
    if (!seen.has(field)) fail(`update is missing required field ${name}`);
  }
  return update;
}

/** Decodes and validates the protobuf without sanitising text; callers want `decodeUpdate`. */
export function decodeRawUpdate(bytes: Uint8Array): AlertUpdate {
  if (!(bytes instanceof Uint8Array)) fail("input is not a byte array");
  if (bytes.length === 0) fail("empty input");
  if (bytes.length > MAX_UPDATE_BYTES) fail(`update is ${bytes.length} bytes, over the ${MAX_UPDATE_BYTES}-byte limit`);
  try {
    return decodeFields(bytes);
  } catch (e) {
    if (e instanceof CodecError) throw e;
    // protobufjs's messages carry offsets and lengths only ("index out of range: 9 + 10 > 12").
    const detail = e instanceof Error ? e.message.slice(0, 120) : "unknown error";
    fail(`malformed protobuf: ${detail}`, e);
  }
}

/** Decodes an AlertUpdate and reports what sanitising changed (for the log). */
export function decodeUpdateWithNotes(bytes: Uint8Array): SanitisedUpdate {
  try {
    return sanitiseUpdate(decodeRawUpdate(bytes));
  } catch (e) {
    if (e instanceof CodecError) throw e;
    fail("update could not be sanitised", e); // a bug, but bad input must only ever yield CodecError
  }
}

/** Decodes Mauve AlertUpdate bytes into a validated, sanitised AlertUpdate; throws CodecError. */
export function decodeUpdate(bytes: Uint8Array): AlertUpdate {
  return decodeUpdateWithNotes(bytes).update;
}
