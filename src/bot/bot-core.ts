import type { Clock } from "../clock/clock.js";
import type { AlertUpdate } from "../codec/types.js";
import type { AlertSemantics } from "../alerts/semantics.js";
import { ingestUpdate, type IngestOutcome, type UpdateOrigin } from "../ingest/ingest-update.js";
import { processDue } from "../ingest/process-due.js";
import type { Logger } from "../log.js";
import { pendingNotice } from "../policy/notice.js";
import { formatNotice } from "../notify/format-notice.js";
import type { Store } from "../store/store.js";
import { recognisePerson } from "../commands/person.js";
import { runCommand } from "../commands/run.js";
import { commandAlerts } from "./command-alerts.js";
import { DueTimer } from "./due-timer.js";
import { coalescingRunner } from "../util/coalescing-runner.js";

/** A person the bot may tell about alerts and take commands from. */
export interface Person {
  name: string;
  /** Bare JID. */
  jid: string;
}

/** How the core sends a chat line; the XMPP edge implements it. */
export interface ChatPort {
  /** Sends a chat message; resolves once handed to the server, rejects when it could not be. */
  send(toJid: string, body: string): Promise<void>;
}

/** Everything the core needs, injected. */
export interface BotCoreDeps {
  store: Store;
  clock: Clock;
  log: Logger;
  people: readonly Person[];
  chat: ChatPort;
  semantics?: AlertSemantics;
  /** How long an ack lasts when none is asked for, and the longest allowed (ms). */
  ackDefaultMs: number;
  ackMaxMs: number;
}

/**
 * The bot without its protocol edges: applies updates, runs what falls due, tells people.
 * Transport-agnostic so it can be driven by pubsub events, UDP packets or tests alike.
 */
export class BotCore {
  private readonly timer: DueTimer;
  private readonly runTick = coalescingRunner(async () => {
    await this.runDue();
    this.timer.rearm();
  });

  constructor(private readonly deps: BotCoreDeps) {
    this.timer = new DueTimer(deps.clock, () => deps.store.alerts.nextDue(), () => void this.tick());
  }

  /** Starts acting on what is due, including what fell due while the bot was down. */
  start(): Promise<void> {
    return this.tick();
  }

  /** Stops the due timer. */
  stop(): void {
    this.timer.stop();
  }

  /** Applies a decoded update and tells people what changed. */
  async applyUpdate(update: AlertUpdate, origin: UpdateOrigin): Promise<IngestOutcome> {
    const { store, clock, log, semantics } = this.deps;
    const outcome = ingestUpdate(store, update, origin, clock.now(), semantics);
    const fields = { source: update.source, transmissionId: update.transmissionId, via: origin.via };
    if (outcome.status === "rejected") log.warn("update rejected", { ...fields, reason: outcome.reason });
    else if (outcome.status === "stale") log.info("stale update ignored", { ...fields, sequence: outcome.sequence, lastSequence: outcome.lastSequence });
    else if (outcome.status === "duplicate") log.debug("duplicate update ignored", fields);
    else log.debug("update applied", { ...fields, changes: outcome.changes.length });
    if (outcome.status === "applied") await this.tick();
    return outcome;
  }

  /**
   * Answers a chat line. Strangers get a polite refusal and change nothing; an ack also
   * re-arms the due timer so the ack's expiry is scheduled.
   */
  async handleChat(fromJid: string, body: string): Promise<string | null> {
    const { people, log, clock, store } = this.deps;
    if (body.trim() === "") return null;
    const person = recognisePerson(people, fromJid);
    if (!person) {
      log.warn("command from a stranger refused", { from: fromJid, length: body.length });
      return "Sorry, I only take commands from the people in my configuration.";
    }
    const outcome = await runCommand(body, {
      person,
      now: clock.now(),
      ackDefaultMs: this.deps.ackDefaultMs,
      ackMaxMs: this.deps.ackMaxMs,
      alerts: commandAlerts(store),
    });
    if (!outcome.ok && outcome.kind === "failed") log.error("command failed", { from: fromJid, err: outcome.error });
    else log.info("command", { from: fromJid, command: outcome.command, ok: outcome.ok });
    this.timer.rearm();
    return outcome.reply;
  }

  /**
   * Runs everything due now: scheduled transitions, ack expiry, and notices owed. Ticks never overlap
   * (two at once could tell the same notice twice); a tick asked for during one runs right after it.
   */
  tick(): Promise<void> {
    return this.runTick();
  }

  private async runDue(): Promise<void> {
    const { store, clock, log } = this.deps;
    try {
      for (const change of processDue(store, clock.now())) await this.settle(change.alert.shortId);
    } catch (err) {
      log.error("processing due alerts failed", { err });
    }
  }

  /** Gives the notice an alert owes, if any, and records the outcome durably. */
  private async settle(shortId: number): Promise<void> {
    const { store, clock, people, chat, log } = this.deps;
    const alert = store.alerts.get(shortId);
    if (!alert) return;
    const now = clock.now();
    const decision = pendingNotice(alert, now);
    if (decision.notice) {
      const body = formatNotice(decision.notice);
      const told: string[] = [];
      const failed: string[] = [];
      await Promise.all(
        people.map(async (p) => {
          try {
            await chat.send(p.jid, body);
            told.push(p.name);
          } catch (err) {
            failed.push(p.name);
            log.warn("chat notice failed", { to: p.jid, shortId, err });
          }
        }),
      );
      store.alerts.record(shortId, [
        { kind: "notified", at: now, actor: "bot", detail: `${decision.notice.kind} told by chat to ${told.join(", ") || "nobody"}` },
        ...(failed.length ? [{ kind: "notify-failed" as const, at: now, actor: "bot", detail: `chat to ${failed.join(", ")}` }] : []),
      ]);
    }
    if (decision.notifiedAt !== undefined) {
      // Re-read: the alert may have changed while we were sending, and that change must not be lost.
      // A new raise episode that began meanwhile owes its own notice, so leave that one alone.
      const fresh = store.alerts.get(shortId);
      if (fresh && fresh.raisedAt === alert.raisedAt) store.alerts.save({ ...fresh, notifiedAt: decision.notifiedAt });
    }
  }
}
