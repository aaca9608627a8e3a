// The soak (issue 17 item 5, not in CI): many simulated agents heartbeating for an hour, some of
// them flapping an alert, people acknowledging what they are told; the bot's memory, its SQLite
// file and WAL, and its CPU sampled every minute, and a verdict on whether anything keeps growing.
import { stat } from "node:fs/promises";
import { toWireAlert } from "../src/codec/build-update.js";
import { ACKERS, ON_CALL } from "./bot-config.js";
import { readTableRows } from "./audit-lag.js";
import { startBotWorker } from "./bot-worker.js";
import { BENCH_PASSWORD, type BenchContext } from "./context.js";
import { hrMs, sleep } from "./hrtime.js";
import { Person } from "./person.js";
import { scaleAccounts } from "./phase-scale.js";
import { forEachLimited } from "./pool.js";
import { cpuPercent, readProc, type ProcReading } from "./proc-stats.js";
import { QuietLog, SimAgent, type PublishRecord } from "./sim-agent.js";
import { slope } from "./stats.js";
import type { SubscriberCounters } from "./subscriber-worker.js";

/** One minute of the soak. */
export interface SoakSample {
  readonly minute: number;
  readonly botRssMb: number;
  /** The bot's mean CPU over the minute before, percent of one core. */
  readonly botCpuPercent: number;
  readonly prosodyRssMb: number;
  readonly prosodyCpuPercent: number;
  readonly dbMb: number;
  readonly walMb: number;
  /** Publishes Prosody confirmed minus updates the bot stored. */
  readonly backlog: number;
  /** Rows of the tables that grow with traffic: where the file's growth goes. */
  readonly rows: Record<string, number>;
}

/** One series' trend over the soak, after the first minute (start-up). */
export interface SoakTrend {
  readonly name: string;
  readonly unit: string;
  readonly first: number;
  readonly last: number;
  readonly max: number;
  readonly slopePerHour: number;
  readonly growing: boolean;
}

/** What the soak saw. */
export interface SoakResult {
  readonly minutes: number;
  readonly agents: number;
  readonly ready: number;
  readonly heartbeatMs: number;
  readonly flappers: number;
  readonly flapMs: number;
  readonly published: number;
  readonly publishFailures: number;
  readonly acksSent: number;
  readonly acksAnswered: number;
  readonly samples: SoakSample[];
  readonly trends: SoakTrend[];
  /** Rows added per hour to each table that grows with traffic (over the judged minutes). */
  readonly rowsPerHour: Record<string, number>;
  readonly growing: boolean;
  /** Short retention windows the bot ran with (--soak-retention), null: as shipped. */
  readonly retention: SoakRetention | null;
  /** The first minute the trends and rows per hour are judged from (after start-up and, with short windows, after they filled). */
  readonly judgedFromMinute: number;
}

/** The bot's retention windows in a soak run with short ones, in ms. */
export interface SoakRetention {
  readonly historyMs: number;
  readonly transmissionsMs: number;
  readonly quietDigestEveryMs: number;
  readonly everyMs: number;
}

const CONNECT_CONCURRENCY = 64;
const SETUP_CONCURRENCY = 32;
const SAMPLE_EVERY_MS = 60_000;
/** A twentieth of the agents flap one alert, raised and cleared in turn. */
const FLAPPING_SHARE = 0.05;
const FLAP_MS = 20_000;
/** People acknowledge one of the alerts they were told about this often (well under the command rate limit). */
const ACK_EVERY_MS = 3_000;
/**
 * A series grows without bound when its trend after start-up would add more than this share of its
 * mean per hour; memory and files of a process that has reached its working set move less.
 */
const GROWTH_PER_HOUR_LIMIT = 0.1;
/** How long the set-up's full states may take to be applied before the backlog is counted, and how often to look. */
const SETTLE_MAX_MS = 60_000;
const SETTLE_POLL_MS = 250;

/** The backlog grows when its trend adds more than this many updates per hour. */
const BACKLOG_PER_HOUR_LIMIT = 600;

/** How often the soak's bot prunes when its windows are short (the shipped default too). */
const SHORT_RETENTION_EVERY_MS = 60_000;

/**
 * Runs the soak for `minutes`; with `retentionMs`, the bot keeps history, transmissions and sends
 * (the quiet digest's look-back) only that long, so its file can level off within the run, and the
 * trends are judged from when those windows have filled (plus a pruning pass and a minute).
 */
