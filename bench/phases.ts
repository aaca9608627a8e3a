// The phases after the baseline/bot comparison, each starting and stopping what it needs.
import type { Worker } from "./children.js";
import { ACKERS, ON_CALL } from "./bot-config.js";
import { startBotWorker } from "./bot-worker.js";
import { BENCH_PASSWORD, type BenchContext } from "./context.js";
import { shebangNodeFlags } from "./installed-flags.js";
import { join } from "node:path";
import { AGENT_ACCOUNTS, measureAgent } from "./phase-agent.js";
import { measureOpenAlerts } from "./phase-open-alerts.js";
import { measureStormPeople } from "./phase-storm-people.js";
import { RemotePeople } from "./remote-people.js";
import { measureScale } from "./phase-scale.js";
import { Person } from "./person.js";
import type { BenchResults } from "./results.js";

function login(ctx: BenchContext, name: string): Promise<Person> {
  return Person.login({
    service: ctx.target.service,
    domain: ctx.server.prosody.domain,
    name,
    password: BENCH_PASSWORD,
  });
}

/** The agent phase on its own (when the comparison, which leaves a bot up for it, is not run). */
export async function agentPhase(ctx: BenchContext): Promise<BenchResults["agent"]> {
  const bot = await startBotWorker(ctx, "bot-agent");
  try {
    return await agentFootprints(ctx, bot.worker);
  } finally {
    await bot.worker.stop();
  }
}

/** The real agent idle and busy, under tsx and (when the tree was compiled) as installed, against the running bot `bot`. */
export async function agentFootprints(ctx: BenchContext, bot: Worker): Promise<NonNullable<BenchResults["agent"]>> {
  ctx.progress("agent: real mauve-agent processes");
  const [idle, busy, idleC, busyC] = AGENT_ACCOUNTS;
  const tsx = await measureAgent(ctx, bot, ["--import", "tsx", "agents/mauve-agent.ts"], [idle, busy], "tsx");
  let compiled = null;
  if (ctx.compiledDir) {
    const entry = join(ctx.compiledDir, "agents", "mauve-agent.js");
    compiled = await measureAgent(ctx, bot, [...shebangNodeFlags(entry), entry], [idleC, busyC], "compiled");
  }
  const nodes = AGENT_ACCOUNTS.map((a) => `mauve/alerts/${a}`);
  await bot.call("deleteNodesAsBot", { nodes, service: ctx.server.prosody.pubsubJid }, 60_000);
  return { tsx, compiled };
}

/**
 * A fresh bot raising many open alerts, measured for memory; then, with them open and a silence in
 * force, acks answered with nothing arriving and with updates arriving (people in a big storm).
 */
export async function openAlertsPhase(
  ctx: BenchContext,
  { people = true }: { people?: boolean } = {},
): Promise<Pick<BenchResults, "openAlerts" | "stormPeople">> {
  ctx.progress(`open alerts: a fresh bot raising ${ctx.sizes.openAlerts.toLocaleString("en-US")} alerts`);
  const bot = await startBotWorker(ctx, "bot-open", ["--expose-gc"]);
  const alice = await login(ctx, ON_CALL);
  let ackers: RemotePeople | undefined;
  try {
    const openAlerts = await measureOpenAlerts(bot.worker, bot.database, ctx.sizes.openAlerts);
    ctx.progress(
      `  RSS ${openAlerts.rssBeforeMb.toFixed(1)} -> ${openAlerts.rssAfterMb.toFixed(1)} MB in ${openAlerts.seconds.toFixed(1)} s`,
    );
    if (!people) return { openAlerts, stormPeople: null };
    ackers = await RemotePeople.start(ctx, ACKERS, BENCH_PASSWORD);
    const stormPeople = await measureStormPeople(
      ctx,
      bot.worker,
      bot.database,
      alice,
      ackers.people,
      openAlerts.raised,
    );
    ctx.progress(
      `  with ${openAlerts.raised.toLocaleString("en-US")} open alerts and a silence (audit feed caught up in ${stormPeople.auditCatchUpSeconds.toFixed(0)} s): ack->reply p99 ${stormPeople.idle.latency?.p99} ms, ` +
        `${stormPeople.arriving.latency?.p99} ms with ${stormPeople.updatesPerSec} updates/s arriving ` +
        `(${stormPeople.idle.failed + stormPeople.arriving.failed} unanswered)`,
    );
    return { openAlerts, stormPeople };
  } finally {
    await ackers?.stop();
    await alice.stop();
    await bot.worker.stop();
  }
}

/** Prosody restarted (so its memory per connection starts from a clean process), a fresh bot, N agents. */
export async function scalePhase(ctx: BenchContext): Promise<BenchResults["scale"]> {
  ctx.progress(
    `scale: ${ctx.sizes.agents.toLocaleString("en-US")} agents, heartbeat every ${ctx.sizes.heartbeatMs / 1000} s`,
  );
  await ctx.server.prosody.restart();
  const prosodyPid = await ctx.server.pid();
  const bot = await startBotWorker(ctx, "bot-scale");
  const alice = await login(ctx, ON_CALL);
  try {
    return await measureScale(ctx, bot.worker, bot.database, prosodyPid);
  } finally {
    await alice.stop();
    await bot.worker.stop();
  }
}
