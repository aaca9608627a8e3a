// Latency at a fixed moderate rate: probes spread evenly over the publishers, each one a single
// new alert, timed from the publish to the event, to the store and to the person's chat.
import { probeAlert, probeToken } from "./alert-shapes.js";
import type { Worker } from "./children.js";
import { hrMs, sleep } from "./hrtime.js";
import type { PersonClient } from "./person.js";
import type { PublishRecord, SimAgent } from "./sim-agent.js";
import { summarise, type LatencySummary } from "./stats.js";
import type { SubscriberTimings } from "./subscriber-worker.js";

/** The raw samples of one or more fixed-rate runs (ms), so rounds can be merged before percentiles. */
export interface LatencySamples {
  readonly rate: number;
  readonly sent: number;
  readonly confirm: number[];
  readonly event: number[];
  readonly stored: number[];
  readonly chat: number[];
  readonly missing: number;
  readonly raisedShortIds: number[];
  /** Bot: each chat line's way, per probe (see ChatLegs). */
  readonly chatLegs: ChatLeg[];
}

/** One chat line's way (ms): publish -> bot read the event -> stored -> notice written -> the person's client. */
export interface ChatLeg {
  readonly toBot: number;
  readonly toStored: number;
  readonly toNotice: number;
  readonly toPerson: number;
}

/**
 * Where publish->chat went, leg by leg (p50/p99 of each), and the legs of the slowest 1% of chat
 * lines averaged: what the chat p99 is made of.
 */
export interface ChatLegs {
  readonly toBot: LatencySummary;
  readonly toStored: LatencySummary;
  readonly toNotice: LatencySummary;
  readonly toPerson: LatencySummary;
  readonly slowest: ChatLeg & { readonly n: number };
}

/** Latencies of fixed-rate runs (ms); a summary is null when that path was not measured. */
export interface LatencyResult {
  readonly rate: number;
  readonly sent: number;
  readonly publishToConfirm: LatencySummary;
  /** Baseline: publish → item notification at the do-nothing subscriber. */
  readonly publishToEvent: LatencySummary | null;
  /** Bot: publish → the update's transaction committed. */
  readonly publishToStored: LatencySummary | null;
  /** Bot: publish → the person's client received the chat line. */
  readonly publishToChat: LatencySummary | null;
  /** Probes that never showed up where they were expected. */
  readonly missing: number;
  /** Short ids of the alerts the probes raised (read from the chat lines), for the ack phase. */
  readonly raisedShortIds: number[];
  /** Bot: publish->chat leg by leg (null for the baseline). */
  readonly chatLegs: ChatLegs | null;
}

