// `npm run bench`: mauve-xmpp measured against its server's own pubsub ceiling, in one run
// (Prosody, ejabberd, or both one after the other: --server).
// See --help (options.ts) and docs/performance.md.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { cpus, loadavg, release, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ACKERS, ON_CALL } from "./bot-config.js";
import { BENCH_PASSWORD, type BenchContext } from "./context.js";
import { buildCompiled } from "./build.js";
import { terminate, track } from "./children.js";
import { hrMs } from "./hrtime.js";
import { parseOptions } from "./options.js";
import { AGENT_ACCOUNTS } from "./phase-agent.js";
import { scaleAccounts } from "./phase-scale.js";
import { comparePhases, publisherAccounts } from "./phase-compare.js";
import { agentFootprints, agentPhase, openAlertsPhase, scalePhase } from "./phases.js";
import { peerPhase } from "./phase-peer.js";
import { soakPhase } from "./phase-soak.js";
import { boardPhase } from "./phase-board.js";
import { takeoverPhase } from "./phase-takeover.js";
import { renderTable } from "./report.js";
import type { BenchResults, MachineInfo } from "./results.js";
import { SERVER_NAMES, startBenchServer, type BenchServer, type ServerKind } from "./server.js";
import { compareServers, renderServerComparison } from "./server-compare.js";
import { judgeTargets } from "./targets.js";
import { alertBotNodeFlags } from "./installed-flags.js";

const options = parseOptions(process.argv.slice(2));
const repoDir = fileURLToPath(new URL("..", import.meta.url));
const progress = (line: string): void => void process.stderr.write(`bench: ${line}\n`);
let server: BenchServer | undefined;
let workDir = "";

// Ctrl-C: stop Prosody and remove temporary files; workers and agents die with us (children.ts).
let interrupted = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    progress(`${signal}: cleaning up`);
    void cleanup().finally(() => process.exit(130));
  });
}

// --contended: a busy loop in its own process for the whole run, competing for the cores the way
// other work on a shared machine does (killed with the bench, see children.ts).
let hog: ChildProcess | undefined;
function startHog(): void {
  hog = track(spawn(process.execPath, ["-e", "for (;;) {}"], { stdio: "ignore" }));
  progress(`contended: CPU hog running as pid ${hog.pid}`);
}

async function cleanup(keepFiles = options.keep): Promise<void> {
  if (hog) await terminate(hog);
  await server?.dispose(keepFiles).catch(() => undefined);
  if (workDir && !keepFiles) await rm(workDir, { recursive: true, force: true }).catch(() => undefined);
}

function serverVersion(kind: ServerKind): string {
  try {
    if (kind === "ejabberd")
      return `ejabberd ${execFileSync("dpkg-query", ["-W", "-f", "${Version}", "ejabberd"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] })}`;
    return (
      /Prosody [\w.]+/.exec(
        execFileSync("prosodyctl", ["about"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }),
      )?.[0] ?? "Prosody ?"
    );
  } catch {
    return `${SERVER_NAMES[kind]} ?`;
  }
}

function machine(s: BenchServer): MachineInfo {
  return {
    cpu: cpus()[0]?.model.trim() ?? "?",
    cores: cpus().length,
    memoryGb: Math.round(totalmem() / 1024 ** 3),
    kernel: release(),
    node: process.versions.node,
    server: s.kind,
    prosody: serverVersion(s.kind),
    storage: s.storage,
    loadAverage: loadavg().map((x) => Math.round(x * 100) / 100),
    contended: options.contended,
  };
}

/** Every chosen server in turn, with the same sizes; the tree is compiled once for all of them. */
async function main(): Promise<BenchResults[]> {
  const { sizes } = options;
  workDir = options.keep
    ? join(repoDir, ".bench", `run-${Date.now()}`)
    : await mkdtemp(join(tmpdir(), "mauve-bench-work-"));
  await mkdir(workDir, { recursive: true });
  progress(`mode ${sizes.mode}; servers ${options.servers.join(", ")}; files in ${workDir}`);
  if (options.experiments.size > 0)
    progress(`EXPERIMENT ${[...options.experiments].join(", ")}: figures are not the product as shipped`);
  if (options.contended) startHog();
  let compiledDir: string | null = null;
  if (sizes.compiled) {
    progress("compiling the tree with tsc into .bench/dist (bot workers and an agent run from there, as installed)");
    compiledDir = await buildCompiled(repoDir);
    if (!compiledDir)
      progress("WARNING: compiling failed; running everything under tsx (memory figures include tsx's loader)");
  }
  const all: BenchResults[] = [];
  for (const kind of options.servers) {
    const serverDir = options.servers.length > 1 ? join(workDir, kind) : workDir;
    await mkdir(serverDir, { recursive: true });
    all.push(await runOn(kind, serverDir, compiledDir));
    await server?.dispose(options.keep);
    server = undefined;
  }
  return all;
}

