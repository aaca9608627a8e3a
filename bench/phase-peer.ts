// Prometheus Alertmanager and AlertBot side by side on the same work, in the same run: one alert to
// its notification, a burst of distinct alerts until every one is notified (or digested), and the
// memory each holds with many open alerts. Alertmanager keeps alerts in memory; AlertBot writes
// every change to disk before it tells anyone.
import { join } from "node:path";
import { toWireAlert } from "../src/codec/build-update.js";
import { probeAlert, probeToken } from "./alert-shapes.js";
import { startAlertmanager, type AlertmanagerHandle, type PostableAlert } from "../alertmanager/launcher.js";
import { peerRouting, WebhookSink } from "./alertmanager.js";
import { ON_CALL } from "./bot-config.js";
import { startBotWorker } from "./bot-worker.js";
import type { Worker } from "./children.js";
import { BENCH_PASSWORD, type BenchContext } from "./context.js";
import { hrMs, sleep } from "./hrtime.js";
import { publisherAccounts } from "./phase-compare.js";
import { SETTLE_MS, type OpenAlertsResult } from "./phase-open-alerts.js";
import { openAlertsPhase } from "./phases.js";
import { nextLine, Person } from "./person.js";
import { forEachLimited } from "./pool.js";
import { readProc } from "./proc-stats.js";
import { QuietLog, SimAgent } from "./sim-agent.js";
import { ratio, summarise, type LatencySummary } from "./stats.js";

/** One side's burst: how long until every alert was notified, and the process's peak memory. */
export interface PeerBurst {
  readonly alerts: number;
  readonly seconds: number;
  /** Alerts that never got their notification (or digest) within the timeout. */
  readonly missing: number;
  readonly peakRssMb: number;
  /** Webhook calls (Alertmanager) or chat lines (AlertBot) it took. */
  readonly notifications: number;
}

/** Everything the peer phase measured; ratios are AlertBot over Alertmanager (below 1: we are ahead). */
export interface PeerResult {
  readonly alertmanager: string;
  readonly single: {
    readonly count: number;
    readonly alertmanager: LatencySummary;
    readonly bot: LatencySummary;
    readonly missing: { readonly alertmanager: number; readonly bot: number };
  };
  readonly burst: { readonly alertmanager: PeerBurst; readonly bot: PeerBurst };
  readonly open: {
    readonly count: number;
    readonly alertmanagerRssMb: number;
    /** How fast Alertmanager took them in (in memory), in 1,000-alert requests. */
    readonly alertmanagerIngestPerSec: number;
    readonly botRssMb: number;
    readonly botAppliedPerSec: number;
  };
  readonly ratios: {
    readonly singleP50: number;
    readonly singleP99: number;
    readonly burstSeconds: number;
    readonly burstPeakRss: number;
    readonly openRss: number;
  };
}

const SINGLE_TIMEOUT_MS = 5_000;
const SINGLE_PACE_MS = 20;
const BURST_PER_REQUEST = 100;
const BURST_IN_FLIGHT = 10;
const BURST_TIMEOUT_MS = 300_000;
const OPEN_PER_REQUEST = 1_000;

/** Sizes: issue 17's in the default mode; a tenth (or less) in quick mode. */
function sizes(ctx: BenchContext): { single: number; burst: number; open: number } {
  return ctx.sizes.mode === "quick"
    ? { single: 50, burst: 2_000, open: ctx.sizes.openAlerts }
    : { single: 200, burst: 10_000, open: ctx.sizes.openAlerts };
}

