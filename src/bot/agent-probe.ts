// Whether an agent that looks online still answers. An agent that dies without closing its stream
// (SIGKILL, out of memory, its host powered off) keeps its presence: the server holds its session
// for XEP-0198 resumption (Prosody's smacks_hibernation_time, 600 s by default; ejabberd's
// resume_timeout, 300 s) and says it left only then, so its host-down page came that much later
// than host_down.grace. AlertBot pings each agent it believes online (XEP-0199, to its full JID): a
// hibernated session queues the ping and nothing answers. Two unanswered in a row, while AlertBot's
// own server answers, count the agent as gone since the first of them. An agent sends its presence
// to AlertBot when its session starts, not again when AlertBot restarts: which full JID each agent
// was last online as is kept (bot_state), so the agents that stayed online through a restart are
// pinged too.
import type { Clock, TimerHandle } from "../clock/clock.js";
import type { Logger } from "../log.js";
import { MINUTE_MS } from "../util/duration.js";
import type { StateSlot } from "../util/state-slot.js";
import { bareJid } from "../xmpp/jid.js";
import type { PingOutcome } from "../xmpp/ping.js";

/** Where AlertBot keeps which full JID each agent was last online as (bot_state). */
export const AGENTS_ONLINE_KEY = "agents-online";
/** Unanswered pings in a row that count an agent as gone: one lost ping is not an outage. */
export const PROBE_MISSES = 2;
/** The longest a ping is waited for: an agent on a loaded host may answer slowly. */
const PROBE_TIMEOUT_MAX_MS = 30_000;
/** While probing is off (host_down.probe: false), how often the setting is looked at again. */
const OFF_RECHECK_MS = MINUTE_MS;
/** How long a change to which agents are online waits to be stored, with those after it. */
const SAVE_DELAY_MS = 1_000;

/** How long each ping waits: half the period, at most 30 s. */
export function probeTimeoutMs(everyMs: number): number {
  return Math.min(Math.floor(everyMs / 2), PROBE_TIMEOUT_MAX_MS);
}

interface Watched {
  timer: TimerHandle | null;
  /** When the first of the pings unanswered in a row was sent. */
  firstMissAt: number | null;
  misses: number;
  /** Counted as gone (and told so) until it answers, or its presence is heard again. */
  gone: boolean;
}

/** Its unanswered pings so far count for nothing: an answer, or fresh word of it, came. */
function forgetMisses(watched: Watched): void {
  watched.misses = 0;
  watched.firstMissAt = null;
}

export interface AgentProbeDeps {
  readonly clock: Clock;
  readonly log: Logger;
  /** The period (host_down.probe), read at each ping; null while probing is off. */
  readonly everyMs: () => number | null;
  /** Pings `jid` (an agent's full JID), waiting at most `timeoutMs`. */
  readonly ping: (jid: string, timeoutMs: number) => Promise<PingOutcome>;
  /** Pings AlertBot's own server: an agent's silence says nothing while the server is silent too. */
  readonly pingServer: (timeoutMs: number) => Promise<PingOutcome>;
  /** `jid` left its pings unanswered since `since`: its sources count as down from then. */
  readonly gone: (jid: string, since: number) => Promise<void>;
  /** `jid`, counted gone, answers again. */
  readonly back: (jid: string) => Promise<void>;
  /** Whether the account `bare` (a bare JID) still runs an agent AlertBot knows. */
  readonly isAgent: (bare: string) => boolean;
  /** Which full JID each agent was last online as, across restarts (a JSON object by bare JID). */
  readonly remembered?: StateSlot;
  /** Where in the first period each agent's pings fall (spreads a fleet's pings over it). */
  readonly random?: () => number;
}

/** Pings each agent believed online, each on its own timer, and says which stopped answering. */
export class AgentProbe {
  private readonly watched = new Map<string, Watched>();
  /** Full JID by bare JID: each agent as last online. */
  private readonly lastOnline: Map<string, string>;
  private saveTimer: TimerHandle | null = null;
  private stopped = false;

  constructor(private readonly deps: AgentProbeDeps) {
    this.lastOnline = this.load();
  }

  /** The agent `jid` (a full JID) is online by its presence: probed from now on; fresh word of it. */
  seen(jid: string): void {
    if (this.stopped) return;
    this.remember(jid);
    const known = this.watched.get(jid);
    if (known) {
      known.gone = false;
      forgetMisses(known);
      return;
    }
    this.watch(jid);
  }

  /** The agent `jid` left (its presence said so, or its server answered for it): no longer probed. */
  left(jid: string): void {
    this.watched.get(jid)?.timer?.cancel();
    this.watched.delete(jid);
    if (this.lastOnline.get(bareJid(jid)) === jid) {
      this.lastOnline.delete(bareJid(jid));
      this.save();
    }
  }

  /**
   * AlertBot's link is up (at start, or back): each agent last online is probed again, whether or
   * not it says so (its presence went to AlertBot when its own session started).
   */
  online(): void {
    if (this.stopped) return;
    let forgot = false;
    for (const [bare, jid] of this.lastOnline) {
      if (!this.deps.isAgent(bare)) {
        this.lastOnline.delete(bare);
        forgot = true;
      } else if (!this.watched.has(jid)) this.watch(jid);
    }
    if (forgot) this.save();
  }

