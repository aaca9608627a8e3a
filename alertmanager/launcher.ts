// Starts a private Prometheus Alertmanager (Debian's prometheus-alertmanager) for tests and the
// benchmark: loopback only, a free port, its own data directory and log, clustering off, and the
// routing its caller gives. The webhook tests send alerts through it to AlertBot; the benchmark's
// peer phase measures it beside AlertBot.
import { spawn } from "node:child_process";
import { mkdir, open, readFile, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { pickFreePorts } from "../prosody/ports.js";
import { killOnExit, terminate } from "../prosody/process.js";

/** An alert as Alertmanager's API v2 takes it (POST /api/v2/alerts); endsAt in the past resolves it. */
export interface PostableAlert {
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  startsAt?: string;
  endsAt?: string;
}

/** How to run the private Alertmanager. */
export interface AlertmanagerOptions {
  /** Its directory: alertmanager.yml, alertmanager-data/ and alertmanager.log go here. */
  runDir: string;
  /** Its configuration file's text (YAML): the routing and the receivers. */
  config: string;
  /** Default "info"; "debug" logs every notification it sends. */
  logLevel?: "debug" | "info" | "warn";
}

/** A running private Alertmanager. */
export interface AlertmanagerHandle {
  /** Its API and UI, http://127.0.0.1:<port>. */
  readonly url: string;
  readonly pid: number;
  /** "Alertmanager <version>" as its status API says ("Alertmanager ?" if it did not say). */
  readonly version: string;
  /** Its stdout and stderr (Alertmanager logs to stderr). */
  readonly logFile: string;
  /** Posts alerts in one request; resolves once Alertmanager took them, rejects with its answer if it refused. */
  post(alerts: readonly PostableAlert[]): Promise<void>;
  /** The whole log so far ("" before the first line). */
  readLog(): Promise<string>;
  /** SIGTERM, wait for exit, SIGKILL after a timeout. */
  stop(): Promise<void>;
}

/** Where a run directory keeps each file. */
export function alertmanagerRunDirLayout(runDir: string) {
  const dir = resolve(runDir);
  return {
    runDir: dir,
    configFile: join(dir, "alertmanager.yml"),
    dataDir: join(dir, "alertmanager-data"),
    logFile: join(dir, "alertmanager.log"),
  };
}

const READY_TIMEOUT_MS = 30_000;
const READY_POLL_MS = 100;
const STOP_TIMEOUT_MS = 10_000;

/**
 * Starts Alertmanager and resolves once its /-/ready answers. Rejects with the end of its log if
 * it cannot be run, exits, or is not ready within 30 s.
 */
export async function startAlertmanager(options: AlertmanagerOptions): Promise<AlertmanagerHandle> {
  const paths = alertmanagerRunDirLayout(options.runDir);
  await mkdir(paths.dataDir, { recursive: true });
  await writeFile(paths.configFile, options.config);
  const [port] = await pickFreePorts(1);
  const url = `http://127.0.0.1:${port}`;
  const out = await open(paths.logFile, "w");
  const child = spawn(
    "prometheus-alertmanager",
    [
      `--config.file=${paths.configFile}`,
      `--storage.path=${paths.dataDir}`,
      `--web.listen-address=127.0.0.1:${port}`,
      // Empty: no cluster listener, so no gossip port and no peers.
      "--cluster.listen-address=",
      `--log.level=${options.logLevel ?? "info"}`,
    ],
    { cwd: paths.runDir, stdio: ["ignore", out.fd, out.fd] },
  );
  // Listening before the first await: a missing binary's 'error' comes on the next tick.
  let failed: string | undefined;
  child.once("exit", (code, signal) => (failed = `Alertmanager exited early (${signal ?? `code ${code}`})`));
  child.once("error", (err) => (failed = `cannot run prometheus-alertmanager: ${err.message}`));
  killOnExit(child);
  await out.close();
  const readLog = (): Promise<string> => readFile(paths.logFile, "utf8").catch(() => "");
  try {
    await waitReady(url, () => failed);
  } catch (err) {
    await terminate(child, STOP_TIMEOUT_MS);
    const tail = (await readLog()).split("\n").slice(-40).join("\n");
    throw new Error(`${(err as Error).message}\n--- ${paths.logFile} (last 40 lines) ---\n${tail}`, { cause: err });
  }
  return {
    url,
    pid: child.pid ?? -1,
    version: await versionOf(url),
    logFile: paths.logFile,
    post: (alerts) => post(url, alerts),
    readLog,
    stop: () => terminate(child, STOP_TIMEOUT_MS),
  };
}

async function waitReady(url: string, failure: () => string | undefined): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    const ready = await fetch(`${url}/-/ready`).then(
      (r) => r.ok,
      () => false,
    );
    const failed = failure();
    if (failed !== undefined) throw new Error(failed);
    if (ready) return;
    if (Date.now() > deadline) throw new Error(`Alertmanager was not ready within ${READY_TIMEOUT_MS / 1000} s`);
    await sleep(READY_POLL_MS);
  }
}

async function versionOf(url: string): Promise<string> {
  return fetch(`${url}/api/v2/status`)
    .then((r) => r.json() as Promise<{ versionInfo?: { version?: string } }>)
    .then((s) => `Alertmanager ${s.versionInfo?.version ?? "?"}`)
    .catch(() => "Alertmanager ?");
}

async function post(url: string, alerts: readonly PostableAlert[]): Promise<void> {
  const res = await fetch(`${url}/api/v2/alerts`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(alerts),
  });
  if (!res.ok) throw new Error(`Alertmanager refused the alerts: ${res.status} ${await res.text()}`);
}
