import { personOfActor } from "../alerts/actor.js";
import type { AlertRecord, AckInfo } from "../alerts/types.js";
import { type PresenceOf, planChannels, type Delivery, type DeliveryKind } from "./delivery.js";
import { type DownSources, inhibitedBy } from "./inhibit.js";
import { type AlertFacts, type Classification, type Silence, activeSilences } from "./matcher.js";
import { findPerson, findWorkgroup, nextLineChange, onCall } from "./on-call.js";
import type { ChannelTier, Level, Policy, EscalationPolicy, Person, Workgroup, StepTarget } from "./types.js";
import { isOpen, nextClosing, nextOpening, windowNamed } from "./windows.js";

// Escalation: who is told about one alert, when, and on which channel, step by step. Every
// function here is pure: no I/O, no timers, no clock; each takes `now` (ms) and returns data. The
// bot owns persistence, timers, presence tracking and sending; the policy owns every decision.
//
// The bot's tick, per alert that changed or whose `nextAt` came due:
//
//   const result = escalate({
//     alert, classification: classify(config.rules, alert), now,
//     state: store.escalation.get(alert.shortId),          // EscalationState | null, JSON
//     policy: config,                                      // BotConfig satisfies Policy
//     presence: (name) => presenceTracker.of(name),        // "online" | "away" | "offline" | "unknown"
//     silences: store.silences.live(now),
//     down: presenceTracker.downSources(),                 // Map<source, since>
//   });
//   store.escalation.put(alert.shortId, result.state);     // null deletes
//   schedule.at(alert.shortId, result.nextAt);             // null: nothing until input changes
//   outbox.add(result.deliveries);                         // then planOutbox (storm.ts) per person
//
// Call `escalate` again whenever the alert, its ack, the silences, a source's presence or the
// config changes, and at `nextAt`; repeating a call with the state it returned delivers nothing.

/** Someone told about the alert during its current raise. */
export interface NotifiedPerson {
  readonly person: string;
  /** The chain round they were last told in; a restart (ack expiry, new level) begins a new round. */
  readonly round: number;
  /** When they were last told; reminders count from here (moved on by time spent held). */
  readonly lastAt: number;
  readonly reminders: number;
  /**
   * The channel tiers of the step that told them last (null: their own for the level); reminders
   * use these. Absent in states stored before reminders kept to their step's channels.
   */
  readonly tiers?: readonly ChannelTier[] | null;
  /**
   * The step (its index in the chain) that told them last only because they were on call for it:
   * `oncall`, `all`, `next`, another workgroup, the handover, everyone on the rota when it found
   * nobody, or the first step's when theirs was the ack that ran out. Absent: a step named them, or
   * the state is older. Their reminders stop while someone else told is on call for that step (see
   * offCall).
   */
  readonly onCallStep?: number;
}

/** Why a whole chain is waiting. */
export type HoldReason = "suppressed" | "silenced" | "inhibited" | "window";

/** A chain-wide hold: nothing new goes out until `until` (null: until the caller says otherwise). */
export interface Hold {
  readonly reason: HoldReason;
  readonly until: number | null;
  /** For logs and history: the silence's id and reason, the down source, the window's name. */
  readonly detail: string;
}

/**
 * Where one alert's escalation stands; plain JSON, persisted by the caller between calls and passed
 * back verbatim. `version` lets a later schema migrate old rows.
 */
export interface EscalationState {
  readonly version: 1;
  /** The raise this chain belongs to; a different `raisedAt` on the alert starts afresh. */
  readonly raisedAt: number;
  readonly level: Level;
  readonly workgroup: string;
  readonly round: number;
  /** The kind the first step of this round delivers. */
  readonly startKind: "raised" | "ack-expired";
  /** Who held the ack that ran out and restarted this round: they hear of it with the first step. */
  readonly expiredAckBy?: string | null;
  /** When step timing began (null until the chain first runs unheld); moved on by time spent held. */
  readonly startedAt: number | null;
  /** Index of the next step to fire. */
  readonly nextStep: number;
  readonly notified: readonly NotifiedPerson[];
  /** The ack seen last, so its end can be told apart from "never acked". */
  readonly ack: { readonly by: string; readonly at: number; readonly until: number } | null;
  readonly held: { readonly reason: HoldReason; readonly since: number } | null;
}

