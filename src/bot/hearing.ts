// What AlertBot could hear, and since when. Its judgments of silence (an agent's heartbeat not
// refreshed, an agent's presence gone past the host-down grace) count time as the sender's silence;
// while AlertBot itself was not running, or was cut off from its XMPP server, it heard nobody, and
// that is its own outage, not theirs. A bot cut off for longer than the agents' heartbeat timeout
// paged every agent's heartbeat by email while they all stayed up and published; an agent that died
// meanwhile was never raised at all (its "unavailable" went to a bot that was not there).
//
// So each sender gets a fresh grace from when AlertBot could hear it again: a scheduled raise that
// falls due before then waits until then (one of an agent's while the link is down waits for the
// link), and every agent must be heard from within the grace after a reconnection or start (its
// presence, or an update it publishes live: greeted, an agent republishes its full state), or it
// counts as down since then and its host-down alert is raised. Updates the agents published
// meanwhile are read from their nodes at the reconnection, and agents are heard again (`listening`)
// only once that is done: reading many nodes may take longer than the grace. What a UDP or
// HTTP sender said meanwhile is lost: its raise waits for the silence it asked for (its heartbeat's
// timeout, at most SILENCE_HELD_MAX_MS) heard in full, or a sender that heartbeats less often than
// the grace would be paged after every restart of AlertBot.
//
// Agents come back on their own time: at a server restart each retries on its reconnection backoff,
// so an agent alive all along may knock up to a whole backoff step after AlertBot is back. Their
// grace after AlertBot could hear them again is therefore never shorter than AGENT_RETURN_MS, however
// short the host-down grace is set: a grace shorter than the backoff paged agents that were only
// waiting for their next try, and after a restart of the server that is every agent it served.
// That grace counts from the first time AlertBot could hear again after the agent's silence began,
// not from the latest: a link that keeps dropping and coming back within it would otherwise put off
// a dead agent's page for good. An agent that goes away while AlertBot hears it gets the grace as set.

import { DEFAULT_BACKOFF, DEFAULT_CONNECT_TIMEOUT_MS } from "../util/backoff.js";
import { HOUR_MS } from "../util/duration.js";

/**
 * The longest a UDP or HTTP sender's own timeout holds its raise after AlertBot could hear again:
 * covers heartbeats; a raise scheduled a day ahead whose sender went unheard for a while late in it
 * fires this long after AlertBot is back at the latest, rather than a day after.
 */
export const SILENCE_HELD_MAX_MS = HOUR_MS;

/**
 * The least time an agent gets to be heard from after AlertBot could hear it again: a try that
 * timed out as the server came back, the agents' longest reconnection backoff step after it, and
 * time to log in and be greeted on a server every agent is logging in to at once.
 */
export const AGENT_RETURN_MS = DEFAULT_CONNECT_TIMEOUT_MS + DEFAULT_BACKOFF.maxDelayMs + 20_000;

/** Times AlertBot could hear agents again that it remembers: far more than a day of a flapping link. */
const RESUMES_KEPT = 4_096;

/** The grace an agent gets after AlertBot could hear it again: the host-down grace, at least AGENT_RETURN_MS. */
export function agentReturnGraceMs(graceMs: number): number {
  return Math.max(graceMs, AGENT_RETURN_MS);
}

/** A sender's account and since when AlertBot awaits word of it. */
export interface Unheard {
  readonly owner: string;
  readonly since: number;
}