/** Runs the peer phase; `openAlerts` is the open-alerts phase's result when it ran (else measured here). */
export async function peerPhase(ctx: BenchContext, openAlerts: OpenAlertsResult | null): Promise<PeerResult> {
  const n = sizes(ctx);
  ctx.progress(
    `peer: Alertmanager and AlertBot: ${n.single} single alerts, a burst of ${n.burst.toLocaleString("en-US")}, ${n.open.toLocaleString("en-US")} open`,
  );
  const sink = await WebhookSink.start();
  let am: AlertmanagerHandle | undefined;
  try {
    am = await startAlertmanager({
      runDir: join(ctx.workDir, "alertmanager-1"),
      config: peerRouting(sink.url),
      logLevel: "warn",
    });
    const version = am.version;
    const amSingle = await alertmanagerSingles(am, sink, n.single);
    ctx.progress(`  Alertmanager one alert -> webhook: p50 ${amSingle.latency.p50} ms, p99 ${amSingle.latency.p99} ms`);
    const amBurst = await alertmanagerBurst(am, sink, n.burst);
    ctx.progress(
      `  Alertmanager ${n.burst} alerts notified in ${amBurst.seconds.toFixed(2)} s, peak RSS ${amBurst.peakRssMb.toFixed(1)} MB`,
    );
    await am.stop();
    am = await startAlertmanager({
      runDir: join(ctx.workDir, "alertmanager-2"),
      config: peerRouting(sink.url),
      logLevel: "warn",
    });
    const amOpen = await alertmanagerOpen(am, n.open);
    ctx.progress(
      `  Alertmanager RSS ${amOpen.rssMb.toFixed(1)} MB with ${n.open} open alerts (${amOpen.perSec.toFixed(0)} alerts/s in)`,
    );
    await am.stop();
    am = undefined;

    const ours = await botSide(ctx, n);
    ctx.progress(
      `  AlertBot one alert -> chat: p50 ${ours.single.latency.p50} ms, p99 ${ours.single.latency.p99} ms; ${n.burst} alerts told in ${ours.burst.seconds.toFixed(2)} s, peak RSS ${ours.burst.peakRssMb.toFixed(1)} MB`,
    );
    const open = openAlerts ?? (await openAlertsPhase(ctx, { people: false })).openAlerts!;
    return {
      alertmanager: version,
      single: {
        count: n.single,
        alertmanager: amSingle.latency,
        bot: ours.single.latency,
        missing: { alertmanager: amSingle.missing, bot: ours.single.missing },
      },
      burst: { alertmanager: amBurst, bot: ours.burst },
      open: {
        count: n.open,
        alertmanagerRssMb: amOpen.rssMb,
        alertmanagerIngestPerSec: amOpen.perSec,
        botRssMb: open.rssAfterMb,
        botAppliedPerSec: open.raised / open.seconds,
      },
      ratios: {
        singleP50: ratio(ours.single.latency.p50, amSingle.latency.p50),
        singleP99: ratio(ours.single.latency.p99, amSingle.latency.p99),
        burstSeconds: ratio(ours.burst.seconds, amBurst.seconds),
        burstPeakRss: ratio(ours.burst.peakRssMb, amBurst.peakRssMb),
        openRss: ratio(open.rssAfterMb, amOpen.rssMb),
      },
    };
  } finally {
    await am?.stop();
    await sink.close();
  }
}

async function alertmanagerSingles(
  am: AlertmanagerHandle,
  sink: WebhookSink,
  count: number,
): Promise<{ latency: LatencySummary; missing: number }> {
  const samples: number[] = [];
  let missing = 0;
  for (let i = 0; i < count; i++) {
    const id = `single-${i}`;
    const sentAt = hrMs();
    await am.post([{ labels: { alertname: "probe", id } }]);
    if (await sink.until(() => sink.arrived.has(id), SINGLE_TIMEOUT_MS)) samples.push(sink.arrived.get(id)! - sentAt);
    else missing++;
    await sleep(SINGLE_PACE_MS);
  }
  return { latency: summarise(samples), missing };
}

async function alertmanagerBurst(am: AlertmanagerHandle, sink: WebhookSink, count: number): Promise<PeerBurst> {
  const requests = Array.from({ length: Math.ceil(count / BURST_PER_REQUEST) }, (_, r) =>
    Array.from({ length: Math.min(BURST_PER_REQUEST, count - r * BURST_PER_REQUEST) }, (_, j): PostableAlert => ({
      labels: { alertname: "bulk", id: `bulk-${r * BURST_PER_REQUEST + j}` },
      annotations: { summary: `synthetic alert ${j} of batch ${r}` },
    })),
  );
  const isBulk = (): number => [...sink.arrived.keys()].filter((k) => k.startsWith("bulk-")).length;
  const calls0 = sink.calls;
  const t0 = hrMs();
  await forEachLimited(requests, BURST_IN_FLIGHT, Infinity, (alerts) => am.post(alerts));
  let told = 0;
  await sink.until(() => (told = isBulk()) >= count, BURST_TIMEOUT_MS);
  const seconds = (hrMs() - t0) / 1000;
  return {
    alerts: count,
    seconds,
    missing: count - told,
    peakRssMb: (await readProc(am.pid))?.peakRssMb ?? NaN,
    notifications: sink.calls - calls0,
  };
}

async function alertmanagerOpen(am: AlertmanagerHandle, count: number): Promise<{ rssMb: number; perSec: number }> {
  const t0 = hrMs();
  for (let first = 0; first < count; first += OPEN_PER_REQUEST) {
    const n = Math.min(OPEN_PER_REQUEST, count - first);
    await am.post(
      Array.from({ length: n }, (_, j) => ({
        labels: { alertname: "open", hold: "yes", id: `open-${first + j}` },
        annotations: { summary: `synthetic open alert ${first + j}` },
      })),
    );
  }
  const perSec = count / ((hrMs() - t0) / 1000);
  await sleep(SETTLE_MS); // its first notification of the group goes out, and the heap settles
  return { rssMb: (await readProc(am.pid))?.rssMb ?? NaN, perSec };
}

