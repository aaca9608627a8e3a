// Folding several measurement windows of one kind (baseline or bot) into the figures reported.
import type { ThroughputResult } from "./phase-throughput.js";
import type { ProcWindow } from "./proc-stats.js";

/** Mean of the values (NaN when empty). */
export const mean = (xs: readonly number[]): number =>
  xs.length === 0 ? NaN : xs.reduce((a, b) => a + b, 0) / xs.length;

/** Median of the values (NaN when empty): robust against one window hit by a neighbour's burst. */
export function median(xs: readonly number[]): number {
  const s = [...xs].filter(Number.isFinite).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function meanWindow(ws: readonly ProcWindow[]): ProcWindow {
  return {
    cpuPercent: mean(ws.map((w) => w.cpuPercent)),
    writeKbPerSec: mean(ws.map((w) => w.writeKbPerSec)),
    rssMb: mean(ws.map((w) => w.rssMb)),
    maxRssMb: Math.max(...ws.map((w) => w.maxRssMb)),
  };
}

/** The windows' throughput as one figure: rates and CPU averaged, memory and backlogs at their worst. */
export function meanThroughput(rs: readonly ThroughputResult[]): ThroughputResult {
  const last = rs.at(-1)!;
  const nodes = new Set(rs.flatMap((r) => Object.keys(r.sentPerSec.publishes)));
  return {
    confirmedPerSec: mean(rs.map((r) => r.confirmedPerSec)),
    receivedPerSec: mean(rs.map((r) => r.receivedPerSec)),
    updatesPerSec: mean(rs.map((r) => r.updatesPerSec)),
    alertsPerSec: mean(rs.map((r) => r.alertsPerSec)),
    chatPerSec: last.chatPerSec === null ? null : mean(rs.map((r) => r.chatPerSec ?? NaN)),
    sentPerSec: {
      messages: mean(rs.map((r) => r.sentPerSec.messages)),
      iqs: mean(rs.map((r) => r.sentPerSec.iqs)),
      publishes: Object.fromEntries([...nodes].map((n) => [n, mean(rs.map((r) => r.sentPerSec.publishes[n] ?? 0))])),
    },
    auditAtEnd: last.auditAtEnd,
    backlogAtEnd: Math.max(...rs.map((r) => r.backlogAtEnd)),
    drainMs: Math.max(...rs.map((r) => r.drainMs)),
    publishFailures: rs.reduce((n, r) => n + r.publishFailures, 0),
    prosody: meanWindow(rs.map((r) => r.prosody)),
    subscriber: meanWindow(rs.map((r) => r.subscriber)),
    generator: meanWindow(rs.map((r) => r.generator)),
  };
}

/** KiB a process wrote to storage per update in a window (disk work per unit, like CPU per unit). */
export function writeKbPerUpdate(w: ProcWindow, updatesPerSec: number): number {
  return updatesPerSec > 0 ? w.writeKbPerSec / updatesPerSec : NaN;
}

/**
 * CPU milliseconds a process spent per update in a window. Unlike rates, CPU time per unit of work
 * barely moves when neighbours compete for the cores, so it shows where the work goes on a noisy machine.
 */
export function cpuMsPerUpdate(w: ProcWindow, updatesPerSec: number): number {
  return updatesPerSec > 0 ? (w.cpuPercent / 100) * (1000 / updatesPerSec) : NaN;
}
