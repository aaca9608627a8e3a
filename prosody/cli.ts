// `npm run prosody -- <command>`: run the private Prosody in the foreground, or add accounts to it.
import { randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createInterface } from "node:readline/promises";
import { parseArgs } from "node:util";
import { registerAccount } from "./accounts.js";
import { runDirLayout, startProsody } from "./launcher.js";
import type { ProsodyOptions, RunningProsody } from "./launcher.js";

const HELP = `Usage:
  npm run prosody -- start [options]            run Prosody in the foreground until Ctrl-C
  npm run prosody -- register <user> [<pass>]   create <user>@<domain> or reset its password
                                                (no <pass>: read one line from stdin)
Options:
  --dir DIR              run directory: config, data, pid file, logs (default .demo/prosody)
  --domain DOMAIN        XMPP domain (start only; default mauve.localhost)
  --c2s-port N           client port on 127.0.0.1 (start only; default or 0: a free port)
  --component-port N     component port on 127.0.0.1 (start only; default or 0: a free port)
  --bot NAME             add the external component NAME.<domain>; its secret comes from
                         $MAUVE_BOT_SECRET, else is generated into DIR/bot-secret (mode 0600)
  --storage KIND         internal (files, default) or sql (SQLite)
  --tls                  require STARTTLS on c2s, with a certificate for <domain> signed by a
                         CA made anew at each start (its file is printed; agents trust it with
                         NODE_EXTRA_CA_CERTS=<that file>, other clients with their CA setting)
  --log-level LEVEL      debug, info (default) or warn; the log is DIR/prosody.log
  -h, --help             this text
register talks to the server last started in --dir (it reads DIR/prosody.json).`;

const { values: opts, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    dir: { type: "string", default: ".demo/prosody" },
    domain: { type: "string" },
    "c2s-port": { type: "string" },
    "component-port": { type: "string" },
    bot: { type: "string" },
    storage: { type: "string" },
    tls: { type: "boolean", default: false },
    "log-level": { type: "string" },
    help: { type: "boolean", short: "h" },
  },
});

function oneOf<T extends string>(name: string, value: string | undefined, allowed: readonly T[]): T | undefined {
  if (value === undefined || (allowed as readonly string[]).includes(value)) return value as T | undefined;
  throw new Error(`--${name} must be one of ${allowed.join(", ")}`);
}

/** A TCP port given on the command line: a whole number up to 65535 (0: a free one), else a clear error. */
function port(name: string, value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65_535)
    throw new Error(`--${name} must be a port number (0 for a free one, up to 65535), not ${JSON.stringify(value)}`);
  return n;
}

async function botSecret(dir: string): Promise<string> {
  const fromEnv = process.env["MAUVE_BOT_SECRET"];
  if (fromEnv) return fromEnv;
  const { runDir } = runDirLayout(dir);
  await mkdir(runDir, { recursive: true });
  const file = join(runDir, "bot-secret");
  const kept = (await readFile(file, "utf8").catch(() => "")).trim();
  if (kept) return kept;
  const secret = randomBytes(18).toString("base64url");
  await writeFile(file, secret + "\n", { mode: 0o600 });
  return secret;
}

async function start(): Promise<void> {
  const options: ProsodyOptions = { runDir: opts.dir };
  if (opts.domain) options.domain = opts.domain;
  if (opts["c2s-port"] !== undefined) options.c2sPort = port("c2s-port", opts["c2s-port"]);
  if (opts["component-port"] !== undefined) options.componentPort = port("component-port", opts["component-port"]);
  if (opts.tls) options.tls = true;
  if (opts.bot) options.botComponent = { name: opts.bot, secret: await botSecret(opts.dir) };
  const storage = oneOf("storage", opts.storage, ["internal", "sql"] as const);
  if (storage) options.storage = storage;
  const level = oneOf("log-level", opts["log-level"], ["debug", "info", "warn"] as const);
  if (level) options.logLevel = level;
  const prosody = await startProsody(options);
  console.log(`Prosody for ${prosody.domain} on 127.0.0.1: c2s ${prosody.c2sPort}, component ${prosody.componentPort}`);
  console.log(`pubsub ${prosody.pubsubJid}, rooms ${prosody.mucJid}${prosody.botJid ? `, bot ${prosody.botJid}` : ""}`);
  if (prosody.tlsCaFile) console.log(`TLS required on c2s; the run's CA: ${prosody.tlsCaFile}`);
  console.log(`log ${prosody.logFile}; Ctrl-C stops it.`);
  const pid = Number(await readFile(runDirLayout(opts.dir).pidFile, "utf8"));
  let stopping = false;
  const stop = async () => {
    stopping = true;
    await prosody.stop();
    process.exit(0);
  };
  process.once("SIGINT", () => void stop());
  process.once("SIGTERM", () => void stop());
  // Prosody dying on its own ends this command too, with the reason from its log.
  setInterval(() => {
    if (stopping) return;
    try {
      process.kill(pid, 0);
    } catch {
      void prosody.readLog().then((log) => {
        console.error(
          `Prosody exited. Last lines of ${prosody.logFile}:\n${log.trimEnd().split("\n").slice(-20).join("\n")}`,
        );
        process.exit(1);
      });
    }
  }, 1000);
}

async function readLine(): Promise<string> {
  const rl = createInterface({ input: process.stdin });
  try {
    return await rl.question("");
  } finally {
    rl.close();
  }
}

async function register(user: string | undefined, pass: string | undefined): Promise<void> {
  if (!user) throw new Error("register needs <user>; see --help");
  const { stateFile, configFile } = runDirLayout(opts.dir);
  const saved = await readFile(stateFile, "utf8").catch(() => {
    throw new Error(`no Prosody was started in ${opts.dir} (${stateFile} is missing)`);
  });
  const state = JSON.parse(saved) as RunningProsody;
  const password = pass ?? (await readLine());
  await registerAccount(configFile, `${user}@${state.domain}`, password);
  console.log(`registered ${user}@${state.domain}`);
}

const [command, ...rest] = positionals;
try {
  if (opts.help || command === undefined) console.log(HELP);
  else if (command === "start") await start();
  else if (command === "register") await register(rest[0], rest[1]);
  else throw new Error(`unknown command ${JSON.stringify(command)}; see --help`);
} catch (err) {
  console.error(`prosody: ${(err as Error).message}`);
  process.exit(1);
}