/** Since when AlertBot could hear whom; pure bookkeeping, the bot core acts on it. */
export class Hearing {
  /** Before this AlertBot heard nobody (it was not running): -Infinity when it is not known to have missed anything. */
  private allFrom = -Infinity;
  /** Before this AlertBot heard no agent (its XMPP link was down). */
  private xmppFrom = -Infinity;
  private xmppDeaf = false;
  /** Nothing heard is kept (its database cannot be written): nobody's silence counts until `started`. */
  private allDeaf = false;
  /** Agents not heard from since AlertBot could hear them again, by account: since when (kept across reconnections). */
  private readonly awaited = new Map<string, number>();
  /** When AlertBot could last hear agents again (`listening`): each awaited agent gets a grace from it at least. */
  private listeningAt = -Infinity;
  /** Each time AlertBot could hear agents again after it could not, in order (at most RESUMES_KEPT). */
  private readonly resumes: number[] = [];
  /** Whether older times were let go of: a silence that began before the oldest kept is long judged. */
  private resumesDropped = false;
  /** Accounts whose presence AlertBot has heard while running: agents, whatever they publish. */
  private readonly present = new Set<string>();

  /** AlertBot starts now, or can keep what it hears again (its database): it heard nobody before. */
  started(now: number): void {
    // Its database back with the link up: agents are heard again now (at a start, at `listening`).
    if (!this.xmppDeaf && this.xmppFrom > -Infinity) this.resumed(now);
    this.allDeaf = false;
    this.allFrom = now;
    this.xmppFrom = Math.max(this.xmppFrom, now);
  }

  /**
   * AlertBot's process did not run until `now` (freeze-watch.ts): what its senders sent meanwhile
   * is still unread, so it heard nobody, as if it had not been running, though its links stayed up.
   */
  froze(now: number): void {
    if (!this.xmppDeaf && !this.allDeaf) this.resumed(now);
    this.allFrom = Math.max(this.allFrom, now);
    this.xmppFrom = Math.max(this.xmppFrom, now);
  }

  /** Updates cannot be kept (the database cannot be written): nobody is heard until `started`. */
  deafToAll(): void {
    this.allDeaf = true;
  }

  /** The XMPP link is down (or not up yet): no agent can be heard until `listening`. */
  deaf(): void {
    this.xmppDeaf = true;
  }

  /**
   * The XMPP link is up at `now`: each of `agents` (accounts that run a mauve-agent), and each
   * account whose presence was heard before, is to be heard from within the grace.
   */
  listening(now: number, agents: Iterable<string>): void {
    this.xmppDeaf = false;
    this.xmppFrom = now;
    this.listeningAt = now;
    this.resumed(now);
    // One still awaited from an earlier reconnection keeps its time: unheard while AlertBot could
    // hear it then, it is not owed a whole grace again at every reconnection.
    const owners = new Set([...agents, ...this.present]);
    for (const owner of this.awaited.keys()) if (!owners.has(owner)) this.awaited.delete(owner);
    for (const owner of owners) if (!this.awaited.has(owner)) this.awaited.set(owner, now);
  }

  /** Word of the agent `owner` (an update published live); true if it was awaited. */
  heard(owner: string): boolean {
    return this.awaited.delete(owner);
  }

  /** The presence of `owner` (available or not): it is an agent, and AlertBot knows where it stands. */
  presence(owner: string): void {
    this.present.add(owner);
    this.awaited.delete(owner);
  }

  /** Whether any agent is still awaited (a cheap test before looking an update's sender up). */
  get awaiting(): boolean {
    return this.awaited.size > 0;
  }

  /**
   * The earliest a scheduled raise may fire that its sender armed (its last update of the alert) at
   * `armedAt` for `dueAt`, or null when it may fire when due: the silence it stands for was all
   * heard. `agent` for a source an agent account speaks for (heard over XMPP, its node read again
   * at a reconnection). Infinity while the link is down.
   */
  raiseNotBefore(agent: boolean, armedAt: number, dueAt: number, graceMs: number): number | null {
    if (agent) return this.agentNotBefore(armedAt, graceMs);
    const from = this.hearingFrom(false);
    if (from === -Infinity || armedAt >= from) return null;
    return from + Math.max(graceMs, Math.min(dueAt - armedAt, SILENCE_HELD_MAX_MS));
  }

