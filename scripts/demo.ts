// `npm run demo`: a private Prosody (or ejabberd), AlertBot and one agent on this machine, alerts flowing to
// "alice", who acknowledges one from chat. Then it keeps running for you to join with any Jabber
// client (or exits, with --once). Everything lives in --dir (default .demo/), nothing system-wide.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { startEjabberd } from "../ejabberd/launcher.js";
import { startProsody } from "../prosody/launcher.js";
import { createChat } from "../src/xmpp/chat.js";
import { connectClient } from "../src/xmpp/connect.js";
import { createPresence } from "../src/xmpp/presence.js";

const HELP = `Usage: npm run demo -- [--server S] [--dir DIR] [--c2s-port N] [--http-port N] [--once] [--standby]

Starts a private XMPP server (loopback only), AlertBot and a mauve-agent for host "web1",
then plays alice: she receives the RAISED alert in chat and answers "ack <id>".
  --server S       prosody (default) or ejabberd (Debian's 23.01, with the rules
                   of ejabberd/config.ts; the agent creates its own node there)
  --dir DIR        where config, databases and logs go (default .demo; the server's
                   files in DIR/prosody or DIR/ejabberd); each run starts afresh
  --c2s-port N     client port for your Jabber client (default 15222; 0 = any free port)
  --http-port N    AlertBot's HTTP port: web board, /metrics, Alertmanager webhook, JSON updates
                   (default 19095; 0 = any free port)
  --once           stop after the ack instead of running until Ctrl-C
  --standby        run a second AlertBot as the standby, then SIGKILL the active and
                   watch the standby take over (docs/failover.md)
`;

