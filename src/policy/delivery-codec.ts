// How a delivery waits in the outbox: a compact array, since a row is written for every alert the
// policy tells anyone of, and written again when it is sent. As a JSON object with its field
// names, and with the person and the alert the row's own columns already hold, the delivery was
// the largest part of what each commit wrote. Deliveries stored as objects are read as they are.
import type { Delivery, DeliveryKind, Fallback } from "./delivery.js";
import type { ChannelName, Level } from "./types.js";

/** The stored form's version, first in the array. */
const VERSION = 2;

/** A delivery's stored form, without its person and alert (the row's columns): plain JSON. */
export type EncodedDelivery = readonly unknown[];

/** The delivery in its stored form (see {@link decodeDelivery}). */
export function encodeDelivery(d: Delivery): EncodedDelivery {
  return [VERSION, d.kind, d.level, d.channels, d.fallbacks.map((f) => [f.after, f.channels]), d.why];
}

/** Raised when a stored delivery is in no form this code knows (a file damaged or written by newer code). */
export class DeliveryCodecError extends Error {
  override readonly name = "DeliveryCodecError";
}

/** A delivery as stored (either form), for `person` about alert `shortId`. */
export function decodeDelivery(stored: unknown, person: string, shortId: number): Delivery {
  if (!Array.isArray(stored)) return { ...(stored as Delivery), person, shortId }; // version 1: the object itself
  if (stored[0] !== VERSION || stored.length !== 6)
    throw new DeliveryCodecError(`unknown delivery form: ${JSON.stringify(stored).slice(0, 80)}`);
  const [, kind, level, channels, fallbacks, why] = stored as [
    number,
    DeliveryKind,
    Level,
    ChannelName[],
    Array<[number, ChannelName[]]>,
    string,
  ];
  return {
    person,
    kind,
    level,
    shortId,
    channels,
    fallbacks: fallbacks.map(([after, channels]): Fallback => ({ after, channels })),
    why,
  };
}

/** The outbox's form of a delivery, for the store (src/store/policy-store.ts). */
export const DELIVERY_FORM = { encode: encodeDelivery, decode: decodeDelivery } as const;