/** The fields of an alert the escalation reads. */
export type EscalationAlert = AlertFacts &
  Pick<AlertRecord, "shortId" | "status" | "raisedAt" | "suppressUntil" | "ack">;

/** Everything one escalation step of time needs; no field is read from anywhere else. */
export interface EscalationInput {
  readonly alert: EscalationAlert;
  readonly classification: Classification;
  readonly state: EscalationState | null;
  readonly now: number;
  readonly policy: Policy;
  /** Defaults to "unknown" for everyone, which skips XMPP when another channel exists. */
  readonly presence?: PresenceOf;
  readonly silences?: readonly Silence[];
  /** Sources whose agent is gone, with since when. */
  readonly down?: DownSources;
}

/** What to send now, what to persist, and when to call again. */
export interface EscalationResult {
  readonly deliveries: readonly Delivery[];
  /** Persist this (null: forget the chain, the alert is over). */
  readonly state: EscalationState | null;
  /** Call `escalate` again at this time (ms), or null when only a change of input can matter. */
  readonly nextAt: number | null;
  /** Why the chain is waiting, when it is. */
  readonly held: Hold | null;
  /** Things a person should know, for the log and the alert's history ("step 2 found nobody left"). */
  readonly warnings: readonly string[];
}

function fresh(input: EscalationInput, raisedAt: number): EscalationState {
  const { level, workgroup } = input.classification;
  return {
    version: 1,
    raisedAt,
    level,
    workgroup,
    round: 0,
    startKind: "raised",
    startedAt: null,
    nextStep: 0,
    notified: [],
    ack: null,
    held: null,
  };
}

// A new round keeps who was told (they still hear the clear) but starts the steps, and "next", over.
function restart(state: EscalationState, startKind: EscalationState["startKind"]): EscalationState {
  const expiredAckBy = startKind === "ack-expired" ? (state.ack?.by ?? null) : null;
  return {
    ...state,
    round: state.round + 1,
    startKind,
    expiredAckBy,
    startedAt: null,
    nextStep: 0,
    ack: null,
    held: null,
  };
}

// Time spent held does not count towards steps or reminders: the chain resumes where it paused.
function resume(state: EscalationState, now: number): EscalationState {
  const shift = state.held === null ? 0 : now - state.held.since;
  return {
    ...state,
    held: null,
    startedAt: state.startedAt === null ? now : state.startedAt + shift,
    notified: state.notified.map((n) => (n.round === state.round ? { ...n, lastAt: n.lastAt + shift } : n)),
  };
}

/**
 * Tells everyone who heard of the raise one closing notice, bar the person behind the actor
 * `except`: alice, having acked through the web board as "alice (web)", is not told of her own ack.
 */
function tellNotified(
  input: EscalationInput,
  state: EscalationState,
  kind: "cleared" | "acked",
  why: string,
  except = "",
): Delivery[] {
  const run = { input, level: state.level, deliveries: [] as Delivery[] };
  for (const n of state.notified) {
    const person = findPerson(input.policy.people, n.person);
    if (person !== undefined && n.person.toLowerCase() !== personOfActor(except)) deliver(run, person, kind, why);
  }
  return run.deliveries;
}

function acknowledged(input: EscalationInput, state: EscalationState, ack: AckInfo): EscalationResult {
  const seen = state.ack !== null && state.ack.at === ack.at && state.ack.by === ack.by;
  const deliveries = seen ? [] : tellNotified(input, state, "acked", `acked by ${ack.by}`, ack.by);
  const next = { ...state, ack: { by: ack.by, at: ack.at, until: ack.until }, held: null };
  // Called again when the ack runs out, so its expiry restarts the chain even if nothing else happens.
  return { deliveries, state: next, nextAt: ack.until > input.now ? ack.until : null, held: null, warnings: [] };
}

/**
 * Advances one alert's escalation to `now`: the pure heart of the policy. Clears tell whoever
 * was told and end the chain; acks tell the others and pause it until the ack ends, which starts
 * the chain again from step 1; otherwise due steps fire and reminders go out, unless a hold applies.
 * Calling it twice with the same input and the returned state delivers nothing the second time.
 */
