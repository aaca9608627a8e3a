// How an alert's escalation state is kept between looks: a compact array, since a row is written
// for every alert the policy tells anyone of. As a JSON object with its field names, the state
// was the largest row an alert wrote. States stored as objects (version 1) are read as they are.
import type { EscalationState, NotifiedPerson } from "./escalation.js";
import type { ChannelTier, Level } from "./types.js";

/** The stored form's version, first in the array. */
const VERSION = 2;

/** A field that may be missing from a state (stored before it existed): kept apart from null. */
const ABSENT = 0;

/** The stored form of a state: plain JSON. Times are kept relative to the raise. */
export type EncodedEscalation = readonly unknown[];

/** The state in its stored form (see {@link decodeEscalation}). */
export function encodeEscalation(state: EscalationState): EncodedEscalation {
  const t0 = state.raisedAt;
  return [
    VERSION,
    t0,
    state.level,
    state.workgroup,
    state.round,
    state.startKind,
    state.expiredAckBy === undefined ? ABSENT : state.expiredAckBy,
    state.startedAt === null ? null : state.startedAt - t0,
    state.nextStep,
    state.notified.map((n) => [
      n.person,
      n.round,
      n.lastAt - t0,
      n.reminders,
      n.tiers === undefined ? ABSENT : n.tiers,
      // Kept only when present, so a row stays as short as before for the people named directly.
      ...(n.onCallStep === undefined ? [] : [n.onCallStep]),
    ]),
    state.ack === null ? null : [state.ack.by, state.ack.at - t0, state.ack.until - t0],
    state.held === null ? null : [state.held.reason, state.held.since - t0],
  ];
}

/** Raised when a stored state is in no form this code knows (a file damaged or written by newer code). */
export class EscalationCodecError extends Error {
  override readonly name = "EscalationCodecError";
}

/** A state as stored (either form), or null when none is. */
export function decodeEscalation(stored: unknown): EscalationState | null {
  if (stored === null || stored === undefined) return null;
  if (!Array.isArray(stored)) return stored as EscalationState; // version 1: the object itself
  if (stored[0] !== VERSION || stored.length !== 12)
    throw new EscalationCodecError(`unknown escalation state form: ${JSON.stringify(stored).slice(0, 80)}`);
  const [, t0, level, workgroup, round, startKind, expiredAckBy, startedAt, nextStep, notified, ack, held] = stored as [
    number,
    number,
    Level,
    string,
    number,
    EscalationState["startKind"],
    string | null | typeof ABSENT,
    number | null,
    number,
    Array<[string, number, number, number, readonly ChannelTier[] | null | typeof ABSENT, number?]>,
    [string, number, number] | null,
    [NonNullable<EscalationState["held"]>["reason"], number] | null,
  ];
  return {
    version: 1,
    raisedAt: t0,
    level,
    workgroup,
    round,
    startKind,
    ...(expiredAckBy === ABSENT ? {} : { expiredAckBy }),
    startedAt: startedAt === null ? null : t0 + startedAt,
    nextStep,
    notified: notified.map(([person, r, lastAt, reminders, tiers, onCallStep]): NotifiedPerson => ({
      person,
      round: r,
      lastAt: t0 + lastAt,
      reminders,
      ...(tiers === ABSENT ? {} : { tiers }),
      ...(onCallStep === undefined ? {} : { onCallStep }),
    })),
    ack: ack === null ? null : { by: ack[0], at: t0 + ack[1], until: t0 + ack[2] },
    held: held === null ? null : { reason: held[0], since: t0 + held[1] },
  };
}
