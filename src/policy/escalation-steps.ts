import { planChannels } from "./channels.js";
import type { Delivery, DeliveryKind } from "./delivery.js";
import type { EscalationInput, EscalationState, NotifiedPerson } from "./escalation-state.js";
import { describeTarget, resolveTarget } from "./escalation-targets.js";
import { findPerson } from "./on-call.js";
import type { ChannelTier, EscalationPolicy, Level, Person, Workgroup } from "./types.js";
import { isOpen, nextOpening } from "./windows.js";

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
export function deliver(run: Pick<Run, "input" | "level" | "deliveries">, person: Person, kind: DeliveryKind, why: string, tiers: readonly ChannelTier[] | null = null): void {
  const { alert, presence } = run.input;
  const once = kind === "cleared" || kind === "acked" || kind === "reminder";
  const plan = planChannels(person, run.level, presence?.(person.name) ?? "unknown", { tiers, fallbacks: !once });
  run.deliveries.push({ person: person.name, kind, level: run.level, shortId: alert.shortId, ...plan, why });
}

function told(state: EscalationState, name: string, now: number, tiers: readonly ChannelTier[] | null): EscalationState {
  const entry: NotifiedPerson = { person: name, round: state.round, lastAt: now, reminders: 0, tiers };
  const rest = state.notified.filter((n) => n.person !== name);
  return { ...state, notified: [...rest, entry] };
}

/**
 * Fires every step that has fallen due, in order; several at once when the bot was away. A step
 * whose window is shut stops the chain there until it opens; the returned `blockedUntil` says when.
 */
export function fireDueSteps(run: Run, state: EscalationState): { state: EscalationState; blockedUntil: number | null } {
  const { now, policy } = run.input;
  const where = `${run.workgroup.name}/${state.level}`;
  let s = state;
  const toldThisRound = new Set(s.notified.filter((n) => n.round === s.round).map((n) => n.person));
  for (let step = run.chain.steps[s.nextStep]; step !== undefined; step = run.chain.steps[s.nextStep]) {
    if ((s.startedAt ?? now) + step.after > now) break;
    const label = `step ${s.nextStep + 1} of ${where}`;
    const window = step.window === null || !Object.hasOwn(policy.windows, step.window) ? undefined : policy.windows[step.window];
    if (window !== undefined && !isOpen(window, now)) {
      const opening = nextOpening(window, now);
      if (opening !== null) return { state: s, blockedUntil: opening };
      run.warnings.push(`${label} waits for window ${step.window ?? ""}, which never opens again: skipped`);
    } else {
      const people = resolveTarget(step.notify, run.workgroup, policy, now, toldThisRound);
      if (people.length === 0) run.warnings.push(`${label} (${describeTarget(step.notify)}) found nobody to notify`);
      const kind: DeliveryKind = s.nextStep === 0 ? s.startKind : "escalated";
      for (const person of people) {
        deliver(run, person, kind, `${label}: ${describeTarget(step.notify)}`, step.channels);
        toldThisRound.add(person.name);
        s = told(s, person.name, now, step.channels);
      }
      if (s.nextStep === 0 && s.startKind === "ack-expired") s = tellAcker(run, s, toldThisRound, label);
    }
    s = { ...s, nextStep: s.nextStep + 1 };
  }
  return { state: s, blockedUntil: null };
}

/**
 * The person whose ack ran out hears of it too, whoever is on call now: they said they were on it.
 * On their own channels for the level, chased by fallbacks like any page; reminded from then on.
 */
function tellAcker(run: Run, state: EscalationState, toldThisRound: Set<string>, label: string): EscalationState {
  const name = state.expiredAckBy;
  if (name === undefined || name === null || [...toldThisRound].some((p) => p.toLowerCase() === name.toLowerCase())) return state;
  const person = findPerson(run.input.policy.people, name);
  if (person === undefined) return state;
  deliver(run, person, "ack-expired", `${label}: ${person.name}'s ack ran out`);
  toldThisRound.add(person.name);
  return told(state, person.name, run.input.now, null);
}

/** Reminds everyone told this round whose last message is a reminder period old, once however late. */
export function sendReminders(run: Run, state: EscalationState): EscalationState {
  const period = run.chain.reminder;
  const { now, policy } = run.input;
  if (period === null) return state;
  const notified = state.notified.map((n) => {
    if (n.round !== state.round || n.lastAt + period > now) return n;
    const person = findPerson(policy.people, n.person);
    if (person === undefined) {
      run.warnings.push(`${n.person} is no longer configured: reminder not sent`);
      return n;
    }
    // On the channels of the step that paged them, at most: a step saying `channels: [sms]` means SMS only.
    deliver(run, person, "reminder", `reminder ${n.reminders + 1} of ${run.workgroup.name}/${state.level}`, n.tiers ?? null);
    return { ...n, lastAt: now, reminders: n.reminders + 1 };
  });
  return { ...state, notified };
}

/** The next moment this chain has anything to do: a step falling due (or its window opening), or a reminder. */
export function nextChainAt(run: Run, state: EscalationState, blockedUntil: number | null): number | null {
  const candidates: number[] = [];
  const step = run.chain.steps[state.nextStep];
  if (blockedUntil !== null) candidates.push(blockedUntil);
  else if (step !== undefined) candidates.push((state.startedAt ?? run.input.now) + step.after);
  const period = run.chain.reminder;
  if (period !== null) {
    for (const n of state.notified) if (n.round === state.round) candidates.push(n.lastAt + period);
  }
  return candidates.length === 0 ? null : Math.min(...candidates);
}