export function escalate(input: EscalationInput): EscalationResult {
  const { alert, classification, now } = input;
  let state = input.state;
  if (alert.status !== "raised") {
    const deliveries = state === null ? [] : tellNotified(input, state, "cleared", "cleared");
    return { deliveries, state: null, nextAt: null, held: null, warnings: [] };
  }
  const raisedAt = alert.raisedAt ?? 0;
  if (state !== null && state.raisedAt !== raisedAt) state = null;
  if (state === null) state = fresh(input, raisedAt);
  else if (state.level !== classification.level || state.workgroup !== classification.workgroup) {
    const seenAck = state.ack;
    state = restart({ ...state, level: classification.level, workgroup: classification.workgroup }, "raised");
    // An ack standing through the change was told already: told again, it read as a new one.
    if (alert.ack !== null) state = { ...state, ack: seenAck };
  }
  if (alert.ack !== null) return acknowledged(input, state, alert.ack);
  if (state.ack !== null) state = restart(state, now >= state.ack.until ? "ack-expired" : "raised");

  const warnings: string[] = [];
  const hold = chainHold(input, (text) => warnings.push(text));
  if (hold !== null) {
    const held = { reason: hold.reason, since: state.held?.since ?? now };
    return { deliveries: [], state: { ...state, held }, nextAt: hold.until, held: hold, warnings };
  }
  const workgroup = findWorkgroup(input.policy.workgroups, state.workgroup);
  if (workgroup === undefined)
    throw new Error(`classification names workgroup "${state.workgroup}", which the policy does not have`);
  const run: Run = {
    input,
    workgroup,
    level: state.level,
    chain: workgroup.escalation[state.level],
    deliveries: [],
    warnings,
  };
  const fired = fireDueSteps(run, resume(state, now));
  const handed = handOver(run, fired.state);
  // Reminders change when people were last told, not who is off call: one reading serves both.
  const off = offCall(run, handed);
  state = sendReminders(run, handed, off);
  return {
    deliveries: run.deliveries,
    state,
    nextAt: nextChainAt(run, state, fired.blockedUntil, off),
    held: null,
    warnings,
  };
}

/**
 * A person's "escalate 42": moves the chain's clock so its next step is due now. Returns the new
 * state, or null when the chain has no step left (or no chain runs). The next `escalate` call
 * then fires that step as it would have fired in time: same targets, same channels, same history.
 */
export function escalateNow(state: EscalationState | null, policy: Policy, now: number): EscalationState | null {
  if (!state) return null;
  const steps = findWorkgroup(policy.workgroups, state.workgroup)?.escalation[state.level].steps ?? [];
  const step = steps[state.nextStep];
  if (!step) return null;
  const startedAt = now - step.afterMs;
  return {
    ...state,
    startedAt: state.startedAt === null ? startedAt : Math.min(state.startedAt, startedAt),
    held: null,
  };
}

/**
 * Why the whole chain must wait now, if it must: the sender's suppress_until, a silence, the
 * host being down (its one host-down alert speaks for it), or the rule's window being shut.
 * Acks and clears are not held: they close what people already heard about.
 */
export function chainHold(input: EscalationInput, warn: (text: string) => void): Hold | null {
  const { alert, now, policy } = input;
  if (alert.suppressUntil !== null && alert.suppressUntil > now) {
    return { reason: "suppressed", until: alert.suppressUntil, detail: "suppress_until from the sender" };
  }
  const silences = activeSilences(alert, input.silences ?? [], now);
  if (silences.length > 0) {
    const until = Math.max(...silences.map((s) => s.until));
    return {
      reason: "silenced",
      until,
      detail: silences.map((s) => `silence ${s.id} by ${s.by}: ${s.why}`).join("; "),
    };
  }
  const down = input.down === undefined ? null : inhibitedBy(alert, input.down, policy.hostDown, now);
  if (down !== null) return { reason: "inhibited", until: null, detail: `${down} is down` };
  const name = input.classification.window;
  if (name === undefined) return null;
  const window = windowNamed(input.policy, name);
  if (window === undefined) {
    warn(`rule ${input.classification.ruleIndex} names window "${name}", which is not configured: not waiting for it`);
    return null;
  }
  if (isOpen(window, now)) return null;
  return { reason: "window", until: nextOpening(window, now), detail: `window ${name} is shut` };
}

