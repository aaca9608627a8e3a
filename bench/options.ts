// Command line of `npm run bench` and the sizes each mode runs at.
import { parseArgs } from "node:util";
import { parseDuration } from "../src/util/duration.js";
import { SERVER_KINDS, type ServerKind } from "./server.js";

/** How big each phase is. */
export interface BenchSizes {
  readonly mode: "quick" | "default" | "custom";
  /** Pairs of baseline and bot windows, in ABBA order (the headline figures merge them). */
  readonly rounds: number;
  /** Publishing agents in the throughput and latency phases. */
  readonly publishers: number;
  /** Alerts per update in the throughput phase (the changes of one moment go together). */
  readonly batch: number;
  readonly warmMs: number;
  readonly measureMs: number;
  /**
   * The fixed moderate rate of the latency windows, updates/s, at most (a third of the first
   * saturating baseline rate when that is lower), and how long each window lasts.
   */
  readonly latencyRate: number;
  readonly latencyMs: number;
  readonly acks: number;
  readonly agentIdleMs: number;
  readonly agentBusyMs: number;
  /**
   * Compile the tree with tsc first and run the bot workers and an agent from it (how they are
   * installed), besides an agent under tsx; quick mode skips the 15 s compile and uses tsx throughout.
   */
  readonly compiled: boolean;
  readonly openAlerts: number;
  /** Simulated agents of the scale phase, and their heartbeat interval. */
  readonly agents: number;
  readonly heartbeatMs: number;
  /** How long the scale phase watches the backlog once every agent is up. */
  readonly observeMs: number;
  /** Longest the scale phase may spend connecting and provisioning before it reports what it reached. */
  readonly scaleSetupBudgetMs: number;
  // Issue 13 (taketime): the takeover phase's agents, its SIGKILL rounds, and whether a frozen
  // (SIGSTOP) active is measured too.
  readonly takeoverAgents: number;
  readonly takeoverRounds: number;
  readonly takeoverFrozen: boolean;
}

/** Everything the command line decides. */
export interface BenchOptions {
  readonly sizes: BenchSizes;
  readonly storage: "internal" | "sql";
  /** The servers measured, one after the other with the same sizes (two: a side-by-side table). */
  readonly servers: readonly ServerKind[];
  readonly profile: boolean;
  readonly keep: boolean;
  readonly phases: ReadonlySet<Phase>;
  readonly experiments: ReadonlySet<Experiment>;
  // Issue 17 (perf): a CPU hog beside the run, and the soak phase's length.
  readonly contended: boolean;
  readonly soakMinutes: number;
  // Issue 17 (perf, soak verdict): short retention windows for the soak's bot, null: as shipped.
  readonly soakRetentionMs: number | null;
}

/**
 * Changes tried for their measured effect, never on by default: figures taken with one are not
 * the product as shipped, and the report says so.
 */
export const EXPERIMENTS = [
  "no-first-contact-resync",
  "no-audit",
  // Issue 17 (people): the compare phase's people back in the load generator's process, as before.
  "people-in-process",
] as const;
/** One experiment. */
export type Experiment = (typeof EXPERIMENTS)[number];

/** The phases, in the order they run. */
// Issue 14 (boardbench): "board", the web board's cost to ingest.
// Issue 13 (taketime): "takeover", two AlertBots and the time from killing the active to the
// standby's first notice. In the default phases: it is the figure the failover promise (30 s) is
// judged on, and it takes a few minutes (each round waits for T and G, as a real takeover does).
export const PHASES = ["compare", "agent", "board", "open-alerts", "scale", "peer", "takeover", "soak"] as const;
/** Phases a run without --phases leaves out (the soak takes an hour). */
const NOT_BY_DEFAULT: readonly Phase[] = ["soak"];
/** One phase of the run. */
export type Phase = (typeof PHASES)[number];

