// What every phase of the benchmark shares: the server, the sizes chosen, where logs go, progress.
import type { BenchServer } from "./server.js";
import type { BenchSizes, Experiment } from "./options.js";
import type { SimTarget } from "./sim-agent.js";

/** The running benchmark, as phases see it. */
export interface BenchContext {
  readonly server: BenchServer;
  readonly sizes: BenchSizes;
  /** Where workers, agents and profiles write (kept with --keep). */
  readonly workDir: string;
  /** The repository root (agents are started from there). */
  readonly repoDir: string;
  readonly target: SimTarget;
  readonly prosodyPid: number;
  /** The compiled tree (.bench/dist) workers and the agent run from, or null to run them under tsx. */
  readonly compiledDir: string | null;
  /** Node flags for bot workers (e.g. --cpu-prof when profiling). */
  readonly botNodeFlags: readonly string[];
  /** Changes measured instead of the shipped product (see options.ts); empty in a normal run. */
  readonly experiments: ReadonlySet<Experiment>;
  /** A progress line on stderr. */
  progress(line: string): void;
}

/** The password every bench account shares (see accounts.ts: one PBKDF2 for all of them). */
export const BENCH_PASSWORD = "bench-password";