/** One call's working context: the inputs, and where deliveries and warnings collect. */
export interface Run {
  readonly input: EscalationInput;
  readonly workgroup: Workgroup;
  /** The level deliveries carry: the chain's, which a clear or an ack reports as it was. */
  readonly level: Level;
  readonly chain: EscalationPolicy;
  readonly deliveries: Delivery[];
  readonly warnings: string[];
}

/**
 * Adds a delivery for one person, choosing channels by their presence. A clear or an ack closes
 * something already heard of, and a reminder repeats a notice whose own fallbacks already ran:
 * each goes once, on the first channels reachable now, without chasing on the others.
 */
export function deliver(
  run: Pick<Run, "input" | "level" | "deliveries">,
  person: Person,
  kind: DeliveryKind,
  why: string,
  tiers: readonly ChannelTier[] | null = null,
): void {
  const { alert, presence } = run.input;
  const once = kind === "cleared" || kind === "acked" || kind === "reminder";
  const plan = planChannels(person, run.level, presence?.(person.name) ?? "unknown", { tiers, fallbacks: !once });
  const { channels, fallbacks } = plan;
  run.deliveries.push({
    person: person.name,
    kind,
    level: run.level,
    shortId: alert.shortId,
    channels,
    fallbacks,
    why,
  });
}

/**
 * Records that `name` was told now, through the on-call line of step `onCallStep` or (null) named
 * directly. Named directly once this round, they stay so: a line telling them again does not make
 * their reminders hang on a shift.
 */
function toldAt(
  state: EscalationState,
  name: string,
  now: number,
  tiers: readonly ChannelTier[] | null,
  onCallStep: number | null,
): EscalationState {
  const before = state.notified.find((n) => n.person === name);
  const named = onCallStep === null || (before?.round === state.round && before.onCallStep === undefined);
  const entry: NotifiedPerson = {
    person: name,
    round: state.round,
    lastAt: now,
    reminders: 0,
    tiers,
    ...(named ? {} : { onCallStep }),
  };
  const rest = state.notified.filter((n) => n.person !== name);
  return { ...state, notified: [...rest, entry] };
}

/**
 * Fires every step that has fallen due, in order; several at once when the bot was away. A step
 * whose window is shut stops the chain there until it opens; the returned `blockedUntil` says when.
 */
function fireDueSteps(run: Run, state: EscalationState): { state: EscalationState; blockedUntil: number | null } {
  const { now, policy } = run.input;
  // Most looks find no step due: they build nothing.
  const due = run.chain.steps[state.nextStep];
  if (due === undefined || (state.startedAt ?? now) + due.afterMs > now) return { state, blockedUntil: null };
  const where = `${run.workgroup.name}/${state.level}`;
  let s = state;
  const toldThisRound = toldIn(s);
  for (let step = run.chain.steps[s.nextStep]; step !== undefined; step = run.chain.steps[s.nextStep]) {
    if ((s.startedAt ?? now) + step.afterMs > now) break;
    const label = `step ${s.nextStep + 1} of ${where}`;
    const window = windowNamed(policy, step.window);
    if (window !== undefined && !isOpen(window, now)) {
      const opening = nextOpening(window, now);
      if (opening !== null) return { state: s, blockedUntil: opening };
      run.warnings.push(`${label} waits for window ${step.window ?? ""}, which never opens again: skipped`);
    } else {
      let people = resolveTarget(step.notify, run.workgroup, policy, now, toldThisRound);
      let why = `${label}: ${describeTarget(step.notify)}`;
      let onCallStep = step.notify.kind === "person" ? null : s.nextStep;
      if (people.length === 0 && toldThisRound.size === 0) {
        // Nobody on call (a rotation with no shift now, a step naming someone since removed), and
        // nobody told yet: a page told to no one would be the bus gone silent. Everyone on the
        // rota hears it, and reads why it came to them.
        const rota = rotaOf(step.notify, run.workgroup, policy);
        people = rota.people;
        why = `${label}: ${describeTarget(step.notify)} found nobody, so everyone on ${rota.name}`;
        run.warnings.push(`${label} (${describeTarget(step.notify)}) found nobody: told everyone on ${rota.name}`);
        // Told for want of anyone on call: whoever comes on call for the step, once told, holds it.
        onCallStep = s.nextStep;
      } else if (people.length === 0) {
        run.warnings.push(`${label} (${describeTarget(step.notify)}) found nobody to notify`);
      }
      const kind: DeliveryKind = s.nextStep === 0 ? s.startKind : "escalated";
      for (const person of people) {
        deliver(run, person, kind, why, step.channels);
        toldThisRound.add(person.name);
        s = toldAt(s, person.name, now, step.channels, onCallStep);
      }
      if (s.nextStep === 0 && s.startKind === "ack-expired") s = tellAcker(run, s, toldThisRound, label);
    }
    s = { ...s, nextStep: s.nextStep + 1 };
  }
  return { state: s, blockedUntil: null };
}