/** The chosen phases on a fresh server of one kind. */
async function runOn(kind: ServerKind, serverDir: string, compiledDir: string | null): Promise<BenchResults> {
  const { sizes, phases } = options;
  const started = hrMs();
  progress(
    kind === "prosody"
      ? `server: Prosody, ${options.storage} storage`
      : "server: ejabberd (Mnesia, ejabberd/config.ts)",
  );
  server = await startBenchServer(kind, options.storage);
  const accounts = [
    ...publisherAccounts(sizes.publishers),
    ON_CALL,
    ...ACKERS,
    ...AGENT_ACCOUNTS,
    ...scaleAccounts(sizes.agents),
  ];
  await server.createAccounts(accounts, BENCH_PASSWORD);
  const { prosody } = server;
  const ctx: BenchContext = {
    compiledDir,
    server,
    sizes,
    workDir: serverDir,
    repoDir,
    prosodyPid: await server.pid(),
    target: {
      service: `xmpp://127.0.0.1:${prosody.c2sPort}`,
      domain: prosody.domain,
      pubsub: prosody.pubsubJid,
      bot: prosody.botJid,
      password: BENCH_PASSWORD,
    },
    experiments: options.experiments,
    botNodeFlags: [
      ...alertBotNodeFlags(repoDir),
      ...(options.profile ? ["--cpu-prof", "--cpu-prof-dir", join(repoDir, ".bench", "profiles")] : []),
    ],
    progress,
  };
  const results: BenchResults = {
    version: 1,
    startedAt: new Date().toISOString(),
    machine: machine(server),
    sizes,
    runtime: compiledDir ? "compiled (node .bench/dist/...)" : "tsx",
    experiments: [...options.experiments],
    baseline: null,
    bot: null,
    ratios: null,
    rounds: [],
    agent: null,
    openAlerts: null,
    stormPeople: null,
    scale: null,
    peer: null,
    soak: null,
    board: null,
    takeover: null,
    targets: [],
    durationSeconds: NaN,
  };
  if (phases.has("compare")) {
    Object.assign(
      results,
      await comparePhases(ctx, phases.has("agent") ? (bot) => agentFootprints(ctx, bot) : undefined),
    );
  } else if (phases.has("agent")) {
    results.agent = await agentPhase(ctx);
  }
  if (phases.has("board")) results.board = await boardPhase(ctx); // issue 14
  if (phases.has("open-alerts")) Object.assign(results, await openAlertsPhase(ctx));
  if (phases.has("scale")) results.scale = await scalePhase(ctx);
  if (phases.has("peer")) results.peer = await peerPhase(ctx, results.openAlerts);
  // Issue 13: failover is built on Prosody's one stream per component JID (docs/failover.md).
  if (phases.has("takeover") && kind === "prosody") results.takeover = await takeoverPhase(ctx);
  else if (phases.has("takeover"))
    progress("takeover: not measured on ejabberd: failover is supported on Prosody only (docs/failover.md)");
  if (phases.has("soak")) results.soak = await soakPhase(ctx, options.soakMinutes, options.soakRetentionMs);
  results.targets = judgeTargets(results);
  results.durationSeconds = Math.round((hrMs() - started) / 1000);
  return results;
}

try {
  const all = await main();
  await cleanup();
  for (const results of all) process.stdout.write(renderTable(results));
  if (all.length === 1) process.stdout.write(JSON.stringify(all[0]) + "\n");
  else {
    const comparison = compareServers(all);
    process.stdout.write(renderServerComparison(comparison));
    process.stdout.write(JSON.stringify({ version: 1, comparison, runs: all }) + "\n");
  }
  process.exit(0);
} catch (err) {
  progress(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  // A failed run keeps its files: the workers' and Prosody's logs say why.
  if (workDir) progress(`worker logs kept in ${workDir}`);
  await cleanup(true);
  process.exit(1);
}
