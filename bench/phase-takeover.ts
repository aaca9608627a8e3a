// Issue 13 (taketime): the takeover time of two AlertBots (docs/failover.md). Its own Prosody (sql
// storage, the standby's component, kick_old), two bots/alertbot.ts processes with the default
// failover timings, simulated agents publishing steadily and one person in a real Jabber client.
// The active is SIGKILLed (and, in the full run, frozen with SIGSTOP) while an alert is raised every
// second; each round times the kill to the standby's claim and to the first notice the person gets
// about an alert raised after the kill, and counts the notices told twice. Between rounds the
// killed bot is started again and must join as the standby and catch up with the log.
import { randomBytes } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import Database from "better-sqlite3";
import { startProsody, type ProsodyHandle } from "../prosody/launcher.js";
import { toWireAlert } from "../src/codec/build-update.js";
import { loadBotConfig } from "../src/config/bot-config.js";
import { createAccounts } from "./accounts.js";
import { AlertBotProcess } from "./alertbot-process.js";
import { benchBotYaml, ON_CALL, SECRET_ENV } from "./bot-config.js";
import { median } from "./compare-aggregate.js";
import { BENCH_PASSWORD, type BenchContext } from "./context.js";
import { hrMs, sleep, waitUntil } from "./hrtime.js";
import { Person } from "./person.js";
import { forEachLimited } from "./pool.js";
import { BOT_NAME } from "./server.js";
import { QuietLog, SimAgent, type PublishRecord, type SimTarget } from "./sim-agent.js";

/** The failover timings the bots ran with, as their config loader read them (ms). */
export interface FailoverTimings {
  readonly takeoverAfterMs: number;
  readonly leaseMs: number;
  readonly graceMs: number;
}

/** One takeover. */
export interface TakeoverRound {
  /** sigkill: the active killed; sigstop: the active frozen (thawed once the standby took over). */
  readonly kind: "sigkill" | "sigstop";
  /** Which process was the active ("A", "B"). */
  readonly victim: string;
  /** The last batch of the replica log the active had published when it was killed. */
  readonly logSeqAtKill: number;
  /** Kill → the standby's "the active is gone: taking over" (it decided to claim the JID). */
  readonly killToClaimMs: number;
  /** Kill → "took over: now the active" (it holds alertbot.<domain> and runs as AlertBot). */
  readonly killToActiveMs: number;
  /** Why the standby claimed, as it logged it (its last ping's outcome, or the reason it gives). */
  readonly claimReason: string;
  /** Kill → the first notice the person got about an alert raised after the kill; null if none came. */
  readonly killToFirstNoticeMs: number | null;
  /** Alerts raised during the round, notices told more than once, and alerts never told. */
  readonly raised: number;
  readonly repeated: number;
  readonly missing: number;
  /** The frozen active, thawed: how it ended (75: "no longer the active"). */
  readonly thawedExit: string | null;
  /** The killed bot started again: it rebuilt its file from the log and caught up (null: not restarted). */
  readonly rejoin: {
    readonly rebuilt: boolean;
    readonly caughtUp: boolean;
    /** Start → its file holds the batch the active had published when it saw the active. */
    readonly catchUpMs: number;
    readonly caughtUpToSeq: number;
    readonly problem: string | null;
  } | null;
}

/** The takeover phase's figures. */
export interface TakeoverResult {
  readonly agents: number;
  /** Agents that logged in and published their first update. */
  readonly ready: number;
  readonly failover: FailoverTimings;
  /** The first bot, started alone as the standby: its start → its claim (no active yet). */
  readonly firstClaimMs: number;
  /** Steady load: every agent publishes every `publishEveryMs`, and one new alert is raised every `raiseEveryMs`. */
  readonly publishEveryMs: number;
  readonly raiseEveryMs: number;
  readonly published: number;
  readonly publishFailures: number;
  readonly rounds: TakeoverRound[];
  /** Over the SIGKILL rounds: min, median, max. */
  readonly killToActive: Spread;
  readonly killToFirstNotice: Spread;
  /** Notices told twice, and raised alerts never told, over the whole phase. */
  readonly repeated: number;
  readonly missing: number;
  /** The replica log's last batch at the end (it keeps 1,000 items; a rebuilt standby needs item 1). */
  readonly logSeqAtEnd: number;
  /** Why the phase ran fewer rounds than asked, if it did. */
  readonly stoppedEarly: string | null;
}

/** min / median / max (NaN when there are no figures). */
export interface Spread {
  readonly n: number;
  readonly min: number;
  readonly median: number;
  readonly max: number;
}

