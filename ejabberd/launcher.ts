// Starts a private ejabberd (own config, Mnesia spool, log, Erlang node name and cookie, loopback
// ports) for tests, demo and benchmark: the counterpart of prosody/launcher.ts, with the same
// handle, so a test can run against either server.
import { randomBytes } from "node:crypto";
import { chmod, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { ProsodyHandle } from "../prosody/launcher.js";
import { accepts, pickFreePorts } from "../prosody/ports.js";
import { killStale, PrivateServer, type ServerStart } from "../prosody/process.js";
import { makeServerCertificate } from "../prosody/tls.js";
import { registerEjabberdAccount } from "./accounts.js";
import type { EjabberdNode } from "./ctl.js";
import { distArgs, ejabberdRunDirLayout, erlEnvironment, erlSpoolArg, nameArgs, nodeAddress } from "./erl.js";
import type { Layout } from "./erl.js";
import { renderEjabberdConfig } from "./config.js";
import { ensureEjabberdInstalled, ensureEjabberdSqliteDriver } from "./install.js";

/** How to run the private ejabberd; omitted ports (or 0) are picked free on 127.0.0.1. */
export interface EjabberdOptions {
  runDir: string;
  domain?: string /* "mauve.localhost" */;
  c2sPort?: number /* 0 = pick a free port */;
  componentPort?: number /* 0 = pick free */;
  botComponent?: { name: string /* "alertbot" → alertbot.<domain> */; secret: string };
  /**
   * "internal": Mnesia, ejabberd's default (named as Prosody's). "sql": SQLite, in
   * `<runDir>/ejabberd.sqlite` (needs Debian's erlang-p1-sqlite3).
   */
  storage?: "internal" | "sql";
  logLevel?: "debug" | "info" | "warn";
  /** Default true; false leaves the bot out of pubsub_createnode, as Debian's shipped config does. */
  botMayCreateNodes?: boolean;
  /**
   * For a node of a cluster (ejabberd/cluster.ts): its own loopback address (the host part of its
   * long node name), the distribution port every node of the cluster listens on, and the cookie
   * they share. Omitted: a lone node, "…@localhost" on a port of its own, a random cookie.
   */
  distribution?: { address: string; port: number; cookie: string };
  /**
   * c2s with TLS as in production, as Prosody's launcher does it: a CA made for this run signs a
   * certificate for `domain` (in `<runDir>/certs`, named as Prosody's), and clients must do STARTTLS
   * (`starttls_required`). The handle's `tlsCaFile` is that CA.
   */
  tls?: boolean;
  /** Every new pubsub node's max_payload_size, in bytes (ejabberd's default when omitted). */
  pubsubMaxPayloadBytes?: number;
}

/** A running private ejabberd: the same handle as Prosody's, and how to reach its Erlang node. */
export interface EjabberdHandle extends ProsodyHandle {
  readonly erlNode: EjabberdNode;
}

export { ejabberdRunDirLayout };

/** What `ejabberd.json` in a run directory records about the server last started there. */
export interface RunningEjabberd {
  readonly domain: string;
  readonly c2sPort: number;
  readonly componentPort: number;
  readonly botJid: string;
  /** The Erlang node name: Mnesia's spool belongs to it, so a restart in this directory reuses it. */
  readonly nodeName: string;
  /** The Erlang distribution port (no epmd: nodes and ejabberdctl-like calls connect to it directly). */
  readonly distPort: number;
}

// Generous: the Erlang VM boots slowly on a loaded machine (a CI run with a core kept busy once took
// over a minute from "loading configuration" to serving its ports).
const READY_TIMEOUT_MS = 180_000;
const STOP_TIMEOUT_MS = 10_000;
// ejabberd's and Prosody's defaults, and epmd's: a private server must not collide with a system one.
const RESERVED_PORTS = new Set([4369, 5222, 5223, 5269, 5347, 5280, 5281, 5443]);
const HOSTNAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/;

/**
 * Starts ejabberd (killing a stale one left in the same run directory) and resolves once its c2s
 * port, and the component port if there is a bot, answer XMPP streams for our hosts. Rejects with
 * the tail of ejabberd's log if it exits or is not ready within 60 s.
 */
export async function startEjabberd(options: EjabberdOptions): Promise<EjabberdHandle> {
  ensureEjabberdInstalled();
  if (options.storage === "sql") ensureEjabberdSqliteDriver();
  const domain = options.domain ?? "mauve.localhost";
  const bot = options.botComponent;
  if (!HOSTNAME.test(domain)) throw new Error(`invalid domain: ${JSON.stringify(domain)}`);
  if (bot && !HOSTNAME.test(bot.name)) throw new Error(`invalid bot component name: ${JSON.stringify(bot.name)}`);
  const paths = ejabberdRunDirLayout(options.runDir);
  await mkdir(paths.spoolDir, { recursive: true });
  await mkdir(paths.homeDir, { recursive: true, mode: 0o700 });
  await killStale(paths.pidFile, erlSpoolArg(paths), STOP_TIMEOUT_MS);
  const previous = await readState(paths);
  const dist = options.distribution;
  const [c2sPort, componentPort, ownDistPort] = await choosePorts([options.c2sPort ?? 0, options.componentPort ?? 0]);
  const distPort = dist?.port ?? ownDistPort;
  const level = options.logLevel ?? "info";
  if (options.tls === true) await mkdir(paths.certsDir, { recursive: true });
  const tls = options.tls === true ? await makeServerCertificate(paths.certsDir, domain) : undefined;
  const config = renderEjabberdConfig({
    domain,
    c2sPort,
    componentPort,
    logLevel: level === "warn" ? "warning" : level,
    botCreatesNodes: options.botMayCreateNodes ?? true,
    ...(options.storage === "sql" ? { sqliteFile: join(paths.runDir, "ejabberd.sqlite") } : {}),
    ...(bot ? { botComponent: bot } : {}),
    ...(tls ? { tls } : {}),
    ...(options.pubsubMaxPayloadBytes === undefined ? {} : { pubsubMaxPayloadBytes: options.pubsubMaxPayloadBytes }),
  });
  // The file holds the component secret: private to its owner before the secret is written.
  await writeFile(paths.configFile, "", { mode: 0o600 });
  await chmod(paths.configFile, 0o600);
  await writeFile(paths.configFile, config);
  await writeCookie(paths, dist?.cookie);
  const host = dist?.address ?? "localhost";
  const nodeName =
    previous?.domain === domain && previous.nodeName.endsWith(`@${host}`)
      ? previous.nodeName
      : `mauve-${randomBytes(4).toString("hex")}@${host}`;
  const botJid = bot ? `${bot.name}.${domain}` : "";
  const server = new PrivateEjabberd(
    domain,
    botJid,
    c2sPort,
    componentPort,
    distPort,
    nodeName,
    paths,
    tls?.caFile ?? "",
  );
  await server.start();
  const state: RunningEjabberd = { domain, c2sPort, componentPort, botJid, nodeName, distPort };
  await writeFile(paths.stateFile, JSON.stringify(state, null, 2) + "\n");
  return server;
}

async function readState(paths: Layout): Promise<RunningEjabberd | undefined> {
  const text = await readFile(paths.stateFile, "utf8").catch(() => undefined);
  return text === undefined ? undefined : (JSON.parse(text) as RunningEjabberd);
}

/** The Erlang cookie: `cookie` (a cluster's) or random, mode 0400 (erl refuses a cookie file others can read). */
async function writeCookie(paths: Layout, cookie?: string): Promise<void> {
  const file = join(paths.homeDir, ".erlang.cookie");
  const current = await readFile(file, "utf8").catch(() => undefined);
  if (current !== undefined && (cookie === undefined || current === cookie)) return;
  if (cookie !== undefined && !/^[A-Za-z0-9]{16,}$/.test(cookie))
    throw new Error("cookie: 16 or more letters and digits");
  await rm(file, { force: true });
  await writeFile(file, cookie ?? randomBytes(20).toString("hex"), { mode: 0o400 });
}

async function choosePorts(fixed: number[]): Promise<[number, number, number]> {
  for (const port of fixed) {
    if (!Number.isInteger(port) || port < 0 || port > 65535 || RESERVED_PORTS.has(port)) {
      throw new Error(`port ${port} is not allowed: use 0 (pick free) or a non-default port`);
    }
    if (port !== 0 && (await accepts(port))) {
      throw new Error(
        `port ${port} on 127.0.0.1 is already in use by another program; choose another port, or 0 for any free one`,
      );
    }
  }
  const free = (await pickFreePorts(3)).filter((p) => !fixed.includes(p));
  const take = (given: number): number => given || free.shift()!;
  const c2s = take(fixed[0] ?? 0);
  const component = take(fixed[1] ?? 0);
  const dist = free.shift() ?? (await pickFreePorts(1))[0]!;
  if (new Set([c2s, component, dist]).size !== 3) throw new Error(`ports collide: ${c2s}, ${component}, ${dist}`);
  return [c2s, component, dist];
}

class PrivateEjabberd extends PrivateServer implements EjabberdHandle {
  readonly runDir: string;

  constructor(
    domain: string,
    botJid: string,
    c2sPort: number,
    componentPort: number,
    private readonly distPort: number,
    private readonly nodeName: string,
    private readonly paths: Layout,
    readonly tlsCaFile: string,
  ) {
    super(domain, botJid, c2sPort, componentPort, paths.logFile, STOP_TIMEOUT_MS);
    this.runDir = paths.runDir;
  }

  get erlNode(): EjabberdNode {
    return { paths: this.paths, nodeName: this.nodeName, distPort: this.distPort };
  }

  protected async prepareStart(): Promise<ServerStart> {
    await rm(this.paths.pidFile, { force: true });
    return {
      name: "ejabberd",
      // erl itself, not Debian's ejabberdctl: the child is the server, and its exit is ours to see.
      command: "erl",
      args: [
        ...nameArgs(this.nodeName),
        "-noinput",
        ...distArgs(this.distPort, nodeAddress(this.nodeName)),
        "-mnesia",
        "dir",
        erlSpoolArg(this.paths),
        "-s",
        "ejabberd",
      ],
      cwd: this.runDir,
      env: erlEnvironment(this.paths),
      consoleFile: this.paths.consoleFile,
      // ejabberd logs a config it cannot use, or a port it cannot bind, and may keep running.
      failureLine: /\[critical\]|Failed to open socket|Invalid value of option/,
      readyTimeoutMs: READY_TIMEOUT_MS,
    };
  }

  async register(localpart: string, password: string): Promise<void> {
    await registerEjabberdAccount(this.erlNode, localpart, this.domain, password);
  }
}
