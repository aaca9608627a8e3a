import Long from "long";
import protobuf from "protobufjs/minimal.js";
import { MAX_UPDATE_BYTES, blankAlert, type Alert, type AlertUpdate } from "./types.js";
import { sanitiseUpdate, type SanitisedUpdate } from "./sanitise-update.js";
import { CodecError } from "../errors.js";

// The few protobuf wire-level facts shared by the encoder and the decoder.

/** Protobuf wire types used by Mauve's messages (groups are skipped, never written). */
const WIRE = { VARINT: 0, FIXED64: 1, LEN: 2, FIXED32: 5 } as const;

/** The largest value of a uint64 field. */
const MAX_UINT64 = (1n << 64n) - 1n;

/** The tag (field number and wire type) that precedes a field on the wire. */
export function tag(field: number, wire: number): number {
  return ((field << 3) | wire) >>> 0;
}

/**
 * Reads a varint of up to 64 bits as an exact bigint. protobufjs 7's own `uint64()` is not used:
 * near the end of a buffer it takes a truncated varint for a complete one (it reads a 4th byte
 * without a bounds check and ignores its continuation bit), and without `long` it rounds to a Number.
 */
function readVarint64(r: protobuf.Reader): bigint {
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
function bigIntToLong(value: bigint): Long {
  return Long.fromBits(Number(value & 0xffffffffn) | 0, Number(value >> 32n) | 0, true);
}

// AlertUpdate -> Mauve protobuf bytes. Optional fields are written only when set (not 0 / ""):
// to every proto2 reader, Mauve included, an absent field and its default mean the same.

type Writer = protobuf.Writer;

// TextEncoder turns lone surrogates into U+FFFD, so we never emit invalid UTF-8.
const utf8Encoder = new TextEncoder();

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
  w.uint32(tag(field, WIRE.LEN)).bytes(utf8Encoder.encode(value));
}

function writeTime(w: Writer, field: number, seconds: number, label: string): void {
  checkInteger(seconds, Number.MAX_SAFE_INTEGER, label);
  if (seconds !== 0) w.uint32(tag(field, WIRE.VARINT)).uint64(seconds);
}

function writeAlert(w: Writer, alert: Alert, label: string): void {
  if (alert.id === "") throw new CodecError(`${label} has an empty id`);
  writeString(w, 1, alert.id);
  writeTime(w, 2, alert.raiseTimeS, `${label}.raiseTime`);
  writeTime(w, 3, alert.clearTimeS, `${label}.clearTime`);
  if (alert.subject !== "") writeString(w, 4, alert.subject);
  if (alert.summary !== "") writeString(w, 5, alert.summary);
  if (alert.detail !== "") writeString(w, 6, alert.detail);
  checkInteger(alert.importance, 0xffffffff, `${label}.importance`);
  if (alert.importance !== 0) w.uint32(tag(7, WIRE.VARINT)).uint32(alert.importance);
  writeTime(w, 8, alert.suppressUntilS, `${label}.suppressUntil`);
}

/**
 * How many bytes `alert` takes inside an encoded AlertUpdate (its tag and length included): an
 * update's size is its envelope plus the sum of these, so callers can pack alerts without retrying.
 */
export function encodedAlertBytes(alert: Alert): number {
  const w = protobuf.Writer.create();
  w.uint32(tag(4, WIRE.LEN)).fork();
  writeAlert(w, alert, "alert");
  w.ldelim();
  return w.len;
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
  writeTime(w, 8, update.transmissionTimeS, "transmissionTime");
  if (update.sequence !== 0n) w.uint32(tag(16, WIRE.VARINT)).uint64(bigIntToLong(update.sequence));
  const bytes = w.finish();
  if (bytes.length > MAX_UPDATE_BYTES) {
    throw new CodecError(`update would be ${bytes.length} bytes, over the ${MAX_UPDATE_BYTES}-byte limit`);
  }
  return new Uint8Array(bytes); // a copy: protobufjs may hand out a view of a shared pool
}

// Mauve AlertUpdate bytes -> a validated, sanitised AlertUpdate. Everything that fails is a
// CodecError with a message that names fields and sizes, never payload content.

type Reader = protobuf.Reader;

// fatal: invalid UTF-8 is an error, not U+FFFD; ignoreBOM: keep the text exactly as sent.
const utf8Decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
// For the text fields: a summary in Latin-1 from an old script is no reason to lose its alert.
const lenientUtf8Decoder = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });

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
    return utf8Decoder.decode(r.bytes());
  } catch (e) {
    if (e instanceof TypeError) fail(`${label} is not valid UTF-8`, e);
    throw e;
  }
}

/**
 * A text field (subject, summary, detail): invalid UTF-8 is read with U+FFFD in place of the bad
 * bytes, and noted. Identities (id, source) stay strict: read leniently, two ids would become one.
 */