  /**
   * Whether a scheduled raise armed at `armedAt` may be held at all (raiseNotBefore not null for
   * some sender): false once AlertBot has heard every kind of sender since then without a break.
   * Cheap, so that the due path looks a raise's source up only when the answer depends on it: a
   * raise may be held up to an hour after every start (holdsUntil), and most that fall due then
   * were armed since.
   */
  mayHold(armedAt: number): boolean {
    // An agent's hearing starts no earlier than anyone's, and stops first.
    return armedAt < this.hearingFrom(true);
  }

  /** Whether no agent can be heard now (the link down, or nothing heard kept): none is judged. */
  get deafToAgents(): boolean {
    return this.hearingFrom(true) === Infinity;
  }

  /** Until when some scheduled raise may be held (raiseNotBefore), or null: until then it asks. */
  holdsUntil(graceMs: number): number | null {
    const agents = this.deafToAgents ? Infinity : (this.resumes.at(-1) ?? -Infinity) + agentReturnGraceMs(graceMs);
    const from = this.hearingFrom(false);
    if (agents === -Infinity && from === -Infinity) return null;
    return Math.max(agents, from + Math.max(graceMs, SILENCE_HELD_MAX_MS));
  }

  // Since when AlertBot hears such a sender without a break; Infinity while it cannot.
  private hearingFrom(agent: boolean): number {
    if (this.allDeaf) return Infinity;
    if (!agent) return this.allFrom;
    return this.xmppDeaf ? Infinity : Math.max(this.allFrom, this.xmppFrom);
  }

  /**
   * The agents not heard from within their grace (agentReturnGraceMs) by `now`, each down since it
   * was awaited; each stays awaited until `countedDown` says it is stored as down.
   */
  overdue(now: number, graceMs: number): Unheard[] {
    const due: Unheard[] = [];
    // Cut off again before the grace ran out: nobody is judged until the link is back (a new grace).
    if (this.xmppDeaf || this.allDeaf) return due;
    for (const [owner, since] of this.awaited) if (this.awaitedUntil(since, graceMs) <= now) due.push({ owner, since });
    return due;
  }

  /** An overdue agent is stored as down since `since`: no longer awaited (unless awaited anew since). */
  countedDown(owner: string, since: number): void {
    if (this.awaited.get(owner) === since) this.awaited.delete(owner);
  }

  /** When the next awaited agent runs out of its grace, or null. */
  nextAt(graceMs: number): number | null {
    let next: number | null = null;
    if (this.xmppDeaf || this.allDeaf) return next;
    for (const since of this.awaited.values()) {
      const at = this.awaitedUntil(since, graceMs);
      if (next === null || at < next) next = at;
    }
    return next;
  }

  // An agent awaited since `since`: its return grace from then, and the grace at least since the
  // latest reconnection (time to answer AlertBot's greeting).
  private awaitedUntil(since: number, graceMs: number): number {
    return Math.max(since + agentReturnGraceMs(graceMs), this.listeningAt + graceMs);
  }

  private resumed(now: number): void {
    if (this.resumes.at(-1) === now) return;
    this.resumes.push(now);
    if (this.resumes.length > RESUMES_KEPT) {
      this.resumes.shift();
      this.resumesDropped = true;
    }
  }

  /**
   * The earliest AlertBot may act on an agent's silence since `since` (its host-down alert, a raise
   * it armed then), or null when only the grace counts (AlertBot heard it all along since): the
   * return grace from the first time AlertBot could hear again after `since`, so an agent that left
   * as the server shut down gets as long to come back as one unheard. Infinity while no agent is heard.
   */
  agentNotBefore(since: number, graceMs: number): number | null {
    if (this.deafToAgents) return Infinity;
    // The first time past `since`, by bisection: a host-down check asks for every agent down.
    let lo = 0;
    for (let hi = this.resumes.length; lo < hi;) {
      const mid = (lo + hi) >>> 1;
      if (this.resumes[mid]! > since) hi = mid;
      else lo = mid + 1;
    }
    if (lo === this.resumes.length || (lo === 0 && this.resumesDropped)) return null;
    return this.resumes[lo]! + agentReturnGraceMs(graceMs);
  }
}
