// Saturating load: every publisher publishes its next update as soon as the last one is confirmed
// (one in flight each, like the agent's outbox), and we count what the subscriber takes in.
import { readAuditLag, type AuditLag } from "./audit-lag.js";
import type { Worker } from "./children.js";
import type { SubscriberCounters } from "./subscriber-worker.js";
import { flipBatch } from "./alert-shapes.js";
import { hrMs, sleep } from "./hrtime.js";
import { ProcSampler, type ProcWindow } from "./proc-stats.js";
import type { SimAgent } from "./sim-agent.js";
import type { PersonClient } from "./person.js";

/** What one saturating run achieved over its measurement window. */
export interface ThroughputResult {
  /** Publishes Prosody confirmed, per second. */
  readonly confirmedPerSec: number;
  /** Item notifications that reached the subscriber, per second. */
  readonly receivedPerSec: number;
  /** Updates the subscriber finished with (for the bot: stored), per second. */
  readonly updatesPerSec: number;
  readonly alertsPerSec: number;
  /** Chat lines the person on call received, per second (bot only). */
  readonly chatPerSec: number | null;
  /** What the subscriber itself sent Prosody per second (the bot's chat, IQs and its own pubsub publishes by node). */
  readonly sentPerSec: { readonly messages: number; readonly iqs: number; readonly publishes: Record<string, number> };
  /** The bot's audit feed: history lines written and not yet published, when the window closed (null for the baseline). */
  readonly auditAtEnd: AuditLag | null;
  /** Confirmed but not yet applied when the window closed. */
  readonly backlogAtEnd: number;
  /** How long the subscriber took to catch up after the publishers stopped (ms). */
  readonly drainMs: number;
  readonly publishFailures: number;
  readonly prosody: ProcWindow;
  readonly subscriber: ProcWindow;
  /** The load generator (this process), for seeing how much of the 2 cores it took. */
  readonly generator: ProcWindow;
}

/** Sizes of a throughput run. */
export interface ThroughputPlan {
  /** Names the flip sequence to continue ("bot" or "baseline"). */
  readonly cycle: string;
  readonly warmMs: number;
  readonly measureMs: number;
  readonly batch: number;
  readonly drainTimeoutMs: number;
  /** Work to do while the bus is saturated (e.g. acks): the window lasts until it is done, measureMs at least. */
  readonly during?: () => Promise<unknown>;
}

// Alerts each publisher cycles through: small enough that open alerts stay bounded.
const POOL = 20;
// Where each agent is in its cycle, per subscriber kind, kept across windows: the bot sees an unbroken
// flip sequence even though baseline windows (which it never sees) come in between.
const counter = new Map<string, number>();

/** Runs the saturating load against whatever subscriber `worker` is (baseline or bot). */
export async function measureThroughput(
  worker: Worker,
  agents: readonly SimAgent[],
  prosodyPid: number,
  plan: ThroughputPlan,
  bot?: { readonly person: PersonClient; readonly database: string },
): Promise<ThroughputResult> {
  const person = bot?.person;
  const before = await worker.call<SubscriberCounters>("counters");
  let running = true;
  let confirmed = 0;
  let failures = 0;
  let firstFailure = "";
  const loops = agents.map(async (agent) => {
    const key = `${agent.source}/${plan.cycle}`;
    let k = counter.get(key) ?? 0;
    while (running) {
      const r = await agent.publish(flipBatch(k++, plan.batch, POOL));
      if (r.ok) confirmed++;
      else {
        failures++;
        firstFailure ||= r.condition ?? "?";
        await sleep(100); // a refusal storm must not spin
      }
    }
    counter.set(key, k);
  });
  await sleep(plan.warmMs);

  const samplers = [new ProcSampler(prosodyPid), new ProcSampler(worker.pid), new ProcSampler(process.pid)] as const;
  await Promise.all(samplers.map((s) => s.start()));
  const a = {
    counters: await worker.call<SubscriberCounters>("counters"),
    confirmed,
    chat: person?.received ?? 0,
    at: hrMs(),
  };
  await Promise.all([sleep(plan.measureMs), plan.during?.()]);
  const b = {
    counters: await worker.call<SubscriberCounters>("counters"),
    confirmed,
    chat: person?.received ?? 0,
    at: hrMs(),
  };
  const [prosody, subscriber, generator] = await Promise.all(samplers.map((s) => s.stop()));
  const auditAtEnd = bot ? readAuditLag(bot.database) : null;
  running = false;
  await Promise.all(loops);

  const total = confirmed;
  const drainStart = hrMs();
  let after = await worker.call<SubscriberCounters>("counters");
  while (after.applied - before.applied < total && hrMs() - drainStart < plan.drainTimeoutMs) {
    await sleep(100);
    after = await worker.call<SubscriberCounters>("counters");
  }
  if (failures > 0) process.stderr.write(`bench: ${failures} publishes failed, first: ${firstFailure}\n`);
  const secs = (b.at - a.at) / 1000;
  const updatesPerSec = (b.counters.applied - a.counters.applied) / secs;
  return {
    confirmedPerSec: (b.confirmed - a.confirmed) / secs,
    receivedPerSec: (b.counters.received - a.counters.received) / secs,
    updatesPerSec,
    alertsPerSec: updatesPerSec * plan.batch,
    chatPerSec: person ? (b.chat - a.chat) / secs : null,
    sentPerSec: {
      messages: (b.counters.sentMessages - a.counters.sentMessages) / secs,
      iqs: (b.counters.sentIqs - a.counters.sentIqs) / secs,
      publishes: Object.fromEntries(
        Object.entries(b.counters.sentPublishes).map(([node, count]) => [
          node,
          (count - (a.counters.sentPublishes[node] ?? 0)) / secs,
        ]),
      ),
    },
    auditAtEnd,
    backlogAtEnd: b.confirmed - (b.counters.applied - before.applied),
    drainMs: hrMs() - drainStart,
    publishFailures: failures,
    prosody: prosody!,
    subscriber: subscriber!,
    generator: generator!,
  };
}
