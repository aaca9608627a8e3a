// Starts a private Prosody (own config, data, pid file, loopback ports) for demo, tests and benchmark.
import { chmod, mkdir, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { registerAccount } from "./accounts.js";
import { renderProsodyConfig } from "./config.js";
import { ensureProsodyInstalled } from "./install.js";
import { accepts, pickFreePorts } from "./ports.js";
import { killStale, PrivateServer, type ServerStart } from "./process.js";
import { useWriteAheadLog } from "./sqlite-journal.js";
import { makeServerCertificate } from "./tls.js";

/**
 * How to run the private Prosody; omitted ports (or 0) are picked free on 127.0.0.1.
 * Prosody opens the component port only when an external component exists, i.e. with `botComponent`.
 */
export interface ProsodyOptions {
  runDir: string;
  domain?: string /* "mauve.localhost" */;
  c2sPort?: number /* 0 = pick a free port */;
  componentPort?: number /* 0 = pick free */;
  botComponent?: { name: string /* "alertbot" → alertbot.<domain> */; secret: string };
  /** A second component for a standby AlertBot, e.g. "standby.alertbot" → standby.alertbot.<domain>; needs botComponent. */
  standbyComponent?: { name: string };
  /** Who keeps a component JID connected twice: "kick_old" (default: the newcomer) or "kick_new" (the holder). */
  conflictResolve?: "kick_old" | "kick_new";
  storage?: "internal" | "sql";
  logLevel?: "debug" | "info" | "warn";
  /** Default true; false leaves expose_publisher off, as a mis-set server would. */
  exposePublisher?: boolean;
  /**
   * c2s with TLS as in production: a CA made for this run signs a certificate for `domain`, and
   * clients must do STARTTLS (`c2s_require_encryption`). The handle's `tlsCaFile` is that CA.
   */
  tls?: boolean;
  /** Accounts (localparts) that are the server's admins, as its operators' are (tests of what an admin can do). */
  admins?: readonly string[];
}

/** A running private Prosody and the addresses of its services. */
export interface ProsodyHandle {
  readonly domain: string;
  readonly pubsubJid: string;
  readonly mucJid: string;
  readonly botJid: string; // "" without `botComponent`
  readonly c2sPort: number;
  readonly componentPort: number;
  readonly runDir: string;
  readonly logFile: string;
  /** PEM certificate of the CA that signed the server's certificate; "" without TLS. */
  readonly tlsCaFile?: string;
  /** Creates the account or resets its password (idempotent); the password travels on stdin, never argv. */
  register(localpart: string, password: string): Promise<void>;
  /** SIGTERM, wait for exit, SIGKILL after a timeout. */
  stop(): Promise<void>;
  /** Starts it again after stop(), with the same ports and data (an outage of any length in between). */
  start(): Promise<void>;
  /** Stops and starts again with the same ports and data. */
  restart(): Promise<void>;
  /** The whole Prosody log file ("" before the first line). */
  readLog(): Promise<string>;
}

/** Where a run directory keeps each file; the CLI and tests may read them. */
export function runDirLayout(runDir: string) {
  const dir = resolve(runDir);
  return {
    runDir: dir,
    configFile: join(dir, "prosody.cfg.lua"),
    dataDir: join(dir, "data"),
    certsDir: join(dir, "certs"),
    pidFile: join(dir, "prosody.pid"),
    logFile: join(dir, "prosody.log"),
    consoleFile: join(dir, "prosody.console"), // Prosody's stdout/stderr: config errors land here
    stateFile: join(dir, "prosody.json"), // RunningProsody: addresses for the CLI and humans
  };
}

const READY_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 5_000;
// Prosody's defaults; a private server on one of them would collide with the system's.
const RESERVED_PORTS = new Set([5222, 5223, 5269, 5347, 5280, 5281]);
const HOSTNAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/;

/**
 * Starts Prosody (killing a stale one left in the same run directory) and resolves once its
 * c2s port, and the component port if there is a bot, answer XMPP streams for our hosts.
 * Rejects with the tail of Prosody's log if it exits or is not ready within 15 s.
 */
export async function startProsody(options: ProsodyOptions): Promise<ProsodyHandle> {
  ensureProsodyInstalled();
  const domain = options.domain ?? "mauve.localhost";
  const bot = options.botComponent;
  if (!HOSTNAME.test(domain)) throw new Error(`invalid domain: ${JSON.stringify(domain)}`);
  if (bot && !HOSTNAME.test(bot.name)) throw new Error(`invalid bot component name: ${JSON.stringify(bot.name)}`);
  const standby = options.standbyComponent;
  if (standby && (!bot || !HOSTNAME.test(standby.name)))
    throw new Error(`invalid standby component: ${JSON.stringify(standby.name)} (needs botComponent too)`);
  const paths = runDirLayout(options.runDir);
  await mkdir(paths.dataDir, { recursive: true });
  await mkdir(paths.certsDir, { recursive: true });
  await killStale(paths.pidFile, paths.configFile, STOP_TIMEOUT_MS);
  if (options.storage === "sql") useWriteAheadLog(paths.dataDir);
  const [c2sPort, componentPort] = await choosePorts(options.c2sPort ?? 0, options.componentPort ?? 0);
  const tls = options.tls === true ? await makeServerCertificate(paths.certsDir, domain) : undefined;
  const config = renderProsodyConfig({
    ...paths,
    domain,
    c2sPort,
    componentPort,
    logLevel: options.logLevel ?? "info",
    storage: options.storage ?? "internal",
    runAsRoot: process.getuid?.() === 0,
    ...(options.exposePublisher === false ? { exposePublisher: false } : {}),
    ...(options.admins ? { admins: options.admins } : {}),
    ...(bot ? { botComponent: bot } : {}),
    ...(standby ? { standbyComponent: standby } : {}),
    ...(options.conflictResolve ? { conflictResolve: options.conflictResolve } : {}),
    ...(tls ? { tls } : {}),
  });
  // The file holds the component secret: private to its owner before the secret is written.
  await writeFile(paths.configFile, "", { mode: 0o600 });
  await chmod(paths.configFile, 0o600);
  await writeFile(paths.configFile, config);
  const server = new PrivateProsody(domain, bot?.name ?? "", c2sPort, componentPort, paths, tls?.caFile ?? "");
  await server.start();
  const state: RunningProsody = { domain, c2sPort, componentPort, botJid: server.botJid };
  await writeFile(paths.stateFile, JSON.stringify(state, null, 2) + "\n");
  return server;
}

/** What `prosody.json` in a run directory records about the server last started there. */
export interface RunningProsody {
  readonly domain: string;
  readonly c2sPort: number;
  readonly componentPort: number;
  readonly botJid: string;
}

async function choosePorts(c2s: number, component: number): Promise<[number, number]> {
  for (const port of [c2s, component]) {
    if (!Number.isInteger(port) || port < 0 || port > 65535 || RESERVED_PORTS.has(port)) {
      throw new Error(`port ${port} is not allowed: use 0 (pick free) or a non-default port`);
    }
  }
  // A fixed port already in use would let another server answer our readiness probe: refuse it plainly.
  for (const port of [c2s, component]) {
    if (port !== 0 && (await accepts(port))) {
      throw new Error(
        `port ${port} on 127.0.0.1 is already in use by another program; choose another port, or 0 for any free one`,
      );
    }
  }
  const [a = 0, b = 0] = await pickFreePorts(2);
  const chosenC2s = c2s || (a === component ? b : a);
  const chosenComponent = component || (b === chosenC2s ? a : b);
  if (chosenC2s === chosenComponent) throw new Error(`c2s and component ports are both ${chosenC2s}`);
  return [chosenC2s, chosenComponent];
}

class PrivateProsody extends PrivateServer implements ProsodyHandle {
  readonly runDir: string;

  constructor(
    domain: string,
    botName: string,
    c2sPort: number,
    componentPort: number,
    private readonly paths: ReturnType<typeof runDirLayout>,
    readonly tlsCaFile: string,
  ) {
    super(domain, botName === "" ? "" : `${botName}.${domain}`, c2sPort, componentPort, paths.logFile, STOP_TIMEOUT_MS);
    this.runDir = paths.runDir;
  }

  protected prepareStart(): Promise<ServerStart> {
    return Promise.resolve({
      name: "Prosody",
      command: "prosody",
      // -F: foreground, so the child is Prosody itself and its exit is ours to see.
      args: ["-F", "--config", this.paths.configFile],
      cwd: this.runDir,
      consoleFile: this.paths.consoleFile,
      // Prosody logs a port it cannot bind and keeps running: catch that instead of timing out.
      failureLine: /Failed to open server port/,
      readyTimeoutMs: READY_TIMEOUT_MS,
    });
  }

  async register(localpart: string, password: string): Promise<void> {
    await registerAccount(this.paths.configFile, `${localpart}@${this.domain}`, password);
  }
}
