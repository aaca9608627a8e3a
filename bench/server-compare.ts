// `--server both`: the figures an operator choosing between Prosody and ejabberd asks for, side by
// side from the runs of one invocation (same machine, same sizes, minutes apart).
import type { BenchResults } from "./results.js";

/** One row of the comparison: a figure and its value on each server (NaN where the phase did not run). */
export interface ServerComparisonRow {
  readonly figure: string;
  readonly unit: string;
  readonly values: Record<string, number>;
}

/** The comparison: which servers (software and storage), and the rows. */
export interface ServerComparison {
  readonly servers: Array<{ readonly kind: string; readonly software: string; readonly storage: string }>;
  readonly rows: ServerComparisonRow[];
}

type Pick = (r: BenchResults) => number | null | undefined;

// What is compared, and where each figure comes from. Publishes/s and latency come from the
// compare phase (a do-nothing subscriber measures the server alone, then the real bot);
// memory and login/setup latency per agent from the scale phase.
const FIGURES: Array<[string, string, Pick]> = [
  ["publishes/s, server alone (do-nothing subscriber, saturating)", "/s", (r) => r.baseline?.throughput.updatesPerSec],
  ["updates/s through AlertBot (saturating)", "/s", (r) => r.bot?.throughput.updatesPerSec],
  ["server CPU per publish, server alone", "ms", (r) => r.ratios?.prosodyCpuMsPerEvent],
  ["publish->event p50 (server alone, fixed rate)", "ms", (r) => r.baseline?.latency.publishToEvent?.p50],
  ["publish->event p99", "ms", (r) => r.baseline?.latency.publishToEvent?.p99],
  ["publish->stored by AlertBot p99", "ms", (r) => r.bot?.latency.publishToStored?.p99],
  ["publish->chat to a person p99", "ms", (r) => r.bot?.latency.publishToChat?.p99],
  ["agents connected / ready (scale phase)", "", (r) => r.scale?.ready],
  ["server memory per connected agent (RSS)", "KiB", (r) => r.scale?.prosodyKbPerConnection],
  ["server memory per agent node and its items", "KiB", (r) => r.scale?.prosodyKbPerNode],
  ["agent logins tried again (timed out, as the real agent retries)", "", (r) => r.scale?.loginRetries],
  ["agent node set-ups tried again (refused or failed)", "", (r) => r.scale?.nodeRetries],
  ["agent login p50", "ms", (r) => r.scale?.login.p50],
  ["agent login p99", "ms", (r) => r.scale?.login.p99],
  ["agent setup (presence, node, full state) p99", "ms", (r) => r.scale?.setup.p99],
  ["server CPU while agents heartbeat", "%", (r) => r.scale?.steady.prosody.cpuPercent],
  ["server RSS with every agent ready", "MB", (r) => r.scale?.prosodyRssReadyMb],
];

/** Builds the comparison from one run per server. */
export function compareServers(runs: readonly BenchResults[]): ServerComparison {
  return {
    servers: runs.map((r) => ({ kind: r.machine.server, software: r.machine.prosody, storage: r.machine.storage })),
    rows: FIGURES.map(([figure, unit, pick]) => ({
      figure,
      unit,
      values: Object.fromEntries(runs.map((r) => [r.machine.server, pick(r) ?? NaN])),
    })),
  };
}

const cell = (x: number): string =>
  !Number.isFinite(x) ? "n/a" : Math.abs(x) >= 100 ? Math.round(x).toLocaleString("en-US") : x.toFixed(1);

/** The comparison as aligned text: one column per server. */
export function renderServerComparison(c: ServerComparison): string {
  const kinds = c.servers.map((s) => s.kind);
  const header = ["", ...c.servers.map((s) => `${s.software} (${s.storage})`)];
  const lines = [
    header,
    ...c.rows.map((r) => [`${r.figure}${r.unit ? ` (${r.unit})` : ""}`, ...kinds.map((k) => cell(r.values[k] ?? NaN))]),
  ];
  const widths = header.map((_, i) => Math.max(...lines.map((l) => (l[i] ?? "").length)));
  const text = lines.map((l) => l.map((v, i) => (i === 0 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join("  "));
  return `\n== servers side by side (one run, same machine and sizes)\n${text.join("\n")}\n`;
}