/** `npm run bench -- --help`. */
export const HELP = `Usage: npm run bench -- [--quick | --agents N] [options]

Measures mauve-xmpp against its server's own pubsub ceiling, in one run on a private
Prosody or ejabberd (--server; loopback, temporary directory): a do-nothing component
subscriber first (the baseline), then the real AlertBot on the same load; resources
of the server, the bot and a real agent; the bot with many open alerts; N agents
connected at once; Debian's prometheus-alertmanager beside the bot on the same work
(peer); the web board's cost: ingest with 5 open boards vs none (board); two
AlertBots, the active SIGKILLed, timed to the standby's first notice (takeover;
Prosody only); and, only when asked for, an hour's soak (soak).
Every comparison is a ratio against the baseline taken in the same run, because
absolute figures drift on a shared machine.

Prints progress on stderr, a table on stdout, and as the last line of stdout one
JSON object with every figure.

Modes:
      --quick          CI-sized: small phases, a few minutes
                       (default mode: 1,000 agents, 100,000 open alerts, < 10 minutes)
      --agents N       simulated agents in the scale phase (e.g. 10000)

Options:
      --heartbeat D    heartbeat interval of the simulated agents (default 60s;
                       production default is 5m, so 60s is five times the load)
      --observe D      how long to watch the backlog once all agents are up
                       (default 45s, quick 10s)
      --server S       the XMPP server: prosody (default), ejabberd (Debian's
                       23.01, Mnesia, ejabberd/config.ts), or both: the same
                       phases on each, one after the other, then a side-by-side
                       table (publishes/s, latency, memory per connected agent)
      --storage S      Prosody storage: sql (SQLite via lua-dbi, in WAL mode, the
                       default: a third of internal's CPU per publish here) or
                       internal (files, the launcher's own default)
      --phases LIST    comma-separated subset of: ${PHASES.join(", ")}
      --profile        run the bot workers with --cpu-prof (profiles in .bench/;
                       read one with: npx tsx bench/profile-top.ts FILE)
      --experiment X   measure a change instead of the product as shipped
                       (comma-separated): no-first-contact-resync (simulated
                       agents leave the agent feature out of disco#info, so the
                       bot skips its full resync when it first sees one: the
                       effect of fixing that resync); no-audit (the bot's audit
                       feed publishes nothing); people-in-process (the
                       compare phase's people's clients run in the bench's
                       own process beside the publishers, as they used to,
                       instead of a worker of their own)
      --contended      run a CPU hog process (a busy loop) beside the whole run,
                       as other work on a shared machine would
      --minutes N      length of the soak phase (default 60; not part of the
                       default phases: --phases soak --minutes 60)
      --soak-retention D  run the soak's bot with short retention windows (history,
                       transmissions and the quiet digest every D, at least 10m,
                       e.g. 10m), so they fill within the run; the verdict judges
                       the trend after they filled
      --keep           keep Prosody's run directory and the workers' logs
  -h, --help           show this text
`;

const QUICK: BenchSizes = {
  mode: "quick",
  rounds: 2,
  publishers: 8,
  batch: 5,
  warmMs: 1_000,
  measureMs: 3_000,
  latencyRate: 50,
  latencyMs: 3_000,
  acks: 6,
  agentIdleMs: 4_000,
  agentBusyMs: 5_000,
  compiled: false,
  openAlerts: 10_000,
  agents: 100,
  heartbeatMs: 10_000,
  observeMs: 10_000,
  scaleSetupBudgetMs: 30_000,
  // Two rounds: the second is taken over by the bot that was killed in the first and rebuilt.
  takeoverAgents: 20,
  takeoverRounds: 2,
  takeoverFrozen: false,
};

const DEFAULT: BenchSizes = {
  mode: "default",
  rounds: 6,
  publishers: 20,
  batch: 5,
  warmMs: 1_500,
  measureMs: 4_000,
  latencyRate: 50,
  latencyMs: 4_000,
  acks: 20,
  agentIdleMs: 8_000,
  agentBusyMs: 10_000,
  compiled: true,
  openAlerts: 100_000,
  agents: 1_000,
  heartbeatMs: 60_000,
  observeMs: 45_000,
  scaleSetupBudgetMs: 120_000,
  takeoverAgents: 100,
  takeoverRounds: 3,
  takeoverFrozen: true,
};

