// The shape of everything one run measured: what the JSON line carries.
import type { AgentFootprint } from "./phase-agent.js";
import type { AckResult } from "./phase-ack.js";
import type { BoardResult } from "./phase-board.js";
import type { LatencyResult } from "./phase-latency.js";
import type { OpenAlertsResult } from "./phase-open-alerts.js";
import type { StormPeopleResult } from "./phase-storm-people.js";
import type { PeerResult } from "./phase-peer.js";
import type { SoakResult } from "./phase-soak.js";
import type { TakeoverResult } from "./phase-takeover.js";
import type { ScaleResult } from "./phase-scale.js";
import type { ThroughputResult } from "./phase-throughput.js";
import type { BenchSizes } from "./options.js";

/** Where the run happened. */
export interface MachineInfo {
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGb: number;
  readonly kernel: string;
  readonly node: string;
  /** Which server the run measured; `prosody` is its software and version (Prosody or ejabberd). */
  readonly server: "prosody" | "ejabberd";
  readonly prosody: string;
  readonly storage: "internal" | "sql" | "mnesia";
  /** Load average when the run started: other work on the machine skews absolute figures. */
  readonly loadAverage: number[];
  /** A CPU hog (a busy loop in its own process) ran beside the whole run (--contended). */
  readonly contended: boolean;
}

/** One target of issue 7 or 17 and where this run leaves it. */
export interface TargetVerdict {
  readonly name: string;
  readonly status: "met" | "missed" | "not evaluated";
  readonly detail: string;
}

/** One round's bot and baseline side by side: the spread between rounds shows how noisy the machine was. */
export interface RoundRatios {
  readonly baselinePerSec: number;
  readonly botPerSec: number;
  readonly updatesRatio: number;
  readonly eventP99: number;
  readonly chatP99: number;
  readonly chatP99Ratio: number;
  /** Prosody's CPU per event with the do-nothing subscriber, and per update with the bot (its chat and audit traffic included). */
  readonly prosodyCpuMsPerEvent: number;
  readonly prosodyCpuMsPerUpdateWithBot: number;
  readonly botCpuMsPerUpdate: number;
  /**
   * The same process's CPU per event in the baseline windows, as the do-nothing subscriber: what
   * reading the events from the server costs before the bot does anything with them.
   */
  readonly readerCpuMsPerEvent: number;
  /** KiB written to storage per event/update, the same way. */
  readonly prosodyWriteKbPerEvent: number;
  readonly prosodyWriteKbPerUpdateWithBot: number;
  readonly botWriteKbPerUpdate: number;
}

/** Every figure of one run; phases not run stay null. */
export interface BenchResults {
  readonly version: 1;
  readonly startedAt: string;
  readonly machine: MachineInfo;
  readonly sizes: BenchSizes;
  /** How the bot workers ran: compiled JavaScript as installed, or TypeScript under tsx. */
  readonly runtime: string;
  /** Changes measured instead of the shipped product; empty for a normal run. */
  readonly experiments: string[];
  baseline: { throughput: ThroughputResult; latency: LatencyResult } | null;
  bot: {
    throughput: ThroughputResult;
    latency: LatencyResult;
    /** Acks with the bus idle, and the same acks during a saturating window (and its rate). */
    ack: AckResult & { saturated: AckResult; saturatedUpdatesPerSec: number };
    botRssMb: number;
  } | null;
  ratios: {
    /** Bot updates/s over baseline events/s, both saturating: the median of the rounds' ratios. */
    updatesPerSec: number;
    /** Bot publish→stored p99 over baseline publish→event p99 (same fixed rate). */
    storedP99: number;
    /** Bot publish→chat p99 over baseline publish→event p99. */
    chatP99: number;
    chatP50: number;
    /** Medians over rounds of CPU milliseconds per update (see RoundRatios). */
    prosodyCpuMsPerEvent: number;
    prosodyCpuMsPerUpdateWithBot: number;
    botCpuMsPerUpdate: number;
    readerCpuMsPerEvent: number;
    prosodyWriteKbPerEvent: number;
    prosodyWriteKbPerUpdateWithBot: number;
    botWriteKbPerUpdate: number;
  } | null;
  /** Per round (baseline then bot); the headline figures merge all rounds. */
  rounds: RoundRatios[];
  agent: { tsx: AgentFootprint; compiled: AgentFootprint | null } | null;
  openAlerts: OpenAlertsResult | null;
  /** Acks with the open-alerts phase's alerts open and a silence in force (people in a big storm). */
  stormPeople: StormPeopleResult | null;
  scale: ScaleResult | null;
  /** Prometheus Alertmanager on the same work (the peer phase). */
  peer: PeerResult | null;
  /** The soak (--phases soak --minutes N). */
  soak: SoakResult | null;
  /** Issue 14: ingest with open web boards vs none (the board phase). */
  board: BoardResult | null;
  /** Issue 13: two AlertBots, the active killed (the takeover phase; Prosody only, null on ejabberd). */
  takeover: TakeoverResult | null;
  targets: TargetVerdict[];
  /** Seconds the whole run took. */
  durationSeconds: number;
}