  /**
   * AlertBot's own link is down: nothing it hears now says anything about an agent, and nothing
   * counted so far stands. Probing starts again at `online()`.
   */
  offline(): void {
    for (const watched of this.watched.values()) watched.timer?.cancel();
    this.watched.clear();
  }

  stop(): void {
    this.stopped = true;
    this.offline();
    if (this.saveTimer === null) return;
    this.saveTimer.cancel();
    this.saveTimer = null;
    this.saveNow();
  }

  /** How many agents are probed. */
  get size(): number {
    return this.watched.size;
  }

  private watch(jid: string): void {
    const watched: Watched = { timer: null, firstMissAt: null, misses: 0, gone: false };
    this.watched.set(jid, watched);
    const everyMs = this.deps.everyMs() ?? OFF_RECHECK_MS;
    this.schedule(jid, watched, Math.floor((this.deps.random ?? Math.random)() * everyMs));
  }

  private remember(jid: string): void {
    const bare = bareJid(jid);
    if (this.lastOnline.get(bare) === jid) return;
    this.lastOnline.set(bare, jid);
    this.save();
  }

  private load(): Map<string, string> {
    const saved = this.deps.remembered?.load();
    if (saved === undefined) return new Map();
    try {
      const parsed: unknown = JSON.parse(saved);
      if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new Error("not an object");
      return new Map(Object.entries(parsed).filter((e): e is [string, string] => typeof e[1] === "string"));
    } catch (err) {
      this.deps.log.warn("cannot read which agents were online; they are pinged once they next say so", { err });
      return new Map();
    }
  }

  // A fleet coming online at once is stored once, not once per agent.
  private save(): void {
    if (this.saveTimer !== null || this.stopped) return;
    this.saveTimer = this.deps.clock.setTimer(SAVE_DELAY_MS, () => {
      this.saveTimer = null;
      this.saveNow();
    });
  }

  private saveNow(): void {
    try {
      this.deps.remembered?.save(JSON.stringify(Object.fromEntries(this.lastOnline)));
    } catch (err) {
      // The database cannot be written (its own alarm says so): kept in memory meanwhile.
      this.deps.log.warn("cannot store which agents are online", { err });
    }
  }

  private schedule(jid: string, watched: Watched, delayMs: number): void {
    watched.timer = this.deps.clock.setTimer(delayMs, () => {
      watched.timer = null;
      this.probe(jid, watched).catch((err: unknown) =>
        this.deps.log.error("cannot act on an agent's answer to a ping", { agent: jid, err }),
      );
    });
  }

  private async probe(jid: string, watched: Watched): Promise<void> {
    const { clock, log } = this.deps;
    const setting = this.deps.everyMs();
    // Off, an agent counted gone is still pinged until it answers: pings counted it, and only an
    // answer (or its presence) clears it.
    if (setting === null && !watched.gone) return this.again(jid, watched, OFF_RECHECK_MS);
    const everyMs = setting ?? OFF_RECHECK_MS;
    const timeoutMs = probeTimeoutMs(everyMs);
    const sentAt = clock.now();
    const outcome = await this.deps.ping(jid, timeoutMs);
    if (!this.current(jid, watched)) return;
    if (outcome === "answered") {
      forgetMisses(watched);
      if (watched.gone) {
        watched.gone = false;
        log.info("agent answers pings again", { agent: jid });
        await this.deps.back(jid);
      }
    } else if (outcome === "no-answer" && !watched.gone) {
      watched.misses++;
      watched.firstMissAt ??= sentAt;
      if (watched.misses >= PROBE_MISSES) await this.judge(jid, watched, timeoutMs);
    } else if (outcome === "unavailable") {
      // An error in answer: the server answered for a session that is gone (its presence says so,
      // or AlertBot's hearing counts it), or the agent does not do pings. Neither is silence, and
      // pinging it on says nothing more: it is probed again once its presence is heard.
      log.debug("an agent's ping was answered with an error; no longer pinged", { agent: jid });
      this.left(jid);
      return;
    }
    this.again(jid, watched, Math.max(0, sentAt + everyMs - clock.now()));
  }

  /** Two pings unanswered: the agent counts as gone if AlertBot's own server answers now. */
  private async judge(jid: string, watched: Watched, timeoutMs: number): Promise<void> {
    const { clock, log } = this.deps;
    const server = await this.deps.pingServer(timeoutMs);
    if (!this.current(jid, watched)) return;
    const since = watched.firstMissAt ?? clock.now();
    if (server !== "answered") {
      // The server itself is slow or gone: what was not answered says nothing of the agent.
      log.info("an agent did not answer pings, nor did AlertBot's server: not counted", { agent: jid, server });
      forgetMisses(watched);
      return;
    }
    watched.gone = true;
    log.warn("agent does not answer pings; counted as gone", {
      agent: jid,
      unansweredPings: watched.misses,
      sinceMs: clock.now() - since,
      why: "its process or host died or hangs without closing its stream: the server keeps its session (XEP-0198 resumption) and says it left only when that ends, or never",
    });
    await this.deps.gone(jid, since);
  }

  private again(jid: string, watched: Watched, delayMs: number): void {
    if (this.current(jid, watched)) this.schedule(jid, watched, delayMs);
  }

  // Left, or forgotten with AlertBot's link, while a ping was out: its answer is stale.
  private current(jid: string, watched: Watched): boolean {
    return !this.stopped && this.watched.get(jid) === watched;
  }
}
