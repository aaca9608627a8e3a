// Child process: AlertBot under test, instrumented only through what it already exposes (its
// logger, its session's events), plus a baseline mode. In baseline mode the process is a do-nothing
// component subscriber: item notifications are counted and stamped as they arrive and never reach
// the bot, and the bot's audit feed is paused, so nothing of the bot loads Prosody. Switching mode
// is one message, which lets the benchmark alternate baseline and bot windows every few seconds on
// the same connection, subscriptions and nodes.
import { readFileSync } from "node:fs";
import { monitorEventLoopDelay } from "node:perf_hooks";
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
import { TurnBatch } from "../src/util/batching.js";
import { probeToken } from "./alert-shapes.js";
import { serve } from "./children.js";
import { measureStoreFloor } from "./store-floor.js";
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
  /** When each item notification was read (baseline and bot alike). */
  readonly events: Array<[string, number]>;
  readonly stored: Array<[string, number]>;
  /** Bot: when the RAISED notice of each latency probe was handed to the socket, by probe token. */
  readonly notices: Array<[string, number]>;
}

/** Where the acks' round trips went on the bot's side, since the last `takeAckTimings` (hrMs by short id). */
export interface AckTimings {
  /** When the bot read "ack N". */
  readonly in: Array<[string, number]>;
  /** When its answer naming #N had been taken by the socket ("send" event). */
  readonly out: Array<[string, number]>;
  /**
   * When the answer was handed to the socket, the bytes of earlier writes then still in the
   * socket's buffer and in the kernel's send queue, and the bot's CPU time since it read the ack.
   */
  readonly write: Array<
    [
      string,
      {
        at: number;
        queuedBytes: number;
        kernelTx: number;
        cpuMs: number;
        voluntarySwitches: number;
        involuntarySwitches: number;
      },
    ]
  >;
  /** Bytes received and not yet read by the bot when it read the ack. */
  readonly unreadBytesAtRead: Array<[string, number]>;
  /** TurnBatch runs (the ingest's chunks, sends finishing): how many, items, the three longest. */
  readonly runs: {
    readonly count: number;
    readonly items: number;
    readonly longest: BatchRun[];
    /** Runs that waited in a system call at least once (voluntary switches), and their total wall time. */
    readonly waitedInSyscall: number;
    readonly waitedInSyscallWallMs: number;
  };
  /** How long the bot's event loop was blocked (timer delay). */
  readonly loopDelayMs: { p50: number; p99: number; max: number };
}

const counters = { received: 0, applied: 0, duplicates: 0, rejected: 0, errors: 0, sentMessages: 0, sentIqs: 0 };
const sentPublishes: Record<string, number> = {};
let events = new Map<string, number>();
let notices = new Map<string, number>();
let stored = new Map<string, number>();
let recording = false;
let baselineMode = false;
// The no-audit experiment: the feed neither creates its nodes nor publishes.
let auditOff = false;
let bot: RunningBot | undefined;
let trickleTimer: NodeJS.Timeout | undefined;
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
// Inside the bot's leg: when the answer was handed to the socket (before the "send" event, which
// comes once the socket has taken it) and how many bytes of earlier writes still waited in the
// socket's own buffer then, i.e. what the answer queued behind in this process.
const ackWrite = new Map<string, AckTimings["write"][number][1]>();
// At each ack read: the bot's unread bytes in the kernel (what came in behind it) and its CPU time
// so far, so that the CPU it spent between reading and answering can be told from waiting for a core.
const ackRead = new Map<string, { unreadBytes: number; usage: Usage }>();
let botSocket: { writableLength?: number; localPort?: number } | null = null;
// How long the bot's event loop was blocked (a line that arrives meanwhile is read only after).
const loopDelay = monitorEventLoopDelay({ resolution: 5 });
// Every TurnBatch run (the ingest's chunks among them): how many items, and how long it held the
// event loop in wall time and in CPU time. Timed only while acks are (see takeAckTimings): two
// reads of the process's CPU and a read of /proc per run cost the bot about a tenth of its CPU,
// which the windows judging its CPU per update would have counted as the product's.
const drains: BatchRun[] = [];
let timingRuns = false;

/** One TurnBatch run: wall and CPU time, and the context switches in between. */
export interface BatchRun {
  readonly items: number;
  readonly wallMs: number;
  readonly cpuMs: number;
  /** Waits in a system call (an fsync of SQLite's WAL checkpoint, a disk read). */
  readonly voluntarySwitches: number;
  /** Preemptions: runnable, but another process had the core. */
  readonly involuntarySwitches: number;
}

/**
 * The process's CPU time (all threads: an upper bound for the event loop's) and the event loop
 * thread's own context switches (/proc/thread-self: the process-wide counts would include V8's
 * and libuv's helper threads, which sleep and wake all the time).
 */
interface Usage {
  readonly cpuUs: number;
  readonly voluntary: number;
  readonly involuntary: number;
}

