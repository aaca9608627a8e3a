// Many agents at once: each a real c2s session with its own account and node, provisioned through
// the bot like the real agent, then heartbeating; Prosody's memory per connection and the bot's
// backlog (publishes Prosody confirmed minus updates the bot stored) over time.
import { readAuditLag } from "./audit-lag.js";
import type { Worker } from "./children.js";
import type { BenchContext } from "./context.js";
import { DEFAULT_BACKOFF, backoffDelay } from "../src/util/backoff.js";
import { hrMs, sleep } from "./hrtime.js";
import { forEachLimited } from "./pool.js";
import { ProcSampler, readProc, type ProcWindow } from "./proc-stats.js";
import { QuietLog, SimAgent, type PublishRecord } from "./sim-agent.js";
import { SERVER_NAMES } from "./server.js";
import { slope, summarise, type LatencySummary } from "./stats.js";
import type { SubscriberCounters } from "./subscriber-worker.js";

/** One sample of the scale phase's time series. */
export interface ScaleSample {
  /** Seconds since the phase started. */
  readonly t: number;
  readonly stage: "connect" | "setup" | "heartbeat";
  readonly connected: number;
  readonly ready: number;
  /** Publishes Prosody confirmed so far (full states and heartbeats). */
  readonly confirmed: number;
  /** Updates the bot stored so far. */
  readonly applied: number;
  readonly backlog: number;
  /** IQs the bot has sent Prosody so far (subscribe, items, provisioning, its own publishes). */
  readonly botIqs: number;
  /** History lines the bot's audit feed has not published yet. */
  readonly auditUnpublished: number;
  readonly botRssMb: number;
  readonly prosodyRssMb: number;
}

/** What the scale phase reached. */
export interface ScaleResult {
  readonly agents: number;
  readonly connected: number;
  readonly ready: number;
  readonly loginFailures: number;
  /** Logins tried again after a failure (at most LOGIN_ATTEMPTS in all per agent), as the real agent does. */
  readonly loginRetries: number;
  readonly setupFailures: number;
  /** Node set-ups tried again after a failure, as the real agent does (see SimAgent.ensureNode). */
  readonly nodeRetries: number;
  readonly firstError: string;
  readonly connectSeconds: number;
  readonly login: LatencySummary;
  readonly setupSeconds: number;
  /** Per agent: presence, disco, node provisioned by the bot, full state confirmed. */
  readonly setup: LatencySummary;
  readonly prosodyRssBeforeMb: number;
  readonly prosodyRssConnectedMb: number;
  readonly prosodyRssReadyMb: number;
  readonly prosodyKbPerConnection: number;
  readonly prosodyKbPerNode: number;
  readonly heartbeatMs: number;
  /** Heartbeats per second all agents together send. */
  readonly heartbeatRate: number;
  readonly steady: {
    readonly seconds: number;
    readonly confirmedPerSec: number;
    readonly appliedPerSec: number;
    readonly backlogStart: number;
    readonly backlogEnd: number;
    readonly backlogMax: number;
    /** Least-squares trend of the backlog while heartbeating, updates per second (≈0: keeping up). */
    readonly backlogSlopePerSec: number;
    readonly growing: boolean;
    readonly publishFailures: number;
    /** IQs per second the bot sent Prosody meanwhile: work it asks of Prosody beyond the heartbeats. */
    readonly botIqsPerSec: number;
    /** The audit feed's unpublished history lines at the start and end of the window. */
    readonly auditUnpublishedStart: number;
    readonly auditUnpublishedEnd: number;
    readonly prosody: ProcWindow;
    readonly bot: ProcWindow;
  };
  readonly botRssEndMb: number;
  readonly series: ScaleSample[];
}

const CONNECT_CONCURRENCY = 64;
const LOGIN_ATTEMPTS = 3;
const SETUP_CONCURRENCY = 32;
const SAMPLE_EVERY_MS = 5_000;

/** Usernames of the scale phase's agents. */
export function scaleAccounts(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `a${String(i).padStart(5, "0")}`);
}

