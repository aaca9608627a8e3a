// The content of one pubsub item: the protobuf as base64 in our own versioned namespace, with a
// readable line beside it. The XML itself is built in src/xmpp from this plain data.
import { Buffer } from "node:buffer";
import { CodecError } from "../errors.js";
import { decodeUpdate, encodeUpdate } from "./protobuf.js";
import { MAX_UPDATE_BYTES, type AlertUpdate } from "./types.js";
import { summariseUpdate } from "./summary.js";

/** The namespace of the element that carries an update in a pubsub item; bump the version on change. */
export const NS_MAUVE_UPDATE = "urn:mauve-xmpp:update:1";

/** Base64 characters needed for the largest update (4 for every 3 bytes, padded). */
const MAX_BASE64_CHARS = Math.ceil(MAX_UPDATE_BYTES / 3) * 4;

// Some clients and libraries wrap base64 in lines; allow for that before stripping whitespace.
const MAX_RAW_CHARS = MAX_BASE64_CHARS + Math.ceil(MAX_BASE64_CHARS / 64) * 2;

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * One update as pubsub item content, in an element of namespace {@link NS_MAUVE_UPDATE}: the
 * protobuf as base64 and a human-readable line. src/xmpp turns it into XML and back.
 */
export interface UpdatePayload {
  readonly data: string;
  readonly text: string;
}

/** Encodes an update for a pubsub item; throws CodecError when it can't be encoded (e.g. > 64 KiB). */
export function wrapPayload(update: AlertUpdate): UpdatePayload {
  const bytes = encodeUpdate(update);
  return { data: Buffer.from(bytes).toString("base64"), text: summariseUpdate(update) };
}

/**
 * The protobuf bytes in a payload's base64, checked cheaply before any decoding: a string too long
 * to hold 64 KiB is refused on its length alone. Whitespace (line wrapping) is ignored.
 */
export function payloadBytes(payload: Pick<UpdatePayload, "data">): Uint8Array {
  const { data } = payload;
  if (typeof data !== "string") throw new CodecError("payload data is not a string");
  if (data.length > MAX_RAW_CHARS)
    throw new CodecError(`payload is ${data.length} characters of base64, over the 64 KiB limit`);
  const compact = data.replace(/[\t\n\r ]+/g, "");
  if (compact.length === 0) throw new CodecError("payload is empty");
  if (compact.length % 4 !== 0 || !BASE64.test(compact)) throw new CodecError("payload is not valid base64");
  const padding = compact.endsWith("==") ? 2 : compact.endsWith("=") ? 1 : 0;
  const size = (compact.length / 4) * 3 - padding;
  if (size > MAX_UPDATE_BYTES)
    throw new CodecError(`payload decodes to ${size} bytes, over the ${MAX_UPDATE_BYTES}-byte limit`);
  return new Uint8Array(Buffer.from(compact, "base64"));
}

/** Decodes the update in a pubsub item payload; throws CodecError for anything malformed. */
export function unwrapPayload(payload: Pick<UpdatePayload, "data">): AlertUpdate {
  return decodeUpdate(payloadBytes(payload));
}
