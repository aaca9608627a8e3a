// The real agent's footprint: one idle (a few static alerts, 5m heartbeat) and one busy (20 checks
// flapping every second, 10 s heartbeat), each a real process against the running bot.
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { startAgentProcess, descendants, type AgentProcess } from "./agent-process.js";
import type { Worker } from "./children.js";
import { BENCH_PASSWORD, type BenchContext } from "./context.js";
import { sleep } from "./hrtime.js";
import { ProcSampler, readProc } from "./proc-stats.js";
import type { SubscriberCounters } from "./subscriber-worker.js";

/** One way of running the agent, idle and busy. */
export interface AgentFootprint {
  /** How it was started. */
  readonly command: string;
  readonly idleRssMb: number;
  readonly idleCpuPercent: number;
  /** Resident memory of helper processes the agent's Node started (tsx's esbuild service), at idle. */
  readonly idleHelpersRssMb: number;
  readonly busyMaxRssMb: number;
  readonly busyCpuPercent: number;
  /** Updates the bot applied per second while only the busy agent was publishing. */
  readonly busyUpdatesPerSec: number;
}

/** Accounts the agent phase logs in as (created with the others at start). */
export const AGENT_ACCOUNTS = ["agentidle", "agentbusy", "agentidlec", "agentbusyc"] as const;

const FLAPPING_CHECKS = 20;

function agentYaml(ctx: BenchContext, source: string, busy: boolean): string {
  const { prosody } = ctx.server;
  const checks = Array.from(
    { length: FLAPPING_CHECKS },
    (_, i) => `  - id: flap-${i}
    command: ["/bin/sh", "-c", "exit $(( $(date +%s) % 2 * 2 ))"]
    interval: 1s`,
  ).join("\n");
  return `xmpp:
  jid: ${source}@${prosody.domain}
  password: ${BENCH_PASSWORD}
  service: xmpp://127.0.0.1:${prosody.c2sPort}
  pubsub: ${prosody.pubsubJid}
  bot: ${prosody.botJid}
source: ${source}
state_dir: ${JSON.stringify(join(ctx.workDir, `state-${source}`))}
alerts:
  - id: disk-full
    summary: Disk / is 97% full
    importance: 80
    state: raised
  - id: backup-stale
    state: cleared
${busy ? `checks:\n${checks}\ncheck_runner:\n  max_concurrent: 8\nheartbeat:\n  interval: 10s` : "heartbeat:\n  interval: 5m"}
`;
}

async function rssOf(pids: readonly number[]): Promise<number> {
  const readings = await Promise.all(pids.map((p) => readProc(p)));
  return readings.reduce((sum, r) => sum + (r?.rssMb ?? 0), 0);
}

/** Measures idle and busy agents started with `nodeArgs` (the entry point and its loader). */
export async function measureAgent(
  ctx: BenchContext,
  bot: Worker,
  nodeArgs: readonly string[],
  sources: readonly [string, string],
  label: string,
): Promise<AgentFootprint> {
  const files = await Promise.all(
    sources.map(async (source, i) => {
      const file = join(ctx.workDir, `${source}.yaml`);
      await writeFile(file, agentYaml(ctx, source, i === 1), { mode: 0o600 });
      return file;
    }),
  );
  const started: AgentProcess[] = [];
  try {
    const idle = startAgentProcess(nodeArgs, files[0]!, ctx.repoDir, join(ctx.workDir, `${sources[0]}.log`));
    started.push(idle);
    await idle.running;
    // Idle first, alone: its CPU figure is not shared with the busy one's check processes.
    const idleSampler = new ProcSampler(idle.pid);
    await idleSampler.start();
    await sleep(ctx.sizes.agentIdleMs);
    const idleWindow = await idleSampler.stop();
    const idleHelpersRssMb = await rssOf(await descendants(idle.pid));

    const busy = startAgentProcess(nodeArgs, files[1]!, ctx.repoDir, join(ctx.workDir, `${sources[1]}.log`));
    started.push(busy);
    await busy.running;
    const before = await bot.call<SubscriberCounters>("counters");
    const busySampler = new ProcSampler(busy.pid, 250);
    await busySampler.start();
    await sleep(ctx.sizes.agentBusyMs);
    const busyWindow = await busySampler.stop();
    const after = await bot.call<SubscriberCounters>("counters");
    ctx.progress(`  ${label}: idle ${idleWindow.rssMb.toFixed(1)} MB, busy max ${busyWindow.maxRssMb.toFixed(1)} MB`);
    return {
      command: `node ${nodeArgs.join(" ")} --config F`,
      idleRssMb: idleWindow.rssMb,
      idleCpuPercent: idleWindow.cpuPercent,
      idleHelpersRssMb,
      busyMaxRssMb: busyWindow.maxRssMb,
      busyCpuPercent: busyWindow.cpuPercent,
      busyUpdatesPerSec: (after.applied - before.applied) / (ctx.sizes.agentBusyMs / 1000),
    };
  } finally {
    await Promise.all(started.map((a) => a.stop()));
  }
}