/** Runs the scale phase against the (fresh) bot behind `bot`; `prosodyPid` is the current Prosody. */
export async function measureScale(
  ctx: BenchContext,
  bot: Worker,
  database: string,
  prosodyPid: number,
): Promise<ScaleResult> {
  const { agents: n, heartbeatMs, observeMs, scaleSetupBudgetMs } = ctx.sizes;
  const names = scaleAccounts(n);
  const log = new QuietLog();
  const sims: SimAgent[] = [];
  const ready: SimAgent[] = [];
  const logins: number[] = [];
  const setups: number[] = [];
  const series: ScaleSample[] = [];
  let loginFailures = 0;
  let loginRetries = 0;
  let setupFailures = 0;
  let firstError = "";
  let confirmed = 0;
  let publishFailures = 0;
  let stage: ScaleSample["stage"] = "connect";
  const offset = (await bot.call<SubscriberCounters>("counters")).applied; // the bot's own catch-up at start
  const onPublish = (r: PublishRecord): void => {
    if (r.ok) confirmed++;
    else {
      publishFailures++;
      firstError ||= `publish: ${r.condition}`;
    }
  };
  const t0 = hrMs();
  const sample = async (): Promise<ScaleSample> => {
    const [c, b, p] = await Promise.all([
      bot.call<SubscriberCounters>("counters"),
      readProc(bot.pid),
      readProc(prosodyPid),
    ]);
    const applied = c.applied - offset;
    const s: ScaleSample = {
      t: Math.round((hrMs() - t0) / 100) / 10,
      stage,
      connected: sims.length,
      ready: ready.length,
      confirmed,
      applied,
      backlog: confirmed - applied,
      botIqs: c.sentIqs,
      auditUnpublished: readAuditLag(database).unpublished,
      botRssMb: b?.rssMb ?? NaN,
      prosodyRssMb: p?.rssMb ?? NaN,
    };
    series.push(s);
    return s;
  };
  const ticker = setInterval(() => {
    void sample().then((s) =>
      ctx.progress(
        `  t=${s.t}s ${s.stage}: ${s.connected} connected, ${s.ready} ready, backlog ${s.backlog}, audit lag ${s.auditUnpublished}, ${SERVER_NAMES[ctx.server.kind]} ${s.prosodyRssMb.toFixed(0)} MB, bot ${s.botRssMb.toFixed(0)} MB`,
      ),
    );
  }, SAMPLE_EVERY_MS);

  try {
    const deadline = t0 + scaleSetupBudgetMs;
    const prosodyRssBeforeMb = (await readProc(prosodyPid))?.rssMb ?? NaN;
    await forEachLimited(names, CONNECT_CONCURRENCY, deadline, async (name) => {
      // As the real agent (retryUntilConnected): a login that fails is tried again after a backoff;
      // the login time counted is the attempt that succeeded.
      for (let attempt = 0; ; attempt++) {
        try {
          const sim = await SimAgent.connect(name, ctx.target, log);
          sims.push(sim);
          logins.push(sim.loginMs);
          return;
        } catch (err) {
          firstError ||= `login ${name}: ${describeError(err)}`;
          if (attempt + 1 >= LOGIN_ATTEMPTS) {
            loginFailures++;
            return;
          }
          loginRetries++;
          await sleep(backoffDelay(attempt, DEFAULT_BACKOFF));
        }
      }
    });
    const connectSeconds = (hrMs() - t0) / 1000;
    await sleep(1_000); // let Prosody settle after the burst before reading its memory
    const prosodyRssConnectedMb = (await readProc(prosodyPid))?.rssMb ?? NaN;
    ctx.progress(`  ${sims.length} of ${n} agents logged in in ${connectSeconds.toFixed(1)} s`);

    stage = "setup";
    const setupStart = hrMs();
    await forEachLimited([...sims], SETUP_CONCURRENCY, deadline, async (sim) => {
      const s0 = hrMs();
      try {
        await sim.announce(!ctx.experiments.has("no-first-contact-resync"));
        if (!(await sim.ensureNode())) throw new Error(`no node (${log.first.at(-1) ?? "?"})`);
        const full = await sim.publish([sim.heartbeatAlert(heartbeatMs)], true);
        onPublish(full);
        if (!full.ok) throw new Error(`full state refused: ${full.condition}`);
        ready.push(sim);
        setups.push(hrMs() - s0);
      } catch (err) {
        setupFailures++;
        firstError ||= `setup ${sim.source}: ${err instanceof Error ? err.message : String(err)}`;
      }
    });
    const setupSeconds = (hrMs() - setupStart) / 1000;
    await sleep(1_000);
    const prosodyRssReadyMb = (await readProc(prosodyPid))?.rssMb ?? NaN;
    ctx.progress(`  ${ready.length} agents have their node and sent their full state, in ${setupSeconds.toFixed(1)} s`);

    stage = "heartbeat";
    for (const sim of ready) sim.startHeartbeat(heartbeatMs, Math.random() * heartbeatMs, onPublish);
    const samplers = [new ProcSampler(prosodyPid, 1_000), new ProcSampler(bot.pid, 1_000)] as const;
    await Promise.all(samplers.map((s) => s.start()));
    const first = await sample();
    const steadyStart = hrMs();
    const points: Array<[number, number]> = [[0, first.backlog]];
    while (hrMs() - steadyStart < observeMs) {
      await sleep(Math.min(SAMPLE_EVERY_MS, observeMs - (hrMs() - steadyStart)));
      const s = await sample();
      points.push([(hrMs() - steadyStart) / 1000, s.backlog]);
    }
    const last = series.at(-1)!;
    const [prosody, botWindow] = await Promise.all(samplers.map((s) => s.stop()));
    const seconds = (hrMs() - steadyStart) / 1000;
    const heartbeatRate = (ready.length * 1000) / heartbeatMs;
    const backlogSlopePerSec = slope(points);
    const backlogs = points.map(([, b]) => b);
    // Growing: a clear upward trend that left more waiting than two seconds of heartbeats.
    const growing =
      backlogSlopePerSec > Math.max(0.5, 0.02 * heartbeatRate) &&
      last.backlog > first.backlog + Math.max(20, 2 * heartbeatRate);
    return {
      agents: n,
      connected: sims.length,
      ready: ready.length,
      loginFailures,
      loginRetries,
      setupFailures,
      nodeRetries: sims.reduce((sum, sim) => sum + sim.nodeRetries, 0),
      firstError: firstError || log.first[0] || "",
      connectSeconds,
      login: summarise(logins),
      setupSeconds,
      setup: summarise(setups),
      prosodyRssBeforeMb,
      prosodyRssConnectedMb,
      prosodyRssReadyMb,
      prosodyKbPerConnection:
        sims.length > 0 ? ((prosodyRssConnectedMb - prosodyRssBeforeMb) * 1024) / sims.length : NaN,
      prosodyKbPerNode: ready.length > 0 ? ((prosodyRssReadyMb - prosodyRssConnectedMb) * 1024) / ready.length : NaN,
      heartbeatMs,
      heartbeatRate,
      steady: {
        seconds,
        confirmedPerSec: (last.confirmed - first.confirmed) / seconds,
        appliedPerSec: (last.applied - first.applied) / seconds,
        backlogStart: first.backlog,
        backlogEnd: last.backlog,
        backlogMax: Math.max(...backlogs),
        backlogSlopePerSec,
        growing,
        publishFailures,
        botIqsPerSec: (last.botIqs - first.botIqs) / seconds,
        auditUnpublishedStart: first.auditUnpublished,
        auditUnpublishedEnd: last.auditUnpublished,
        prosody: prosody!,
        bot: botWindow!,
      },
      botRssEndMb: last.botRssMb,
      series,
    };
  } finally {
    clearInterval(ticker);
    ctx.progress(`  stopping ${sims.length} agents`);
    await forEachLimited([...sims], 256, Infinity, (sim) => sim.stop());
  }
}

/** An error in a line: some (a SASL failure, a stream error) carry their meaning only in name or condition. */
function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const condition = (err as { condition?: unknown }).condition;
  return [err.name, typeof condition === "string" ? condition : "", err.message].filter(Boolean).join(": ");
}