/**
 * The person whose ack ran out hears of it too, whoever is on call now: they said they were on it.
 * On their own channels for the level, chased by fallbacks like any page. Reminded from then on as
 * if the first step had told them as on call: an ack that ran out after their shift reminded them
 * all night beside the night's person (see offCall).
 */
function tellAcker(run: Run, state: EscalationState, toldThisRound: Set<string>, label: string): EscalationState {
  const actor = state.expiredAckBy;
  if (actor === undefined || actor === null) return state;
  // The ack names its door ("alice (web)"): the person is the same whichever door they came through.
  const name = personOfActor(actor);
  if ([...toldThisRound].some((p) => p.toLowerCase() === name)) return state;
  const person = findPerson(run.input.policy.people, name);
  if (person === undefined) return state;
  deliver(run, person, "ack-expired", `${label}: ${person.name}'s ack ran out`);
  toldThisRound.add(person.name);
  return toldAt(state, person.name, run.input.now, null, state.nextStep);
}

/**
 * Whoever comes on call for a step of this round already run while the alert is still unanswered
 * hears of it, once, on that step's channels: a night's page left unacked at 08:00 went on
 * reminding the night's person through their day off, and the day's never heard of it; and the
 * line a later step paged (a named person first, then whoever is on call) changes hands just the
 * same. `oncall` and `all` hand over to whoever the step would tell now; `next` and another
 * workgroup, which page one person of a line, to the first in it once nobody in it has been told.
 * Steps not reached yet are not handed over: they will run in time.
 */
function handOver(run: Run, state: EscalationState): EscalationState {
  const told = toldIn(state);
  if (told.size === 0) return state;
  const { now, policy } = run.input;
  const { steps } = run.chain;
  let s = state;
  // Indexed, not a slice's entries: this runs at every look at an unanswered alert.
  for (let index = 0, reached = Math.min(state.nextStep, steps.length); index < reached; index++) {
    const step = steps[index]!;
    const target = step.notify;
    if (target.kind === "person") continue;
    // The step's own window holds the handover as it held the step.
    const window = windowNamed(policy, step.window);
    if (window !== undefined && !isOpen(window, now)) continue;
    const onePerLine = target.kind === "next" || target.kind === "workgroup";
    if (onePerLine && onCallFor(target, run.workgroup, policy, now).some((p) => told.has(p.name))) continue;
    for (const person of resolveTarget(target, run.workgroup, policy, now, told)) {
      if (told.has(person.name)) continue;
      deliver(run, person, "escalated", `now on call for ${run.workgroup.name}: handed over unacked`, step.channels);
      told.add(person.name);
      s = toldAt(s, person.name, now, step.channels, index);
    }
  }
  return s;
}

const NOBODY: ReadonlySet<string> = new Set();

/** The names of those told in the state's round. */
function toldIn(state: EscalationState): Set<string> {
  const told = new Set<string>();
  for (const n of state.notified) if (n.round === state.round) told.add(n.person);
  return told;
}