function usage(): Usage {
  const c = process.cpuUsage();
  let voluntary = NaN;
  let involuntary = NaN;
  try {
    const status = readFileSync("/proc/thread-self/status", "utf8");
    voluntary = Number(/^voluntary_ctxt_switches:\s+(\d+)/m.exec(status)?.[1] ?? NaN);
    involuntary = Number(/^nonvoluntary_ctxt_switches:\s+(\d+)/m.exec(status)?.[1] ?? NaN);
  } catch {
    // Not Linux: the switches stay unknown.
  }
  return { cpuUs: c.user + c.system, voluntary, involuntary };
}

function offCpu(a: Usage, b: Usage): { cpuMs: number; voluntarySwitches: number; involuntarySwitches: number } {
  return {
    cpuMs: (b.cpuUs - a.cpuUs) / 1000,
    voluntarySwitches: b.voluntary - a.voluntary,
    involuntarySwitches: b.involuntary - a.involuntary,
  };
}
{
  const drain = TurnBatch.prototype.drain;
  TurnBatch.prototype.drain = function (this: TurnBatch<unknown>) {
    if (!timingRuns) return drain.call(this);
    const n = this.waiting;
    const t = hrMs();
    const before = usage();
    try {
      drain.call(this);
    } finally {
      const after = usage();
      if (n > 0)
        drains.push({
          items: n - this.waiting,
          wallMs: hrMs() - t,
          ...offCpu(before, after),
        });
    }
  };
}
// The kernel's queues of the bot's TCP socket to the server (Linux /proc/net/tcp): bytes written
// and not yet acknowledged by the server (what an answer queues behind after leaving the process),
// and bytes received and not yet read by the bot (its read backlog).
function tcpQueues(localPort: number | undefined): { tx: number; rx: number } | null {
  if (localPort === undefined) return null;
  const port = localPort.toString(16).toUpperCase().padStart(4, "0");
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n")) {
      const f = line.trim().split(/\s+/);
      if (f[1]?.endsWith(`:${port}`) && f[3] === "01") {
        const [tx, rx] = (f[4] ?? "0:0").split(":").map((h) => parseInt(h, 16));
        return { tx: tx ?? 0, rx: rx ?? 0 };
      }
    }
  }
  return null;
}
const ACK_ANSWER = /#(\d+) .*acknowledged/;
function stampAckIn(stanza: XmlElement): void {
  if (stanza.name !== "message") return;
  const id = /^ack (\d+)/.exec(stanza.getChildText("body") ?? "")?.[1];
  if (id !== undefined && !ackIn.has(id)) {
    ackIn.set(id, hrMs());
    ackRead.set(id, { unreadBytes: tcpQueues(botSocket?.localPort)?.rx ?? -1, usage: usage() });
  }
}

// Every stanza the session writes passes xmpp.js's "send" event: count what the bot asks of Prosody.
function countSent(el: XmlElement): void {
  if (el.name === "message") {
    counters.sentMessages++;
    const id = ACK_ANSWER.exec(el.getChildText("body") ?? "")?.[1];
    if (id !== undefined && !ackOut.has(id)) ackOut.set(id, hrMs());
  }
  if (el.name !== "iq") return;
  counters.sentIqs++;
  const node = el.getChild("pubsub")?.getChild("publish")?.attrs["node"];
  if (node === undefined) return;
  const key = node.startsWith("mauve/alerts/") ? "agent nodes" : node;
  sentPublishes[key] = (sentPublishes[key] ?? 0) + 1;
}