const { values: opts } = parseArgs({
  options: {
    server: { type: "string", default: "prosody" },
    dir: { type: "string", default: ".demo" },
    "c2s-port": { type: "string", default: "15222" },
    "http-port": { type: "string", default: "19095" },
    once: { type: "boolean", default: false },
    standby: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (opts.help) {
  process.stdout.write(HELP);
  process.exit(0);
}
const serverKind = opts.server;
if (serverKind !== "prosody" && serverKind !== "ejabberd") {
  process.stderr.write(`--server: expected prosody or ejabberd, got "${serverKind}"\n\n${HELP}`);
  process.exit(2);
}
if (serverKind === "ejabberd" && opts.standby) {
  // ejabberd spreads a component domain's stanzas over all its connections; failover is built on
  // Prosody's one-connection-per-component lock (docs/failover.md).
  process.stderr.write("--standby runs on Prosody only for now (docs/failover.md)\n");
  process.exit(2);
}
const serverName = serverKind === "ejabberd" ? "ejabberd" : "Prosody";

const dir = resolve(opts.dir);
mkdirSync(dir, { recursive: true });
const say = (line: string): void => void process.stdout.write(`\x1b[1m==> ${line}\x1b[0m\n`);

// Every run starts afresh: a previous run's databases would hold its alerts, already told and
// acked, and the demo would wait for a notice that never comes. Only the demo's own files go.
const DEMO_FILES = [
  "prosody",
  "ejabberd",
  "agent-state",
  "alertbot.yaml",
  "alertbot-standby.yaml",
  "agent.yaml",
  "http.token",
  ...["alertbot", "alertbot-standby"].flatMap((db) =>
    ["", "-wal", "-shm", ".snapshot-in", ".snapshot-out"].map((end) => `${db}.sqlite${end}`),
  ),
];
const leftOver = DEMO_FILES.filter((name) => existsSync(join(dir, name)));
if (leftOver.length > 0) {
  say(`starting afresh: removing the previous run's ${leftOver.join(", ")} from ${dir}`);
  for (const name of leftOver) rmSync(join(dir, name), { recursive: true, force: true });
}
const children: ChildProcess[] = [];

const botSecret = randomBytes(18).toString("base64url");
const agentPassword = randomBytes(12).toString("base64url");
const alicePassword = "alice-demo";
// The bearer token of the demo's HTTP senders (Alertmanager, curl), in a file as an admin would keep it.
const httpTokenFile = join(dir, "http.token");
writeFileSync(httpTokenFile, `${randomBytes(18).toString("base64url")}\n`, { mode: 0o600 });

say(`starting a private ${serverName} in ${join(dir, serverKind)}`);
const prosody = await (serverKind === "ejabberd" ? startEjabberd : startProsody)({
  runDir: join(dir, serverKind),
  c2sPort: Number(opts["c2s-port"]),
  componentPort: 0,
  botComponent: { name: "alertbot", secret: botSecret },
  ...(opts.standby ? { standbyComponent: { name: "standby.alertbot" } } : {}),
});
await prosody.register("alice", alicePassword);
await prosody.register("web1", agentPassword);

writeFileSync(
  join(dir, "alertbot.yaml"),
  `# Written by npm run demo.
xmpp:
  service: xmpp://127.0.0.1:${prosody.componentPort}
  component: ${prosody.botJid}
  secret_env: ALERTBOT_COMPONENT_SECRET
  pubsub: ${prosody.pubsubJid}
database: alertbot.sqlite
people:
  - name: alice
    jid: alice@${prosody.domain}
alerts:
  ack_default: 1h
  ack_max: 7d
http:
  listen: "127.0.0.1:${Number(opts["http-port"])}"
  tokens:
    - name: demo
      token_file: http.token
      sources: ["*"]
  board: {}
${opts.standby ? failoverSection() : ""}`,
);
writeFileSync(
  join(dir, "agent.yaml"),
  `# Written by npm run demo.
xmpp:
  jid: web1@${prosody.domain}
  password_env: MAUVE_AGENT_PASSWORD
  service: xmpp://127.0.0.1:${prosody.c2sPort}
  pubsub: ${prosody.pubsubJid}
  bot: ${prosody.botJid}
source: web1
state_dir: agent-state
alerts:
  - id: disk-full
    summary: Disk / is 97% full
    detail: "<p>Run <code>du -sh /var/*</code> to find the culprit.</p>"
    importance: 80
    state: raised
  - id: backup-stale
    summary: Last backup is 3 days old
    state: raised
heartbeat:
  interval: 1m
`,
);

// Where AlertBot's HTTP listener is, from its "listening for HTTP" log line (the port may be chosen free).
let httpPort = 0;

/** Starts an entry point as its own process; resolves when a log line contains `readyWhen`. */
function run(
  name: string,
  script: string,
  config: string,
  env: Record<string, string>,
  readyWhen: string,
): Promise<void> {
  const child = spawn(process.execPath, ["--import", "tsx", script, "--config", config], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "inherit", "pipe"],
  });
  let ready: () => void = () => undefined;
  const isReady = new Promise<void>((resolve) => (ready = resolve));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    for (const line of chunk.trimEnd().split("\n")) {
      process.stdout.write(`\x1b[2m[${name}] ${line}\x1b[0m\n`);
      if (line.includes('"msg":"listening for HTTP"'))
        httpPort = Number((JSON.parse(line) as { port?: number }).port ?? 0);
      if (line.includes(readyWhen)) ready();
    }
  });
  child.on("exit", (code, signal) => {
    if (shuttingDown) return;
    say(`${name} exited (${signal ?? code}); see the lines above`);
    void shutdown(1);
  });
  children.push(child);
  return isReady;
}

let shuttingDown = false;
async function shutdown(code: number): Promise<never> {
  shuttingDown = true;
  for (const c of children) c.kill("SIGTERM");
  await Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once("exit", r)))));
  await prosody.stop();
  process.exit(code);
}
process.on("SIGINT", () => void shutdown(0));
process.on("SIGTERM", () => void shutdown(0));

say("logging in as alice, the admin on call");
const alice = await connectClient({
  service: `xmpp://127.0.0.1:${prosody.c2sPort}`,
  domain: prosody.domain,
  username: "alice",
  password: alicePassword,
  resource: "demo",
});
const chat = createChat(alice);
await createPresence(alice).sendAvailable({ status: "on call" });
let acked = false;
chat.onChat(async (m) => {
  process.stdout.write(`\x1b[36m[alice's chat] ${m.from.split("/")[0]}: ${m.body.replace(/\n/g, "\n    ")}\x1b[0m\n`);
  const raised = /^RAISED #(\d+) web1 disk-full/.exec(m.body);
  if (raised && !acked) {
    acked = true;
    const line = `ack ${raised[1]} for 2h because clearing old logs`;
    say(`alice answers: ${line}`);
    await chat.sendChat(prosody.botJid, line);
  } else if (/acknowledged/.test(m.body)) {
    await chat.sendChat(prosody.botJid, "show");
  } else if (acked && /^#\d+/.test(m.body)) {
    await chat.sendChat(prosody.botJid, "web");
  } else if (/sign-in link/.test(m.body)) {
    // The web board (docs/web.md): alice's one-time link, as she would get it by saying "web".
    say(`web board: http://127.0.0.1:${httpPort}/`);
    say(`sign-in link for alice (works once): ${/(http\S+sign-in\S+)/.exec(m.body)?.[1] ?? "?"}`);
    done();
  }
});