/**
 * Who told this round, told only because they were on call for a step, is no longer on call for it
 * while someone else on call for it has been told: the alert is theirs now, as the handover made it,
 * and reminders go to them; whoever's ack ran out stays on call while anywhere in the workgroup's
 * line. Acks and clears still reach everyone told. While nobody else on call for the step has been
 * told (the rota empty since, the handover held by the step's window), and should this leave nobody
 * told this round, nobody's reminders stop: the alert is never left silent.
 */
function offCall(run: Run, state: EscalationState): ReadonlySet<string> {
  // Only reminders stop for those off call: a chain without them need not ask who is.
  if (run.chain.reminderMs === null) return NOBODY;
  const { now, policy } = run.input;
  const told = state.notified.filter((n) => n.round === state.round);
  // Whoever's ack ran out is on call while anywhere in the workgroup's line, whatever the first
  // step reads of it: bob, second in line and whose ack ran out, said he was on it.
  const acker = state.expiredAckBy ? personOfActor(state.expiredAckBy) : null;
  // Built only when someone told is no longer among those on call: at most looks, nobody is.
  let toldNames: Set<string> | undefined;
  let off: Set<string> | undefined;
  for (const n of told) {
    const step = n.onCallStep === undefined ? undefined : run.chain.steps[n.onCallStep];
    if (step === undefined) continue; // named, or a reload changed the chain: reminded as before
    if (n.person.toLowerCase() === acker && inLine(run.workgroup, now, policy, acker)) continue;
    const holders = onCallFor(step.notify, run.workgroup, policy, now).map((p) => p.name);
    if (holders.includes(n.person)) continue;
    toldNames ??= new Set(told.map((t) => t.person));
    if (holders.some((h) => toldNames!.has(h))) (off ??= new Set<string>()).add(n.person);
  }
  return off === undefined || told.every((n) => off.has(n.person)) ? NOBODY : off;
}

/** Whether the person of lower-cased `name` is in the workgroup's line of people on call at `now`. */
function inLine(workgroup: Workgroup, now: number, policy: Policy, name: string): boolean {
  return onCall(workgroup, now, policy.people).some((p) => p.name.toLowerCase() === name);
}

/**
 * Reminds everyone told this round whose last message is a reminder period old, once however late,
 * bar those off call now (see offCall); back on call, they are reminded again.
 */
function sendReminders(run: Run, state: EscalationState, off: ReadonlySet<string>): EscalationState {
  const period = run.chain.reminderMs;
  const { now, policy } = run.input;
  if (period === null) return state;
  const notified = state.notified.map((n) => {
    if (n.round !== state.round || n.lastAt + period > now || off.has(n.person)) return n;
    const person = findPerson(policy.people, n.person);
    if (person === undefined) {
      run.warnings.push(`${n.person} is no longer configured: reminder not sent`);
      return n;
    }
    // On the channels of the step that paged them, at most: a step saying `channels: [sms]` means SMS only.
    deliver(
      run,
      person,
      "reminder",
      `reminder ${n.reminders + 1} of ${run.workgroup.name}/${state.level}`,
      n.tiers ?? null,
    );
    return { ...n, lastAt: now, reminders: n.reminders + 1 };
  });
  return { ...state, notified };
}

/** The next moment this chain has anything to do: a step falling due (or its window opening), or a reminder. */
function nextChainAt(
  run: Run,
  state: EscalationState,
  blockedUntil: number | null,
  off: ReadonlySet<string>,
): number | null {
  const { policy } = run.input;
  const candidates: number[] = [];
  const step = run.chain.steps[state.nextStep];
  if (blockedUntil !== null) candidates.push(blockedUntil);
  else if (step !== undefined) candidates.push((state.startedAt ?? run.input.now) + step.afterMs);
  const period = run.chain.reminderMs;
  if (period !== null) {
    for (const n of state.notified)
      if (n.round === state.round && !off.has(n.person)) candidates.push(n.lastAt + period);
  }
  // A look when a line of people on call that a step already run read changes, for the handover
  // (see handOver): the workgroup's own, and any other workgroup a step named.
  const { steps } = run.chain;
  const lines: Workgroup[] = state.nextStep > 0 && steps[0] !== undefined ? [run.workgroup] : [];
  for (let i = 0, reached = Math.min(state.nextStep, steps.length); i < reached; i++) {
    const { notify } = steps[i]!;
    const other = notify.kind === "workgroup" ? findWorkgroup(policy.workgroups, notify.name) : undefined;
    if (other !== undefined && !lines.includes(other)) lines.push(other);
  }
  for (const line of lines) {
    const change = nextLineChange(line, run.input.now);
    if (change !== null) candidates.push(change);
  }
  // A look when the rule's window shuts holds the chain from then: looked at only at its next step,
  // the time shut in between would count towards it.
  const window = windowNamed(run.input.policy, run.input.classification.window);
  const closes = candidates.length === 0 || window === undefined ? null : nextClosing(window, run.input.now);
  if (closes !== null && closes > run.input.now) candidates.push(closes);
  return candidates.length === 0 ? null : Math.min(...candidates);
}

