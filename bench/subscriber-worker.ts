// Child process: AlertBot under test, instrumented only through what it already exposes (its
// logger, its session's events), plus a baseline mode. In baseline mode the process is a do-nothing
// component subscriber: item notifications are counted and stamped as they arrive and never reach
// the bot, and the bot's audit feed is paused, so nothing of the bot loads Prosody. Switching mode
// is one message, which lets the benchmark alternate baseline and bot windows every few seconds on
// the same connection, subscriptions and nodes.
import { buildUpdate, toWireAlert } from "../src/codec/build-update.js";
import { AuditFeed } from "../src/bot/audit-feed.js";
import { runBot, type RunningBot } from "../src/bot/run-bot.js";
import { systemClock } from "../src/clock/clock.js";
import { loadBotConfig } from "../src/config/bot-config.js";
import { createLogger, type Logger } from "../src/log.js";
import { NS_PUBSUB_EVENT } from "../src/xmpp/namespaces.js";
import { createPubsub } from "../src/xmpp/pubsub.js";
import { coreOf } from "../src/xmpp/session.js";
import type { XmlElement } from "../src/xmpp/xml.js";
import { serve } from "./children.js";
import { hrMs, sleep, waitUntil } from "./hrtime.js";

/** What the subscriber has seen so far. */
export interface SubscriberCounters {
  /** Item notifications that reached the process. */
  readonly received: number;
  /** Updates finished with: stored by the bot, or (baseline mode) counted on arrival. */
  readonly applied: number;
  readonly duplicates: number;
  readonly rejected: number;
  /** Error-level log lines of the bot (should stay 0). */
  readonly errors: number;
  /** What the bot sent Prosody: messages (chat), IQs, and of those the pubsub publishes by node ("agent nodes" together). */
  readonly sentMessages: number;
  readonly sentIqs: number;
  readonly sentPublishes: Record<string, number>;
}

/** Timestamps (hrMs) by transmission id, taken since the last `takeTimings`. */
export interface SubscriberTimings {
  readonly events: Array<[string, number]>;
  readonly stored: Array<[string, number]>;
}

const counters = { received: 0, applied: 0, duplicates: 0, rejected: 0, errors: 0, sentMessages: 0, sentIqs: 0 };
const sentPublishes: Record<string, number> = {};
let events = new Map<string, number>();
let stored = new Map<string, number>();
let recording = false;
let baselineMode = false;
// The no-audit experiment: the feed neither creates its nodes nor publishes.
let auditOff = false;
let bot: RunningBot | undefined;
const feeds: AuditFeed[] = [];

// The bot logs "update applied" right after the transaction that stored the update committed:
// the moment a publish is "stored". Everything else of interest is counted; info and above
// go to stderr (the worker's log file) as the bot would write them.
function instrumentedLogger(): Logger {
  const out = createLogger({ level: "info" });
  const note = (level: "debug" | "info" | "warn" | "error", msg: string, fields?: Record<string, unknown>): void => {
    if (msg === "update applied") {
      counters.applied++;
      if (recording) stored.set(String(fields?.["transmissionId"]), hrMs());
      return;
    }
    if (msg === "duplicate update ignored") counters.duplicates++;
    else if (msg === "update rejected" || msg === "item rejected") counters.rejected++;
    if (level === "error") counters.errors++;
    if (level !== "debug") out[level](msg, fields);
  };
  const logger: Logger = {
    debug: (m, f) => note("debug", m, f),
    info: (m, f) => note("info", m, f),
    warn: (m, f) => note("warn", m, f),
    error: (m, f) => note("error", m, f),
    child: () => logger,
  };
  return logger;
}

// Where an ack's round trip goes: when the bot read "ack N" and when it wrote its answer naming #N.
const ackIn = new Map<string, number>();
const ackOut = new Map<string, number>();
function stampAckIn(stanza: XmlElement): void {
  if (stanza.name !== "message") return;
  const id = /^ack (\d+)/.exec(stanza.getChildText("body") ?? "")?.[1];
  if (id !== undefined && !ackIn.has(id)) ackIn.set(id, hrMs());
}

// Every stanza the session writes passes xmpp.js's "send" event: count what the bot asks of Prosody.
function countSent(el: XmlElement): void {
  if (el.name === "message") {
    counters.sentMessages++;
    const id = /#(\d+) .*acknowledged/.exec(el.getChildText("body") ?? "")?.[1];
    if (id !== undefined && !ackOut.has(id)) ackOut.set(id, hrMs());
  }
  if (el.name !== "iq") return;
  counters.sentIqs++;
  const node = el.getChild("pubsub")?.getChild("publish")?.attrs["node"];
  if (node === undefined) return;
  const key = node.startsWith("mauve/alerts/") ? "agent nodes" : node;
  sentPublishes[key] = (sentPublishes[key] ?? 0) + 1;
}

// Baseline mode: an item notification is taken before any listener of the session sees it.
function takeAsBaseline(stanza: XmlElement): boolean {
  const event = stanza.name === "message" ? stanza.getChild("event", NS_PUBSUB_EVENT) : undefined;
  if (!event) return false;
  for (const items of event.getChildren("items", NS_PUBSUB_EVENT)) {
    for (const item of items.getChildren("item", NS_PUBSUB_EVENT)) {
      counters.received++;
      counters.applied++;
      if (recording) events.set(item.attrs["id"] ?? "", hrMs());
    }
  }
  return true;
}