/** Parses argv; prints help or a usage error and exits (0 / 2) so callers only see valid options. */
export function parseOptions(argv: readonly string[]): BenchOptions {
  let values;
  try {
    values = parseArgs({
      args: [...argv],
      options: {
        quick: { type: "boolean", default: false },
        agents: { type: "string" },
        heartbeat: { type: "string" },
        observe: { type: "string" },
        storage: { type: "string", default: "sql" },
        server: { type: "string", default: "prosody" },
        phases: { type: "string" },
        experiment: { type: "string" },
        profile: { type: "boolean", default: false },
        keep: { type: "boolean", default: false },
        contended: { type: "boolean", default: false },
        minutes: { type: "string", default: "60" },
        "soak-retention": { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (err) {
    usage(err instanceof Error ? err.message : String(err));
  }
  if (values.help) {
    process.stdout.write(HELP);
    process.exit(0);
  }
  let sizes: BenchSizes = values.quick ? QUICK : DEFAULT;
  if (values.agents !== undefined) {
    const n = Number(values.agents);
    if (!Number.isInteger(n) || n < 1 || n > 50_000)
      usage(`--agents: expected a whole number from 1 to 50000, got "${values.agents}"`);
    // Bigger runs take longer to connect and provision; give them time in proportion.
    sizes = { ...sizes, mode: "custom", agents: n, scaleSetupBudgetMs: Math.max(sizes.scaleSetupBudgetMs, n * 60) };
  }
  if (values.heartbeat !== undefined)
    sizes = { ...sizes, heartbeatMs: duration("--heartbeat", values.heartbeat, 10_000) };
  if (values.observe !== undefined) sizes = { ...sizes, observeMs: duration("--observe", values.observe, 5_000) };
  if (values.storage !== "internal" && values.storage !== "sql")
    usage(`--storage: expected internal or sql, got "${values.storage}"`);
  const servers: readonly ServerKind[] =
    values.server === "both"
      ? SERVER_KINDS
      : (SERVER_KINDS as readonly string[]).includes(values.server)
        ? [values.server as ServerKind]
        : usage(`--server: expected ${SERVER_KINDS.join(", ")} or both, got "${values.server}"`);
  const phases = new Set<Phase>(PHASES.filter((p) => !NOT_BY_DEFAULT.includes(p)));
  if (values.phases !== undefined) {
    phases.clear();
    for (const p of values.phases.split(",").map((s) => s.trim())) {
      if (!(PHASES as readonly string[]).includes(p))
        usage(`--phases: unknown phase "${p}"; phases are ${PHASES.join(", ")}`);
      phases.add(p as Phase);
    }
  }
  // Issue 13: failover is built on Prosody's one stream per component JID (docs/failover.md).
  if (phases.size === 1 && phases.has("takeover") && !servers.includes("prosody"))
    usage("--phases takeover: failover is supported on Prosody only (docs/failover.md); use --server prosody");
  const experiments = new Set<Experiment>();
  for (const e of (values.experiment ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)) {
    if (!(EXPERIMENTS as readonly string[]).includes(e))
      usage(`--experiment: unknown experiment "${e}"; known: ${EXPERIMENTS.join(", ")}`);
    experiments.add(e as Experiment);
  }
  const soakMinutes = Number(values.minutes);
  if (!Number.isInteger(soakMinutes) || soakMinutes < 2 || soakMinutes > 24 * 60)
    usage(`--minutes: expected a whole number of minutes from 2 to 1440, got "${values.minutes}"`);
  // Issue 17 (perf, soak verdict)
  const soakRetention = values["soak-retention"];
  const soakRetentionMs = soakRetention === undefined ? null : duration("--soak-retention", soakRetention, 600_000);
  if (soakRetentionMs !== null && soakRetentionMs >= soakMinutes * 60_000)
    usage(`--soak-retention: ${soakRetention} would not fill within --minutes ${soakMinutes}`);
  return {
    sizes,
    storage: values.storage,
    servers,
    profile: values.profile,
    keep: values.keep,
    phases,
    experiments,
    contended: values.contended,
    soakMinutes,
    soakRetentionMs,
  };
}

function duration(flag: string, text: string, min: number): number {
  const ms = parseDuration(text);
  if (ms === null || ms < min)
    usage(`${flag}: expected a duration of at least ${min / 1000}s like "60s" or "5m", got "${text}"`);
  return ms;
}

function usage(message: string): never {
  process.stderr.write(`${message}\n\n${HELP}`);
  process.exit(2);
}