export async function soakPhase(ctx: BenchContext, minutes: number, retentionMs: number | null): Promise<SoakResult> {
  const { agents: n, heartbeatMs } = ctx.sizes;
  const retention: SoakRetention | null =
    retentionMs === null
      ? null
      : {
          historyMs: retentionMs,
          transmissionsMs: retentionMs,
          quietDigestEveryMs: retentionMs,
          everyMs: SHORT_RETENTION_EVERY_MS,
        };
  const judgedFromMinute = retention ? Math.ceil((retention.historyMs + retention.everyMs) / SAMPLE_EVERY_MS) + 1 : 2;
  ctx.progress(
    `soak: ${n.toLocaleString("en-US")} agents heartbeating every ${heartbeatMs / 1000} s for ${minutes} min, a flapping subset, people acking${retention ? `; short retention windows of ${retentionMs! / 60_000} min, judged from minute ${judgedFromMinute}` : ""}`,
  );
  await ctx.server.prosody.restart();
  const prosodyPid = await ctx.server.pid();
  const seconds = (ms: number): string => `${Math.round(ms / 1000)}s`;
  const bot = await startBotWorker(
    ctx,
    "bot-soak",
    [],
    retention
      ? `retention:\n  history: ${seconds(retention.historyMs)}\n  transmissions: ${seconds(retention.transmissionsMs)}\n  every: ${seconds(retention.everyMs)}\n`
      : "",
    retention ? seconds(retention.quietDigestEveryMs) : undefined,
  );
  const log = new QuietLog();
  const sims: SimAgent[] = [];
  const ready: SimAgent[] = [];
  const people: Person[] = [];
  const timers: NodeJS.Timeout[] = [];
  let published = 0;
  let publishFailures = 0;
  const onPublish = (r: PublishRecord): void => {
    if (r.ok) published++;
    else publishFailures++;
  };
  try {
    for (const name of [ON_CALL, ...ACKERS])
      people.push(
        await Person.login({
          service: ctx.target.service,
          domain: ctx.server.prosody.domain,
          name,
          password: BENCH_PASSWORD,
        }),
      );
    await forEachLimited(scaleAccounts(n), CONNECT_CONCURRENCY, Infinity, async (name) => {
      try {
        sims.push(await SimAgent.connect(name, ctx.target, log));
      } catch {
        // Counted below as not ready.
      }
    });
    await forEachLimited([...sims], SETUP_CONCURRENCY, Infinity, async (sim) => {
      try {
        await sim.announce(true);
        if (!(await sim.ensureNode())) return;
        const full = await sim.publish([sim.heartbeatAlert(heartbeatMs)], true);
        onPublish(full);
        if (full.ok) ready.push(sim);
      } catch {
        // Counted as not ready.
      }
    });
    ctx.progress(`  ${ready.length} of ${n} agents ready`);
    // The backlog is counted from here: the bot first applies the full states the set-up published
    // (live events wait while it adopts new agents' nodes), else they would count as a negative backlog.
    const settleBy = hrMs() + SETTLE_MAX_MS;
    while ((await bot.worker.call<SubscriberCounters>("counters")).applied < published && hrMs() < settleBy)
      await sleep(SETTLE_POLL_MS);

    // Heartbeats, flapping, and acks of what alice is told about the flapping alerts.
    for (const sim of ready) sim.startHeartbeat(heartbeatMs, Math.random() * heartbeatMs, onPublish);
    const flappers = ready.slice(0, Math.max(1, Math.round(ready.length * FLAPPING_SHARE)));
    flappers.forEach((sim, i) => {
      let up = false;
      const flap = (): void => {
        up = !up;
        const alert = toWireAlert(
          { id: "flap", state: up ? "raised" : "cleared", summary: `flapping check of ${sim.source}`, importance: 60 },
          Math.floor(Date.now() / 1000),
        );
        void sim.publish([alert]).then(onPublish);
      };
      const start = setTimeout(
        () => {
          flap();
          timers.push(setInterval(flap, FLAP_MS));
        },
        (i * FLAP_MS) / flappers.length,
      );
      timers.push(start);
    });
    const told: number[] = [];
    people[0]!.onMessage((m) => {
      for (const id of m.body.matchAll(/#(\d+)/g)) told.push(Number(id[1]));
      if (told.length > 1_000) told.splice(0, told.length - 1_000);
    });
    let acksSent = 0;
    let acksAnswered = 0;
    const ackers = people.slice(1);
    for (const p of ackers) p.onMessage(() => acksAnswered++);
    timers.push(
      setInterval(() => {
        const id = told.pop();
        if (id === undefined) return;
        acksSent++;
        void ackers[acksSent % ackers.length]!.say(ctx.server.prosody.botJid, `ack ${id}`).catch(() => undefined);
      }, ACK_EVERY_MS),
    );

    const offset = (await bot.worker.call<SubscriberCounters>("counters")).applied - published;
    const samples: SoakSample[] = [];
    let prev: { bot: ProcReading | undefined; prosody: ProcReading | undefined } = {
      bot: await readProc(bot.worker.pid),
      prosody: await readProc(prosodyPid),
    };
    const t0 = hrMs();
    for (let minute = 1; minute <= minutes; minute++) {
      await sleep(Math.max(0, t0 + minute * SAMPLE_EVERY_MS - hrMs()));
      const [b, p, c, db, wal] = await Promise.all([
        readProc(bot.worker.pid),
        readProc(prosodyPid),
        bot.worker.call<SubscriberCounters>("counters"),
        stat(bot.database).then(
          (s) => s.size,
          () => NaN,
        ),
        stat(`${bot.database}-wal`).then(
          (s) => s.size,
          () => 0,
        ),
      ]);
      const s: SoakSample = {
        minute,
        botRssMb: b?.rssMb ?? NaN,
        botCpuPercent: prev.bot && b ? cpuPercent(prev.bot, b) : NaN,
        prosodyRssMb: p?.rssMb ?? NaN,
        prosodyCpuPercent: prev.prosody && p ? cpuPercent(prev.prosody, p) : NaN,
        dbMb: db / 1024 / 1024,
        walMb: wal / 1024 / 1024,
        backlog: published - (c.applied - offset),
        rows: readTableRows(bot.database),
      };
      prev = { bot: b, prosody: p };
      samples.push(s);
      ctx.progress(
        `  minute ${minute}: bot RSS ${s.botRssMb.toFixed(1)} MB, CPU ${s.botCpuPercent.toFixed(1)}%; SQLite ${s.dbMb.toFixed(2)} MB + WAL ${s.walMb.toFixed(2)} MB; backlog ${s.backlog}; Prosody ${s.prosodyRssMb.toFixed(0)} MB, ${s.prosodyCpuPercent.toFixed(0)}%; ${acksSent} acks sent`,
      );
    }
    const trends = soakTrends(samples, judgedFromMinute);
    const [a, z] = [judgedSamples(samples, judgedFromMinute)[0], samples.at(-1)];
    const hours = a && z && z.minute > a.minute ? (z.minute - a.minute) / 60 : NaN;
    const rowsPerHour = Object.fromEntries(
      Object.keys(z?.rows ?? {}).map((t) => [t, ((z?.rows[t] ?? NaN) - (a?.rows[t] ?? NaN)) / hours]),
    );
    return {
      minutes,
      agents: n,
      ready: ready.length,
      heartbeatMs,
      flappers: flappers.length,
      flapMs: FLAP_MS,
      published,
      publishFailures,
      acksSent,
      acksAnswered,
      samples,
      trends,
      rowsPerHour,
      growing: trends.some((t) => t.growing),
      retention,
      judgedFromMinute,
    };
  } finally {
    for (const t of timers) clearTimeout(t);
    await forEachLimited([...sims, ...people], 256, Infinity, (s) => s.stop().catch(() => undefined));
    await bot.worker.stop();
  }
}

/**
 * The samples a verdict is judged on: from `fromMinute` (after start-up and the first heartbeats,
 * and any short retention windows filling); a run too short for that keeps what it has after its first minute.
 */
export function judgedSamples(samples: readonly SoakSample[], fromMinute = 2): readonly SoakSample[] {
  const steady = samples.filter((s) => s.minute >= fromMinute);
  if (steady.length > 2) return steady;
  return samples.length > 2 ? samples.slice(1) : samples;
}

/** The trend of each series over the judged samples (see {@link judgedSamples}). */
export function soakTrends(samples: readonly SoakSample[], fromMinute = 2): SoakTrend[] {
  const steady = judgedSamples(samples, fromMinute);
  const series: Array<[string, string, (s: SoakSample) => number, (mean: number) => number]> = [
    ["bot RSS", "MB", (s) => s.botRssMb, (m) => m * GROWTH_PER_HOUR_LIMIT],
    ["SQLite file", "MB", (s) => s.dbMb, (m) => m * GROWTH_PER_HOUR_LIMIT],
    ["SQLite WAL", "MB", (s) => s.walMb, (m) => Math.max(1, m * GROWTH_PER_HOUR_LIMIT)],
    ["bot CPU", "%", (s) => s.botCpuPercent, (m) => Math.max(1, m * GROWTH_PER_HOUR_LIMIT)],
    ["Prosody RSS", "MB", (s) => s.prosodyRssMb, (m) => m * GROWTH_PER_HOUR_LIMIT],
    ["ingest backlog", "updates", (s) => s.backlog, () => BACKLOG_PER_HOUR_LIMIT],
  ];
  return series.map(([name, unit, pick, limit]) => {
    const ys = steady.map(pick);
    const perMinute = slope(steady.map((s, i) => [s.minute, ys[i]!] as const));
    const slopePerHour = perMinute * 60;
    const mean = ys.reduce((a, b) => a + b, 0) / Math.max(1, ys.length);
    return {
      name,
      unit,
      first: ys[0] ?? NaN,
      last: ys.at(-1) ?? NaN,
      max: Math.max(...ys),
      slopePerHour,
      growing: Number.isFinite(slopePerHour) && slopePerHour > limit(mean),
    };
  });
}