/** The standby's component name: standby.alertbot.<domain>. */
const STANDBY_NAME = `standby.${BOT_NAME}`;
/**
 * Each agent's steady publish (its heartbeat) comes this often: the scale phase's interval, five
 * times the production default. The replica log grows by about one batch per update, and a killed
 * bot restarted needs the log from its first item (it keeps 1,000): much busier agents, and a
 * restart late in the phase finds the log beyond its reach, which the round then reports.
 */
const PUBLISH_EVERY_MS = 60_000;
/** A new alert, told to the person, is raised this often (by the agents in turn). */
const RAISE_EVERY_MS = 1_000;
/** Steady load runs this long before each kill. */
const SETTLE_MS = 5_000;
/** Beyond T + G, how long a loaded machine may take before a round is given up. */
const SLACK_MS = 120_000;
const CONNECT_CONCURRENCY = 16;
/** Log lines that mean a bot could not be brought up to date (neither the log nor a snapshot did). */
const CANNOT_CATCH_UP = [
  "no active, and nothing can bring this database up to date: taking over with it as it stands unless an active appears",
  "taking over with this database as it stands: what another AlertBot decided after its batch, if anything, is missing",
];

/** The accounts the phase logs in with: the person and `n` agents. */
function takeoverAccounts(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `tk${String(i).padStart(4, "0")}`);
}

/** The last batch of the replica log a bot's file holds (NaN while the file cannot be read). */
function readLogSeq(database: string): number {
  try {
    const db = new Database(database, { readonly: true, fileMustExist: true });
    try {
      const row = db.prepare("SELECT seq FROM replica_state WHERE id = 1").get() as { seq: number } | undefined;
      return row?.seq ?? NaN;
    } finally {
      db.close();
    }
  } catch {
    return NaN;
  }
}

/** The standby's reason to claim, from its "taking over" line: `reason`, or (older bots) `lastPing`. */
function claimReason(fields: Readonly<Record<string, unknown>>): string {
  const why = fields["reason"] ?? fields["lastPing"];
  return typeof why === "string" ? why : "?";
}

function spread(xs: readonly number[]): Spread {
  const ok = xs.filter(Number.isFinite);
  return ok.length === 0
    ? { n: 0, min: NaN, median: NaN, max: NaN }
    : { n: ok.length, min: Math.min(...ok), median: median(ok), max: Math.max(...ok) };
}

/**
 * AlertBot's config for the phase: alice told of every alert, each on its own line (no digest, no
 * rate limit holding a notice back, so a notice told twice shows as two lines), and the `failover`
 * section with nothing but the standby's JID: the default timings are what is measured.
 */
function botYaml(prosody: ProsodyHandle, database: string): string {
  return `${benchBotYaml(prosody, database, { digestAfter: 1000 })}failover:
  standby_component: ${STANDBY_NAME}.${prosody.domain}
`;
}

/** One of the two bots: its name, config, file, and the process now running it. */
interface Bot {
  readonly name: string;
  readonly configFile: string;
  readonly database: string;
  /** The process now running it (null before its first start). */
  proc: AlertBotProcess | null;
  starts: number;
}

/** The process running `bot` (it has been started). */
function running(bot: Bot): AlertBotProcess {
  if (!bot.proc) throw new Error(`takeover: alertbot ${bot.name} was never started`);
  return bot.proc;
}

/** An alert raised by the phase and every notice about it (hrMs). */
interface Mark {
  readonly raisedAt: number;
  ok: boolean;
  readonly notices: number[];
}