/** AlertBot on the same work: a fresh bot, a person on call, publishers speaking the agent's protocol. */
async function botSide(
  ctx: BenchContext,
  n: { single: number; burst: number },
): Promise<{ single: { latency: LatencySummary; missing: number }; burst: PeerBurst }> {
  const { prosody } = ctx.server;
  const bot = await startBotWorker(ctx, "bot-peer");
  const log = new QuietLog();
  let publishers: SimAgent[] = [];
  const alice = await Person.login({
    service: ctx.target.service,
    domain: prosody.domain,
    name: ON_CALL,
    password: BENCH_PASSWORD,
  });
  try {
    publishers = await Promise.all(
      publisherAccounts(Math.min(BURST_IN_FLIGHT, ctx.sizes.publishers)).map((a) =>
        SimAgent.connect(a, ctx.target, log),
      ),
    );
    for (const p of publishers) {
      await p.announce(true);
      if (!(await p.ensureNode())) throw new Error(`the bot did not provision ${p.node}: ${log.first.join("; ")}`);
    }
    const single = await botSingles(alice, publishers[0]!, n.single);
    const burst = await botBurst(bot.worker, alice, publishers, n.burst);
    await bot.worker.call(
      "deleteNodesAsBot",
      { nodes: publishers.map((p) => p.node), service: prosody.pubsubJid },
      60_000,
    );
    return { single, burst };
  } finally {
    await Promise.all([...publishers, alice].map((p) => p.stop()));
    await bot.worker.stop();
  }
}

async function botSingles(
  alice: Person,
  agent: SimAgent,
  count: number,
): Promise<{ latency: LatencySummary; missing: number }> {
  const samples: number[] = [];
  let missing = 0;
  const runId = String(Date.now() % 1_000_000);
  for (let i = 0; i < count; i++) {
    const token = `${runId}${String(i).padStart(6, "0")}`;
    const told = nextLine(alice, (m) => probeToken(m.body) === token, SINGLE_TIMEOUT_MS).then((m) => m?.at);
    const sentAt = hrMs();
    const r = await agent.publish([probeAlert(token)]);
    const at = await told;
    if (r.ok && at !== undefined) samples.push(at - sentAt);
    else missing++;
    await sleep(SINGLE_PACE_MS);
  }
  return { latency: summarise(samples), missing };
}

async function botBurst(
  worker: Worker,
  alice: Person,
  publishers: readonly SimAgent[],
  count: number,
): Promise<PeerBurst> {
  const before = await worker.call<{ raised: number; ready: number }>("notified");
  const chat0 = alice.received;
  const updates = Math.ceil(count / BURST_PER_REQUEST);
  const nowSec = Math.floor(Date.now() / 1000);
  const t0 = hrMs();
  await forEachLimited(
    publishers.map((_, k) => k),
    publishers.length,
    Infinity,
    async (k) => {
      for (let u = k; u < updates; u += publishers.length) {
        const n = Math.min(BURST_PER_REQUEST, count - u * BURST_PER_REQUEST);
        const alerts = Array.from({ length: n }, (_, j) =>
          toWireAlert(
            {
              id: `bulk-${u * BURST_PER_REQUEST + j}`,
              state: "raised",
              summary: `synthetic alert ${j} of batch ${u}`,
              importance: 60,
            },
            nowSec,
          ),
        );
        const r = await publishers[k]!.publish(alerts);
        if (!r.ok) throw new Error(`burst publish refused: ${r.condition}`);
      }
    },
  );
  // Told: every alert stored as raised and no notice left waiting to go, twice in a row (a notice
  // planned by a tick still running is not in the outbox yet the first time).
  let raised = 0;
  let settledTwice = 0;
  const deadline = hrMs() + BURST_TIMEOUT_MS;
  let doneAt = NaN;
  while (hrMs() < deadline) {
    const s = await worker.call<{ raised: number; ready: number }>("notified", {}, BURST_TIMEOUT_MS);
    raised = s.raised - before.raised;
    if (raised >= count && s.ready === 0) {
      if (settledTwice++ === 0) doneAt = hrMs();
      if (settledTwice >= 2) break;
    } else settledTwice = 0;
    await sleep(50);
  }
  return {
    alerts: count,
    seconds: (doneAt - t0) / 1000,
    missing: Math.max(0, count - raised),
    peakRssMb: (await readProc(worker.pid))?.peakRssMb ?? NaN,
    notifications: alice.received - chat0,
  };
}