/** Publishes `rate` probes a second for `durationMs`, round-robin over `agents`. */
export async function measureLatency(
  worker: Worker,
  agents: readonly SimAgent[],
  rate: number,
  durationMs: number,
  person?: PersonClient,
): Promise<LatencySamples> {
  const chat = new Map<string, number>();
  const raisedShortIds: number[] = [];
  const off = person?.onMessage((m) => {
    const token = probeToken(m.body);
    const id = /^RAISED #(\d+)/.exec(m.body)?.[1];
    if (token === undefined || id === undefined || chat.has(token)) return;
    chat.set(token, m.at);
    raisedShortIds.push(Number(id));
  });
  await worker.call("takeTimings"); // drop anything recorded before
  await worker.call("record", { on: true });

  const records = new Map<string, PublishRecord>(); // by probe token
  const chains = agents.map(() => Promise.resolve());
  const count = Math.round((rate * durationMs) / 1000);
  const start = hrMs();
  const runId = String(Date.now() % 1_000_000);
  for (let i = 0; i < count; i++) {
    const due = start + (i * 1000) / rate;
    const wait = due - hrMs();
    if (wait > 0) await sleep(wait);
    const k = i % agents.length;
    const agent = agents[k]!;
    const token = `${runId}${String(i).padStart(6, "0")}`;
    // One in flight per agent, as the agent's outbox does; at a moderate rate nothing queues here.
    chains[k] = chains[k]!.then(async () => {
      records.set(token, await agent.publish([probeAlert(token)]));
    });
  }
  await Promise.all(chains);
  // Give the slowest path (chat) time to arrive; at this rate it takes milliseconds.
  const settle = hrMs();
  while (person && chat.size < count && hrMs() - settle < 5_000) await sleep(50);
  await sleep(300);
  await worker.call("record", { on: false });
  const timings = await worker.call<SubscriberTimings>("takeTimings");
  off?.();

  const events = new Map(timings.events);
  const stored = new Map(timings.stored);
  const confirm: number[] = [];
  const toEvent: number[] = [];
  const toStored: number[] = [];
  const toChat: number[] = [];
  const chatLegs: ChatLeg[] = [];
  const notices = new Map(timings.notices);
  let missing = 0;
  for (const [token, r] of records) {
    if (!r.ok) {
      missing++;
      continue;
    }
    confirm.push(r.confirmedAt - r.sentAt);
    const e = events.get(r.transmissionId);
    const s = stored.get(r.transmissionId);
    const c = chat.get(token);
    if (e !== undefined) toEvent.push(e - r.sentAt);
    if (s !== undefined) toStored.push(s - r.sentAt);
    if (c !== undefined) toChat.push(c - r.sentAt);
    const n = notices.get(token);
    if (e !== undefined && s !== undefined && n !== undefined && c !== undefined)
      chatLegs.push({ toBot: e - r.sentAt, toStored: s - e, toNotice: n - s, toPerson: c - n });
    const expected = person ? c !== undefined && s !== undefined : e !== undefined;
    if (!expected) missing++;
  }
  return {
    rate,
    sent: records.size,
    confirm,
    event: toEvent,
    stored: toStored,
    chat: toChat,
    missing,
    raisedShortIds,
    chatLegs,
  };
}

/** Merges the samples of several rounds and summarises them. */
export function summariseLatency(rounds: readonly LatencySamples[]): LatencyResult {
  const all = (pick: (r: LatencySamples) => number[]): number[] => rounds.flatMap(pick);
  const maybe = (xs: number[]): LatencySummary | null => (xs.length > 0 ? summarise(xs) : null);
  return {
    rate: rounds[0]?.rate ?? NaN,
    sent: rounds.reduce((n, r) => n + r.sent, 0),
    publishToConfirm: summarise(all((r) => r.confirm)),
    publishToEvent: maybe(all((r) => r.event)),
    publishToStored: maybe(all((r) => r.stored)),
    publishToChat: maybe(all((r) => r.chat)),
    missing: rounds.reduce((n, r) => n + r.missing, 0),
    raisedShortIds: all((r) => r.raisedShortIds),
    chatLegs: summariseChatLegs(rounds.flatMap((r) => r.chatLegs)),
  };
}

/** Summarises chat legs (null when there are none: the baseline). */
export function summariseChatLegs(legs: readonly ChatLeg[]): ChatLegs | null {
  if (legs.length === 0) return null;
  const total = (l: ChatLeg): number => l.toBot + l.toStored + l.toNotice + l.toPerson;
  const slowest = [...legs].sort((a, b) => total(b) - total(a)).slice(0, Math.max(1, Math.ceil(legs.length / 100)));
  const mean = (pick: (l: ChatLeg) => number): number =>
    Math.round((slowest.reduce((s, l) => s + pick(l), 0) / slowest.length) * 100) / 100;
  return {
    toBot: summarise(legs.map((l) => l.toBot)),
    toStored: summarise(legs.map((l) => l.toStored)),
    toNotice: summarise(legs.map((l) => l.toNotice)),
    toPerson: summarise(legs.map((l) => l.toPerson)),
    slowest: {
      n: slowest.length,
      toBot: mean((l) => l.toBot),
      toStored: mean((l) => l.toStored),
      toNotice: mean((l) => l.toNotice),
      toPerson: mean((l) => l.toPerson),
    },
  };
}