const timeout = setTimeout(
  () => {
    say("the demo did not complete in time; the logs above say why");
    void shutdown(1);
  },
  opts.standby ? 120_000 : 60_000,
);

say("starting AlertBot (bots/alertbot.ts) and the agent for web1 (agents/mauve-agent.ts)");
// The agent would wait for AlertBot by itself (it retries), but starting the bot first is quicker.
await run(
  "alertbot",
  "bots/alertbot.ts",
  join(dir, "alertbot.yaml"),
  { ALERTBOT_COMPONENT_SECRET: botSecret },
  "AlertBot running",
);
say(`AlertBot's HTTP listener (docs/integrations.md; bearer token in ${httpTokenFile}):
      metrics: http://127.0.0.1:${httpPort}/metrics
      alertmanager webhook: http://127.0.0.1:${httpPort}/webhook/alertmanager
      json updates: http://127.0.0.1:${httpPort}/api/update`);
void run(
  "agent",
  "agents/mauve-agent.ts",
  join(dir, "agent.yaml"),
  { MAUVE_AGENT_PASSWORD: agentPassword },
  "mauve-agent running",
);

function done(): void {
  if (opts.standby && !tookOver) return void takeOver();
  clearTimeout(timeout);
  say("the alert was raised, told, acknowledged from chat and listed: the spine works.");
  if (opts.once) {
    void alice.stop().then(() => shutdown(0));
    return;
  }
  // Step aside so that your own client, logging in as alice, gets the chat.
  void alice.stop();
  say(`Now try it yourself with any Jabber client (Gajim, Dino, Conversations, profanity...):
      account  alice@${prosody.domain}   password  ${alicePassword}
      server   127.0.0.1   port ${prosody.c2sPort}   (plain connection: allow unencrypted on this loopback demo)
      chat with ${prosody.botJid}: try "help", "show", "ack <id>"
    Ctrl-C stops everything. Files are in ${dir}.`);
}

// --standby: a second AlertBot takes over from a SIGKILLed one.
let tookOver = false;

/** The default windows (T 20 s, L 10 s, G 11 s): a killed active's JID is free at once, so T plays no part. */
function failoverSection(): string {
  return `failover:
  standby_component: standby.alertbot.${prosody.domain}
`;
}

/** Starts the standby (its own database), SIGKILLs the active, waits for the standby's takeover, asks "show". */
async function takeOver(): Promise<void> {
  tookOver = true;
  const configB = join(dir, "alertbot-standby.yaml");
  writeFileSync(
    configB,
    readFileSync(join(dir, "alertbot.yaml"), "utf8")
      .replace("database: alertbot.sqlite", "database: alertbot-standby.sqlite")
      .replace(/http:\n {2}listen: "[^"]*"/, 'http:\n  listen: "127.0.0.1:0"'),
  );
  say("starting a second AlertBot: it starts as the standby and follows the replica log");
  await run("standby", "bots/alertbot.ts", configB, { ALERTBOT_COMPONENT_SECRET: botSecret }, '"msg":"active seen"');
  const [active, , standby] = children;
  active!.removeAllListeners("exit");
  say("SIGKILL to the active AlertBot");
  const killedAt = Date.now();
  active!.kill("SIGKILL");
  children.splice(0, 1); // gone: shutdown must not wait for it
  await new Promise<void>((resolveTakeover) => {
    standby!.stderr!.on("data", (chunk: string) => {
      if (chunk.includes("took over: now the active")) resolveTakeover();
    });
  });
  say(
    `the standby took over ${Date.now() - killedAt} ms after the kill (the server said nobody held the JID); ` +
      `alice asks it "show": its first send waits for the grace G (11 s), so that a cut-off active's lease runs out first`,
  );
  await chat.sendChat(prosody.botJid, "show");
}