/** Runs the phase on its own Prosody; the bench's server is left alone. */
export async function takeoverPhase(ctx: BenchContext): Promise<TakeoverResult> {
  const { takeoverAgents: n, takeoverRounds: rounds, takeoverFrozen: frozen } = ctx.sizes;
  ctx.progress(
    `takeover: two AlertBot processes (default failover timings), ${n} agents, ${rounds} SIGKILL rounds${frozen ? " and a frozen (SIGSTOP) active" : ""}`,
  );
  const dir = join(ctx.workDir, "takeover");
  await mkdir(dir, { recursive: true });
  const secret = randomBytes(18).toString("base64url");
  const prosody = await startProsody({
    runDir: join(dir, "prosody"),
    logLevel: "warn",
    botComponent: { name: BOT_NAME, secret },
    standbyComponent: { name: STANDBY_NAME },
    conflictResolve: "kick_old",
    storage: "sql",
  });
  const agentNames = takeoverAccounts(n);
  const log = new QuietLog();
  const sims: SimAgent[] = [];
  const timers: NodeJS.Timeout[] = [];
  const bots: Bot[] = [];
  let person: Person | undefined;
  try {
    await createAccounts(
      { runDir: prosody.runDir, domain: prosody.domain, storage: "sql" },
      [ON_CALL, ...agentNames],
      BENCH_PASSWORD,
    );
    const env = { [SECRET_ENV]: secret };
    for (const name of ["A", "B"]) {
      const own = join(dir, name);
      await mkdir(own, { recursive: true });
      const database = join(own, "alertbot.sqlite");
      const configFile = join(own, "alertbot.yaml");
      await writeFile(configFile, botYaml(prosody, database));
      bots.push({ name, configFile, database, proc: null, starts: 0 });
    }
    // What the bots run with, read by their own config loader: the defaults, not figures of ours.
    const f = loadBotConfig(botYaml(prosody, bots[0]!.database), { file: bots[0]!.configFile, env }).failover;
    if (!f) throw new Error("takeover: the bots' config has no failover section");
    const timings: FailoverTimings = { takeoverAfterMs: f.takeoverAfterMs, leaseMs: f.leaseMs, graceMs: f.graceMs };
    const start = (bot: Bot): AlertBotProcess => {
      bot.starts++;
      bot.proc = AlertBotProcess.start({
        label: `alertbot ${bot.name}${bot.starts > 1 ? ` (start ${bot.starts})` : ""}`,
        configFile: bot.configFile,
        env,
        logFile: join(dir, `alertbot-${bot.name}.log`),
        repoDir: ctx.repoDir,
        compiledDir: ctx.compiledDir,
      });
      return bot.proc;
    };

    // A alone first: it starts as the standby and claims the JID, there being no active. Then B,
    // the standby. (Started together, the two standbys would share the standby's
    // JID, and kick_old hands it back and forth between them.)
    const started = hrMs();
    const claimBudget = timings.takeoverAfterMs + timings.graceMs + SLACK_MS;
    let active = bots[0]!;
    let standby = bots[1]!;
    await start(active).waitFor("standby running", 60_000);
    const firstClaim = await running(active).waitFor("took over: now the active", claimBudget);
    const firstClaimMs = firstClaim.at - started;
    await start(standby).waitFor("standby running", 60_000);
    ctx.progress(
      `  ${active.name} active ${(firstClaimMs / 1000).toFixed(1)} s after its start, ${standby.name} the standby (T ${timings.takeoverAfterMs / 1000} s, L ${timings.leaseMs / 1000} s, G ${timings.graceMs / 1000} s)`,
    );

    // The person, then the agents (their nodes are provisioned through the active bot).
    person = await Person.login({
      service: `xmpp://127.0.0.1:${prosody.c2sPort}`,
      domain: prosody.domain,
      name: ON_CALL,
      password: BENCH_PASSWORD,
    });
    const marks = new Map<string, Mark>();
    person.onMessage((m) => {
      const id = /^RAISED #\d+ .*takeover mark (m\d+)/.exec(m.body)?.[1];
      if (id !== undefined) marks.get(id)?.notices.push(m.at);
    });
    const target: SimTarget = {
      service: `xmpp://127.0.0.1:${prosody.c2sPort}`,
      domain: prosody.domain,
      pubsub: prosody.pubsubJid,
      bot: prosody.botJid,
      password: BENCH_PASSWORD,
    };
    let published = 0;
    let publishFailures = 0;
    const onPublish = (r: PublishRecord): void => {
      if (r.ok) published++;
      else publishFailures++;
    };
    const ready: SimAgent[] = [];
    await forEachLimited(agentNames, CONNECT_CONCURRENCY, Infinity, async (name) => {
      try {
        const sim = await SimAgent.connect(name, target, log);
        sims.push(sim);
        await sim.announce(true);
        if (!(await sim.ensureNode())) return;
        const full = await sim.publish([sim.heartbeatAlert(PUBLISH_EVERY_MS)], true);
        onPublish(full);
        if (full.ok) ready.push(sim);
      } catch {
        // Counted as not ready.
      }
    });
    ctx.progress(`  ${ready.length} of ${n} agents ready`);
    if (ready.length === 0) throw new Error(`takeover: no agent could be set up (${log.first.join("; ")})`);

    // The steady load: every agent's heartbeat, and a new alert every second from the agents in turn.
    for (const sim of ready) sim.startHeartbeat(PUBLISH_EVERY_MS, Math.random() * PUBLISH_EVERY_MS, onPublish);
    let raisedCount = 0;
    const raise = (): void => {
      const k = raisedCount++;
      const sim = ready[k % ready.length]!;
      const mark: Mark = { raisedAt: hrMs(), ok: false, notices: [] };
      marks.set(`m${k}`, mark);
      const alert = toWireAlert(
        { id: `m${k}`, state: "raised", summary: `takeover mark m${k}`, importance: 60 },
        Math.floor(Date.now() / 1000),
      );
      void sim.publish([alert]).then((r) => {
        mark.ok = r.ok;
        onPublish(r);
      });
    };
    timers.push(setInterval(raise, RAISE_EVERY_MS));
    const firstNoticeAfter = (t: number): number | undefined => {
      let first: number | undefined;
      for (const m of marks.values())
        if (m.raisedAt > t && m.notices.length > 0 && (first === undefined || m.notices[0]! < first))
          first = m.notices[0];
      return first;
    };
    if (!(await waitUntil(() => firstNoticeAfter(started) !== undefined, timings.graceMs + SLACK_MS, 100)))
      throw new Error("takeover: the person was never told of an alert by the first active");

    const results: TakeoverRound[] = [];
    const roundStarts: number[] = [];
    let stoppedEarly: string | null = null;
    const plan: Array<"sigkill" | "sigstop"> = [
      ...Array.from({ length: rounds }, () => "sigkill" as const),
      ...(frozen ? ["sigstop" as const] : []),
    ];
    for (const [i, kind] of plan.entries()) {
      roundStarts.push(hrMs());
      // The standby must know the active and hold the log as far as the active has published it.
      await running(standby).waitFor("active seen", 60_000);
      await sleep(SETTLE_MS);
      const victim = active;
      const heir = standby;
      const victimProc = running(victim);
      const heirProc = running(heir);
      const logSeqAtKill = readLogSeq(victim.database);
      const from = heirProc.lines.length;
      const killAt = hrMs();
      victimProc.signal(kind === "sigkill" ? "SIGKILL" : "SIGSTOP");
      raise(); // the first alert raised after the kill: only the new active can tell it
      ctx.progress(
        `  round ${i + 1} (${kind}): ${victim.name} ${kind === "sigkill" ? "killed" : "frozen"} at log batch ${logSeqAtKill}`,
      );
      const claim = await heirProc.waitFor("the active is gone: taking over", claimBudget, from, CANNOT_CATCH_UP);
      const took = await heirProc.waitFor("took over: now the active", SLACK_MS, from);
      await waitUntil(() => firstNoticeAfter(killAt) !== undefined, timings.graceMs + SLACK_MS, 20);
      const notice = firstNoticeAfter(killAt);
      ctx.progress(
        `    ${heir.name}: claim ${((claim.at - killAt) / 1000).toFixed(1)} s, active ${((took.at - killAt) / 1000).toFixed(1)} s (${claimReason(claim.fields)}), first notice ${notice === undefined ? "NONE" : `${((notice - killAt) / 1000).toFixed(1)} s`} after the ${kind === "sigkill" ? "kill" : "freeze"}`,
      );
      active = heir;
      standby = victim;
      let thawedExit: string | null = null;
      if (kind === "sigstop") {
        victimProc.signal("SIGCONT");
        const exit = await Promise.race([victimProc.exited, sleep(SLACK_MS).then(() => null)]);
        thawedExit = exit ? (exit.signal ?? `status ${exit.code}`) : "still running";
        ctx.progress(`    ${victim.name} thawed: ${thawedExit}`);
      } else await victimProc.exited;

      let rejoin: TakeoverRound["rejoin"] = null;
      const last = i === plan.length - 1;
      if (!last) {
        rejoin = await restartAsStandby(victim, active, start);
        ctx.progress(
          `    ${victim.name} restarted: ${rejoin.caughtUp ? `caught up to batch ${rejoin.caughtUpToSeq} in ${(rejoin.catchUpMs / 1000).toFixed(1)} s${rejoin.rebuilt ? " (file rebuilt from the log)" : ""}` : `DID NOT CATCH UP: ${rejoin.problem}`}`,
        );
      }
      results.push({
        kind,
        victim: victim.name,
        logSeqAtKill,
        killToClaimMs: claim.at - killAt,
        killToActiveMs: took.at - killAt,
        claimReason: claimReason(claim.fields),
        killToFirstNoticeMs: notice === undefined ? null : notice - killAt,
        raised: 0,
        repeated: 0,
        missing: 0,
        thawedExit,
        rejoin,
      });
      if (rejoin && !rejoin.caughtUp) {
        stoppedEarly = `${victim.name}, restarted after round ${i + 1}, could not catch up: ${rejoin.problem}`;
        break;
      }
    }

    // Every alert raised is told once: wait for the last ones, then count per round.
    for (const t of timers) clearInterval(t);
    timers.length = 0;
    const told = (): boolean => [...marks.values()].every((m) => !m.ok || m.notices.length > 0);
    await waitUntil(told, 60_000, 200);
    await sleep(2_000); // a repeat that is on its way
    const roundsOut = results.map((r, i) => {
      // A round's alerts: from its start (the first round: from the first alert) to the next round's.
      const from = i === 0 ? -Infinity : roundStarts[i]!;
      const to = roundStarts[i + 1] ?? Infinity;
      const own = [...marks.values()].filter((m) => m.raisedAt >= from && m.raisedAt < to);
      return {
        ...r,
        raised: own.length,
        repeated: own.reduce((s, m) => s + Math.max(0, m.notices.length - 1), 0),
        missing: own.filter((m) => m.ok && m.notices.length === 0).length,
      };
    });
    const all = [...marks.values()];
    const kills = roundsOut.filter((r) => r.kind === "sigkill");
    return {
      agents: n,
      ready: ready.length,
      failover: timings,
      firstClaimMs,
      publishEveryMs: PUBLISH_EVERY_MS,
      raiseEveryMs: RAISE_EVERY_MS,
      published,
      publishFailures,
      rounds: roundsOut,
      killToActive: spread(kills.map((r) => r.killToActiveMs)),
      killToFirstNotice: spread(kills.map((r) => r.killToFirstNoticeMs ?? NaN)),
      repeated: all.reduce((s, m) => s + Math.max(0, m.notices.length - 1), 0),
      missing: all.filter((m) => m.ok && m.notices.length === 0).length,
      logSeqAtEnd: readLogSeq(active.database),
      stoppedEarly,
    };
  } finally {
    for (const t of timers) clearInterval(t);
    await forEachLimited([...sims], 64, Infinity, (s) => s.stop().catch(() => undefined));
    await person?.stop().catch(() => undefined);
    for (const b of bots) {
      b.proc?.signal("SIGCONT");
      await b.proc?.stop();
    }
    await prosody.stop();
  }
}