/**
 * Everyone a step could have meant, on or off shift: the workgroup's overrides, every shift's
 * people and its members (for a step naming another workgroup, that one's); with none of them
 * configured, everyone the policy knows.
 */
function rotaOf(target: StepTarget, workgroup: Workgroup, policy: Policy): { name: string; people: Person[] } {
  const named = target.kind === "workgroup" ? findWorkgroup(policy.workgroups, target.name) : workgroup;
  const names =
    named === undefined
      ? []
      : [
          ...named.overrides.map((o) => o.person),
          ...(named.rotation?.shifts.flatMap((shift) => shift.people) ?? []),
          ...named.members,
        ];
  const people: Person[] = [];
  for (const name of names) {
    const person = findPerson(policy.people, name);
    if (person !== undefined && !people.includes(person)) people.push(person);
  }
  if (people.length > 0 && named !== undefined) return { name: `${named.name}'s rota`, people };
  return { name: "the people list", people: [...policy.people] };
}

/** Describes a step's target for people reading history: "next on call", "workgroup dba". */
function describeTarget(target: StepTarget): string {
  switch (target.kind) {
    case "oncall":
      return "on call";
    case "next":
      return "next on call";
    case "all":
      return "everyone on call";
    case "person":
      return target.name;
    case "workgroup":
      return `workgroup ${target.name}`;
  }
}

/**
 * Who is on call for a step at `now`, for the reminders of those it told through a line: for
 * `oncall` the first in line, as the handover reads it; for `all` and `next` anyone in the line;
 * for another workgroup anyone in its line; for a named person, that person.
 */
function onCallFor(target: StepTarget, workgroup: Workgroup, policy: Policy, now: number): Person[] {
  switch (target.kind) {
    case "oncall":
      return onCall(workgroup, now, policy.people).slice(0, 1);
    case "all":
    case "next":
      return onCall(workgroup, now, policy.people);
    case "workgroup": {
      const other = findWorkgroup(policy.workgroups, target.name);
      return other === undefined ? [] : onCall(other, now, policy.people);
    }
    case "person": {
      const person = findPerson(policy.people, target.name);
      return person === undefined ? [] : [person];
    }
  }
}

/**
 * Who a step notifies at `now`. `oncall` is whoever is first in line now (told again if already
 * told); `next` is the first in line not yet told this round, so a handover mid-chain reaches the
 * new person; another workgroup gives its first untold person, else its first.
 */
export function resolveTarget(
  target: StepTarget,
  workgroup: Workgroup,
  policy: Policy,
  now: number,
  told: ReadonlySet<string>,
): Person[] {
  const line = (wg: Workgroup): Person[] => onCall(wg, now, policy.people);
  switch (target.kind) {
    case "oncall":
      return line(workgroup).slice(0, 1);
    case "all":
      return line(workgroup);
    case "next":
      return line(workgroup)
        .filter((p) => !told.has(p.name))
        .slice(0, 1);
    case "person": {
      const person = findPerson(policy.people, target.name);
      return person === undefined ? [] : [person];
    }
    case "workgroup": {
      const other = findWorkgroup(policy.workgroups, target.name);
      const people = other === undefined ? [] : line(other);
      const pick = people.find((p) => !told.has(p.name)) ?? people[0];
      return pick === undefined ? [] : [pick];
    }
  }
}