// Bot mode, while recording: when each item notification was read, before the bot sees it.
function stampEvents(stanza: XmlElement): void {
  const event = stanza.name === "message" ? stanza.getChild("event", NS_PUBSUB_EVENT) : undefined;
  for (const items of event?.getChildren("items", NS_PUBSUB_EVENT) ?? [])
    for (const item of items.getChildren("item", NS_PUBSUB_EVENT)) {
      const id = item.attrs["id"] ?? "";
      if (!events.has(id)) events.set(id, hrMs());
    }
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
    const raw = coreOf(bot.session).entity as unknown as {
      write: (s: string) => Promise<void>;
      socket: { writableLength?: number; localPort?: number } | null;
    };
    const write = raw.write.bind(raw);
    raw.write = (s: string) => {
      const id = s.startsWith("<message") ? ACK_ANSWER.exec(s)?.[1] : undefined;
      botSocket = raw.socket;
      if (recording && s.startsWith("<message") && s.includes("RAISED #")) {
        const token = probeToken(s);
        if (token !== undefined && !notices.has(token)) notices.set(token, hrMs());
      }
      if (id !== undefined && !ackWrite.has(id)) {
        const at = hrMs();
        const kernelTx = tcpQueues(raw.socket?.localPort)?.tx ?? -1;
        const read = ackRead.get(id)?.usage;
        const off = read ? offCpu(read, usage()) : { cpuMs: NaN, voluntarySwitches: NaN, involuntarySwitches: NaN };
        ackWrite.set(id, { at, queuedBytes: raw.socket?.writableLength ?? 0, kernelTx, ...off });
      }
      return write(s);
    };
    const emit = entity.emit.bind(entity);
    entity.emit = (event, ...rest) => {
      if (event !== "stanza") return emit(event, ...rest);
      if (baselineMode && takeAsBaseline(rest[0] as XmlElement)) return true;
      if (recording) stampEvents(rest[0] as XmlElement);
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

  /**
   * The store alone on the same work as `openAlerts` (bench/store-floor.ts), in this process, after
   * it: with values of the size the bot stored for the first alert it raised.
   */
  storeFloor(args: { count: number; perUpdate: number }) {
    if (!bot) throw new Error("storeFloor needs the bot");
    const first = bot.store.alerts.find("bulk0", "open-0");
    if (!first) throw new Error("storeFloor runs after openAlerts");
    const delivery = bot.store.policy.deliveriesOf(first.shortId).at(0);
    return measureStoreFloor(args.count, args.perUpdate, {
      escalation: bot.store.policy.escalationText(first.shortId),
      deliveryBody: delivery?.delivery ?? null,
    });
  },

  /** Once every notice started has its outcome: alerts raised, and notices still waiting to go now. */
  async notified() {
    if (!bot) throw new Error("notified needs the bot");
    await bot.core.idle();
    return { raised: bot.store.alerts.countRaised(), ready: bot.store.gauges.outbox(Date.now()).ready };
  },

  /**
   * When the bot read each "ack N" and wrote its answer (hrMs, by N), since the last call; with
   * `next`, the bot's runs and event loop are timed until the next call (else not at all).
   */
  takeAckTimings(args: { next?: boolean } = {}): AckTimings {
    const ms = (ns: number): number => Math.round(ns / 1e4) / 100;
    const longestRuns = [...drains]
      .sort((a, b) => b.wallMs - a.wallMs)
      .slice(0, 3)
      .map((r) => ({ ...r, wallMs: Math.round(r.wallMs), cpuMs: Math.round(r.cpuMs) }));
    const waited = drains.filter((r) => r.voluntarySwitches > 0);
    const result = {
      in: [...ackIn],
      out: [...ackOut],
      write: [...ackWrite],
      unreadBytesAtRead: [...ackRead].map(([id, r]) => [id, r.unreadBytes] as [string, number]),
      runs: {
        count: drains.length,
        items: drains.reduce((n, d) => n + d.items, 0),
        longest: longestRuns,
        waitedInSyscall: waited.length,
        waitedInSyscallWallMs: Math.round(waited.reduce((s, r) => s + r.wallMs, 0)),
      },
      loopDelayMs: { p50: ms(loopDelay.percentile(50)), p99: ms(loopDelay.percentile(99)), max: ms(loopDelay.max) },
    };
    ackIn.clear();
    ackOut.clear();
    ackWrite.clear();
    ackRead.clear();
    drains.length = 0;
    loopDelay.disable();
    loopDelay.reset();
    timingRuns = args.next === true;
    if (timingRuns) loopDelay.enable();
    return result;
  },

  counters: (): SubscriberCounters => ({ ...counters, sentPublishes: { ...sentPublishes } }),

  record(args: { on: boolean }) {
    recording = args.on;
    return recording;
  },

  takeTimings(): SubscriberTimings {
    const result = { events: [...events], stored: [...stored], notices: [...notices] };
    events = new Map();
    notices = new Map();
    stored = new Map();
    return result;
  },

  /**
   * Applies one small update every 1000/perSecond ms through the bot's own core, flipping ten
   * alerts of source "trickle" in turn, until called with 0: history keeps coming, as in a storm
   * that goes on. Returns the short ids of the first `raisedIds` raised alerts (to ack).
   */
  trickle(args: { perSecond: number; raisedIds?: number }) {
    if (!bot) throw new Error("trickle needs the bot");
    const running = bot;
    if (trickleTimer !== undefined) clearInterval(trickleTimer);
    trickleTimer = undefined;
    if (args.perSecond > 0) {
      let k = 0;
      trickleTimer = setInterval(() => {
        const nowSec = Math.floor(Date.now() / 1000);
        const state = Math.floor(k / 10) % 2 === 0 ? "raised" : "cleared";
        const alert = toWireAlert({ id: `trickle-${k % 10}`, state, summary: "still coming", importance: 60 }, nowSec);
        k++;
        running.core
          .applyUpdate(buildUpdate("trickle", [alert], { replace: false, nowSec, sequence: 0n }), { via: "udp" })
          .catch((err: unknown) => process.stderr.write(`trickle update failed: ${String(err)}\n`));
      }, 1000 / args.perSecond);
    }
    return running.store.alerts.page("raised", args.raisedIds ?? 0).alerts.map((a) => a.shortId);
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