/**
 * Starts the killed bot again: it must come up as the standby, see the active, and hold the log up
 * to the batch the active had published by then (a SIGKILLed active's file is rebuilt from item 1).
 */
async function restartAsStandby(
  victim: Bot,
  active: Bot,
  start: (bot: Bot) => AlertBotProcess,
): Promise<NonNullable<TakeoverRound["rejoin"]>> {
  const t0 = hrMs();
  const proc = start(victim);
  const fail = (problem: string): NonNullable<TakeoverRound["rejoin"]> => ({
    rebuilt: proc.lines.some((l) => /rebuilt from the log/.test(String(l.fields["msg"]))),
    caughtUp: false,
    catchUpMs: hrMs() - t0,
    caughtUpToSeq: readLogSeq(victim.database),
    problem,
  });
  try {
    await proc.waitFor("standby running", 60_000, 0, CANNOT_CATCH_UP);
    await proc.waitFor("active seen", 60_000, 0, CANNOT_CATCH_UP);
  } catch (err) {
    return fail(err instanceof Error ? err.message : String(err));
  }
  const goal = readLogSeq(active.database);
  const deadline = hrMs() + SLACK_MS;
  while (!(readLogSeq(victim.database) >= goal)) {
    const bad = CANNOT_CATCH_UP.map((m) => proc.find(m)).find((l) => l !== undefined);
    if (bad) return fail(String(bad.fields["msg"]));
    if (proc.exit) return fail(`exited (${proc.exit.signal ?? `status ${proc.exit.code}`})`);
    if (hrMs() > deadline)
      return fail(`its file held batch ${readLogSeq(victim.database)} of ${goal} after ${SLACK_MS / 1000} s`);
    await sleep(200);
  }
  return {
    rebuilt: proc.lines.some((l) => /rebuilt from the log/.test(String(l.fields["msg"]))),
    caughtUp: true,
    catchUpMs: hrMs() - t0,
    caughtUpToSeq: readLogSeq(victim.database),
    problem: null,
  };
}