function readText(r: Reader, wire: number, label: string, notes: string[]): string {
  expect(wire, WIRE.LEN, label);
  const bytes = r.bytes();
  try {
    return utf8Decoder.decode(bytes);
  } catch (e) {
    if (!(e instanceof TypeError)) throw e;
    notes.push(`${label}: not valid UTF-8, bad bytes read as U+FFFD`);
    return lenientUtf8Decoder.decode(bytes);
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

/**
 * One alert, and why no receiver could key it (its id missing, or not UTF-8: read leniently, two ids
 * would become one), which refuses that alert alone; the rest of a malformed alert refuses its update.
 */
function decodeAlert(bytes: Uint8Array, label: string, notes: string[]): { alert: Alert; unkeyable?: string } {
  const r = protobuf.Reader.create(bytes);
  const alert: Alert = blankAlert("");
  let hasId = false;
  let unkeyable: string | undefined;
  while (r.pos < r.len) {
    const { field, wire } = readTag(r);
    switch (field) {
      case 1:
        try {
          alert.id = readString(r, wire, `${label}.id`);
          unkeyable = undefined;
        } catch (e) {
          if (!(e instanceof CodecError) || !(e.cause instanceof TypeError)) throw e;
          alert.id = "";
          unkeyable = e.message;
        }
        hasId = true;
        break;
      case 2:
        alert.raiseTimeS = readTime(r, wire, `${label}.raise_time`);
        break;
      case 3:
        alert.clearTimeS = readTime(r, wire, `${label}.clear_time`);
        break;
      case 4:
        alert.subject = readText(r, wire, `${label}.subject`, notes);
        break;
      case 5:
        alert.summary = readText(r, wire, `${label}.summary`, notes);
        break;
      case 6:
        alert.detail = readText(r, wire, `${label}.detail`, notes);
        break;
      case 7:
        alert.importance = readUint32(r, wire, `${label}.importance`);
        break;
      case 8:
        alert.suppressUntilS = readTime(r, wire, `${label}.suppress_until`);
        break;
      default:
        r.skipType(wire); // unknown fields are legal: newer senders may add them
    }
  }
  if (!hasId) unkeyable = `${label} is missing required field id`;
  return unkeyable === undefined ? { alert } : { alert, unkeyable };
}

/** The update as read, and the alerts of it no receiver could key, by index, with why. */
interface RawUpdate {
  readonly update: AlertUpdate;
  readonly unkeyable: ReadonlyMap<number, string>;
}

function decodeFields(bytes: Uint8Array, notes: string[]): RawUpdate {
  const r = protobuf.Reader.create(bytes);
  const update: AlertUpdate = {
    transmissionId: 0n,
    source: "",
    replace: false,
    alerts: [],
    signature: new Uint8Array(0),
    transmissionTimeS: 0,
    sequence: 0n,
  };
  const seen = new Set<number>();
  const unkeyable = new Map<number, string>();
  while (r.pos < r.len) {
    const { field, wire } = readTag(r);
    seen.add(field);
    switch (field) {
      case 1:
        update.transmissionId = readUint64(r, wire, "transmission_id");
        break;
      case 2:
        update.source = readString(r, wire, "source");
        break;
      case 3:
        update.replace = readUint64(r, wire, "replace") !== 0n;
        break;
      case 4: {
        expect(wire, WIRE.LEN, "alert");
        const read = decodeAlert(r.bytes(), `alert[${update.alerts.length}]`, notes);
        if (read.unkeyable !== undefined) unkeyable.set(update.alerts.length, read.unkeyable);
        update.alerts.push(read.alert);
        break;
      }
      case 5:
        expect(wire, WIRE.LEN, "signature");
        update.signature = new Uint8Array(r.bytes());
        break;
      case 8:
        update.transmissionTimeS = readTime(r, wire, "transmission_time");
        break;
      case 16:
        update.sequence = readUint64(r, wire, "sequence");
        break;
      default:
        r.skipType(wire);
    }
  }
  // proto2 "required": Mauve itself refuses updates without these, so we do too.
  for (const [field, name] of [
    [1, "transmission_id"],
    [2, "source"],
    [3, "replace"],
  ] as const) {
    if (!seen.has(field)) fail(`update is missing required field ${name}`);
  }
  return { update, unkeyable };
}

/** Decodes and validates the protobuf without sanitising text (noting what it read leniently); callers want `decodeUpdate`. */
function decodeRawUpdate(bytes: Uint8Array, notes: string[]): RawUpdate {
  if (!(bytes instanceof Uint8Array)) fail("input is not a byte array");
  if (bytes.length === 0) fail("empty input");
  if (bytes.length > MAX_UPDATE_BYTES) fail(`update is ${bytes.length} bytes, over the ${MAX_UPDATE_BYTES}-byte limit`);
  try {
    return decodeFields(bytes, notes);
  } catch (e) {
    if (e instanceof CodecError) throw e;
    // protobufjs's messages carry offsets and lengths only ("index out of range: 9 + 10 > 12").
    const detail = e instanceof Error ? e.message.slice(0, 120) : "unknown error";
    fail(`malformed protobuf: ${detail}`, e);
  }
}

/**
 * Decodes an AlertUpdate and reports what sanitising changed (for the log), and the alerts left out
 * of it because no receiver could key them (see sanitiseUpdate): for the paths whose sender hears
 * no answer (UDP, pubsub), where refusing the whole update lost every other alert of it.
 */
export function decodeUpdateWithNotes(bytes: Uint8Array): SanitisedUpdate {
  const notes: string[] = [];
  try {
    const raw = decodeRawUpdate(bytes, notes);
    const sanitised = sanitiseUpdate(raw.update, raw.unkeyable);
    return { update: sanitised.update, notes: [...notes, ...sanitised.notes], refused: sanitised.refused };
  } catch (e) {
    if (e instanceof CodecError) throw e;
    fail("update could not be sanitised", e); // a bug, but bad input must only ever yield CodecError
  }
}

/**
 * Decodes Mauve AlertUpdate bytes into a validated, sanitised AlertUpdate; throws CodecError, also
 * for any one alert no receiver could key (for a sender that is answered, and can fix and resend).
 */
export function decodeUpdate(bytes: Uint8Array): AlertUpdate {
  const { update, refused } = decodeUpdateWithNotes(bytes);
  if (refused.length > 0) throw new CodecError(refused[0]!);
  return update;
}