// The audit feed publishes history to Prosody in the background; in baseline mode it must not.
function pausableAuditFeed(): void {
  const start = AuditFeed.prototype.start;
  const flush = AuditFeed.prototype.flush;
  AuditFeed.prototype.start = function (this: AuditFeed) {
    feeds.push(this);
    return auditOff ? Promise.resolve() : start.call(this);
  };
  AuditFeed.prototype.flush = function (this: AuditFeed) {
    return baselineMode || auditOff ? Promise.resolve() : flush.call(this);
  };
}

serve({
  async startBot(args: { yaml: string; env: Record<string, string>; noAudit: boolean }) {
    auditOff = args.noAudit;
    pausableAuditFeed();
    const config = loadBotConfig(args.yaml, { file: "bench-alertbot.yaml", env: args.env });
    bot = await runBot(config, systemClock, instrumentedLogger());
    const entity = coreOf(bot.session).entity as unknown as {
      emit: (event: string, ...args: unknown[]) => boolean;
      on: (e: string, f: (el: XmlElement) => void) => void;
    };
    entity.on("send", countSent);
    const emit = entity.emit.bind(entity);
    entity.emit = (event, ...rest) => {
      if (event !== "stanza") return emit(event, ...rest);
      if (baselineMode && takeAsBaseline(rest[0] as XmlElement)) return true;
      stampAckIn(rest[0] as XmlElement);
      return emit(event, ...rest);
    };
    createPubsub(bot.session).onEvent(() => {
      counters.received++;
    });
    return true;
  },

  /** Switches between the bot and the baseline; resolves once the bot's background work has settled. */
  async mode(args: { baseline: boolean }) {
    baselineMode = args.baseline;
    if (!bot) throw new Error("mode needs the bot");
    if (baselineMode) {
      // Notices under way go out, and a flush of the audit feed already running finishes.
      await bot.core.idle();
      await waitUntil(() => feeds.every((f) => !(f as unknown as { busy: boolean }).busy), 30_000);
      await sleep(200);
    }
    return baselineMode;
  },

  /** Deletes nodes as the bot (a pubsub admin), so that a later bot does not catch up on their items. */
  async deleteNodesAsBot(args: { nodes: string[]; service: string }) {
    if (!bot) throw new Error("deleteNodesAsBot needs the bot");
    const pubsub = createPubsub(bot.session);
    for (const node of args.nodes) await pubsub.deleteNode(args.service, node);
    return args.nodes.length;
  },

  /**
   * Raises `count` alerts through the bot's own core (as UDP updates would arrive), `perUpdate`
   * per update from sources bulk0, bulk1, ..., and reports how long applying took at the start and the end
   * (a cost per update that grows with the number of open alerts would show here).
   */
  async openAlerts(args: { count: number; perUpdate: number }) {
    if (!bot) throw new Error("openAlerts needs the bot");
    const updates = Math.ceil(args.count / args.perUpdate);
    const perUpdateMs: number[] = [];
    const t0 = hrMs();
    for (let s = 0; s < updates; s++) {
      const nowSec = Math.floor(Date.now() / 1000);
      const n = Math.min(args.perUpdate, args.count - s * args.perUpdate);
      const alerts = Array.from({ length: n }, (_, j) =>
        toWireAlert(
          {
            id: `open-${j}`,
            state: "raised",
            subject: `bulk host ${s}`,
            summary: `synthetic open alert ${j} of bulk${s}`,
            importance: 60,
          },
          nowSec,
        ),
      );
      const t = hrMs();
      await bot.core.applyUpdate(buildUpdate(`bulk${s}`, alerts, { replace: false, nowSec, sequence: 0n }), {
        via: "udp",
      });
      perUpdateMs.push(hrMs() - t);
      // Let the chat sends of the last updates finish, as a bot fed at a real pace would.
      if (s % 10 === 9) await bot.core.idle();
    }
    await bot.core.idle();
    const tenth = Math.max(1, Math.floor(updates / 10));
    const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
    return {
      seconds: (hrMs() - t0) / 1000,
      raised: bot.store.alerts.countRaised(),
      firstTenthMsPerUpdate: mean(perUpdateMs.slice(0, tenth)),
      lastTenthMsPerUpdate: mean(perUpdateMs.slice(-tenth)),
    };
  },

  /** Once every notice started has its outcome: alerts raised, and notices still waiting to go now. */
  async notified() {
    if (!bot) throw new Error("notified needs the bot");
    await bot.core.idle();
    return { raised: bot.store.alerts.countRaised(), ready: bot.store.gauges.outbox(Date.now()).ready };
  },

  /** When the bot read each "ack N" and wrote its answer (hrMs, by N), since the last call. */
  takeAckTimings() {
    const result = { in: [...ackIn], out: [...ackOut] };
    ackIn.clear();
    ackOut.clear();
    return result;
  },

  counters: (): SubscriberCounters => ({ ...counters, sentPublishes: { ...sentPublishes } }),

  record(args: { on: boolean }) {
    recording = args.on;
    return recording;
  },

  takeTimings(): SubscriberTimings {
    const result = { events: [...events], stored: [...stored] };
    events = new Map();
    stored = new Map();
    return result;
  },

  /** Collects garbage when the worker runs with --expose-gc, then reports the heap. */
  memory() {
    (globalThis as { gc?: () => void }).gc?.();
    return process.memoryUsage();
  },

  async stop() {
    if (bot) await bot.stop();
    return true;
  },
});
