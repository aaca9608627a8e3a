// Two AlertBot processes with a `failover` section (docs/failover.md) against one test Prosody:
// each its own directory and SQLite file, one standby JID between them.
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { pickFreePorts } from "../../prosody/ports.js";
import { Store } from "../../src/store/store.js";
import { createChat, type ChatMessage } from "../../src/xmpp/chat.js";
import { BOT_SECRET_ENV, writeBotConfig } from "./process-bot.js";
import { ChildRun, type ChildExit } from "./process-child.js";
import type { RunningAgent } from "../../src/agent/run-agent.js";
import { withProsody, type TestProsody } from "./prosody.js";
import { SmtpSink } from "./smtp-sink.js";
import { tempDir, type PersonClient } from "./spine.js";

/** The standby's component name in test servers: standby.alertbot.<domain>. */
export const TEST_STANDBY_NAME = "standby.alertbot";

/** T, L and G of docs/failover.md, in ms. */
export interface FailoverWindows {
  readonly takeoverAfterMs: number;
  readonly leaseMs: number;
  readonly graceMs: number;
  /** failover.log_items: batches the replica log keeps (the bot's default unless set). */
  readonly logItems?: number;
}

/** The default windows: T = 30 s, L = 10 s, G = 11 s (a burst on a loaded machine slows pings by seconds). */
export const TEST_FAILOVER: FailoverWindows = { takeoverAfterMs: 30_000, leaseMs: 10_000, graceMs: 11_000 };

/** The failover section for this server with the given windows (the test windows unless told). */
export function failoverYaml(t: TestProsody, windows: FailoverWindows = TEST_FAILOVER): string {
  return `failover:
  standby_component: ${TEST_STANDBY_NAME}.${t.prosody.domain}
  takeover_after: ${windows.takeoverAfterMs / 1000}s
  lease: ${windows.leaseMs / 1000}s
  grace: ${windows.graceMs / 1000}s
${windows.logItems === undefined ? "" : `  log_items: ${windows.logItems}\n`}`;
}

/** Writes `<dir>/<name>/alertbot.yaml` (its database beside it) with `body` and the failover section. */
export function writeFailoverConfig(
  t: TestProsody,
  dir: string,
  name: string,
  body: string,
  windows: FailoverWindows = TEST_FAILOVER,
): string {
  const own = join(dir, name);
  mkdirSync(own, { recursive: true });
  return writeBotConfig(t, own, `${body}\n${failoverYaml(t, windows)}`);
}

/**
 * A failover config in `<dir>/<name>/` with short windows (T 3 s, L 1 s, G 2 s): `people` mailed
 * for everything through the SMTP sink on `smtpPort`, each bot from its own address
 * (alerts-<name>@example.org); `extra` YAML added as it is.
 */
export function writeMailedFailoverConfig(
  t: TestProsody,
  dir: string,
  name: string,
  smtpPort: number,
  people: readonly string[],
  extra = "",
): string {
  const own = join(dir, name);
  mkdirSync(own, { recursive: true });
  const persons = people
    .map(
      (p) =>
        `  - { name: ${p}, jid: ${p}@${t.prosody.domain}, email: ${p}@example.org, notify: { urgent: [email], normal: [email], low: [email] } }`,
    )
    .join("\n");
  return writeBotConfig(
    t,
    own,
    `people:
${persons}
${extra}email:
  smtp: { host: 127.0.0.1, port: ${smtpPort}, secure: false, timeout: 30s }
  from: Mauve <alerts-${name}@example.org>
failover:
  standby_component: ${TEST_STANDBY_NAME}.${t.prosody.domain}
  takeover_after: 3s
  lease: 1s
  grace: 2s
`,
  );
}

/** Starts `bots/alertbot.ts` with a failover config and resolves once it runs as the standby. */
export async function startFailoverBot(t: TestProsody, configPath: string, label: string): Promise<ChildRun> {
  const bot = spawnFailoverBot(t, configPath, label);
  await bot.waitForLog(`${label} to run as the standby`, (l) => l["msg"] === "standby running", 60_000);
  return bot;
}

/** Spawns `bots/alertbot.ts` with a failover config, without waiting for anything. */
function spawnFailoverBot(t: TestProsody, configPath: string, label: string): ChildRun {
  return ChildRun.start("bots/alertbot.ts", ["--config", configPath], { [BOT_SECRET_ENV]: t.botSecret }, label);
}

/**
 * Waits for `bot` to log that it took over (at or after log line `mark`); its own measure of the
 * takeover, in ms. With `because`, also checks why it claimed ("jid-free": the server said nobody
 * held the JID; "silent-for-takeover-after": no answer for T, src/bot/active-watch.ts).
 */
export async function tookOver(
  bot: ChildRun,
  timeoutMs: number,
  mark = 0,
  because?: "jid-free" | "silent-for-takeover-after",
): Promise<number> {
  const line = await bot.waitForLog(
    `${bot.label} to take over`,
    (l) => l["msg"] === "took over: now the active",
    timeoutMs,
    mark,
  );
  if (because !== undefined && line["reason"] !== because)
    throw new Error(`${bot.label} took over because "${String(line["reason"])}", expected "${because}"`);
  return Number(line["takeoverMs"]);
}

/** The last batch of the replica log the database at `path` holds (opened briefly; the bot may be running). */
export function replicaSeq(path: string): number {
  const store = Store.open(path, { replicated: true });
  try {
    return store.replica!.seq;
  } finally {
    store.close();
  }
}

/** A chat message a person got, and when (Date.now()) it arrived. */
export type TimedMessage = ChatMessage & { readonly at: number };

/** Every chat message a person gets from now on, kept (PersonClient.expect removes what it matched from its inbox). */
export function collectChat(person: PersonClient): TimedMessage[] {
  const all: TimedMessage[] = [];
  createChat(person.session).onChat((m) => {
    all.push({ ...m, at: Date.now() });
  });
  return all;
}

/** Messages per alert number whose body starts with `kind` ("RAISED #12 …"). */
export function perAlert(messages: readonly ChatMessage[], kind: string): Map<number, number> {
  const counts = new Map<number, number>();
  for (const m of messages) {
    const id = new RegExp(`^${kind} #(\\d+)`).exec(m.body)?.[1];
    if (id !== undefined) counts.set(Number(id), (counts.get(Number(id)) ?? 0) + 1);
  }
  return counts;
}

/** How many notices beyond the first per alert. */
export function repeats(counts: Map<number, number>): number {
  return [...counts.values()].reduce((n, c) => n + c - 1, 0);
}

/** How one process of a supervised bot ended, and whether the test asked it to (SIGTERM). */
export interface SupervisedExit {
  readonly label: string;
  readonly exit: ChildExit;
  readonly asked: boolean;
}

/**
 * One AlertBot of two run the way systemd runs it (`Restart=always`): whenever a process exits
 * without the test having stopped it, a new one is started with the same config and database
 * after `restartAfterMs`. Every exit is kept, so a test can check that none was unexpected.
 */
export class SupervisedBot {
  /** Every process, oldest first. */
  readonly runs: ChildRun[] = [];
  readonly exits: SupervisedExit[] = [];
  private asked = new Set<ChildRun>();
  private closed = false;

  constructor(
    private readonly t: TestProsody,
    readonly name: string,
    readonly configPath: string,
    readonly databasePath: string,
    private readonly restartAfterMs = 1_000,
  ) {}

  /** The process now (the newest). */
  get current(): ChildRun {
    const run = this.runs.at(-1);
    if (!run) throw new Error(`${this.name} was never started`);
    return run;
  }

  /** Whether the current process runs as the active (it logged that it took over and still runs). */
  get isActive(): boolean {
    const run = this.runs.at(-1);
    return run !== undefined && !run.hasExited && run.withMsg("took over: now the active").length > 0;
  }

  /** Starts a process; resolves once it runs as the standby. */
  async start(): Promise<ChildRun> {
    const run = this.spawn();
    await run.waitForLog(`${run.label} to run as the standby`, (l) => l["msg"] === "standby running", 60_000);
    return run;
  }

  /** SIGTERM to the current process (no restart follows); its exit. */
  async stop(): Promise<ChildExit> {
    const run = this.current;
    this.asked.add(run);
    return run.stop(30_000);
  }

  /** Stops for good: no more restarts, the current process SIGTERMed. */
  async close(): Promise<void> {
    this.closed = true;
    const run = this.runs.at(-1);
    if (run && !run.hasExited) {
      run.signal("SIGCONT");
      await this.stop();
    }
  }

  /** Exits the test did not ask for. */
  unasked(): SupervisedExit[] {
    return this.exits.filter((e) => !e.asked);
  }

  private spawn(): ChildRun {
    const run = spawnFailoverBot(this.t, this.configPath, `${this.name} #${this.runs.length + 1}`);
    this.runs.push(run);
    void run.exited.then((exit) => {
      const asked = this.asked.has(run);
      this.exits.push({ label: run.label, exit, asked });
      if (asked || this.closed) return;
      setTimeout(() => {
        if (!this.closed && this.current === run) this.spawn();
      }, this.restartAfterMs);
    });
    return run;
  }
}

/**
 * Two mailed failover configs (writeMailedFailoverConfig for alice) in `dir`/a and `dir`/b, each
 * with an HTTP listener on a port of its own taking updates for every source with `token`.
 */
export async function writeMailedPairWithHttp(
  t: TestProsody,
  dir: string,
  smtpPort: number,
  token: string,
): Promise<{ a: { config: string; port: number }; b: { config: string; port: number } }> {
  const [portA, portB] = await pickFreePorts(2);
  const http = (port: number): string => `http:
  listen: "127.0.0.1:${port}"
  tokens:
    - { name: checks, token: ${token}, sources: ["*"] }
`;
  return {
    a: { config: writeMailedFailoverConfig(t, dir, "a", smtpPort, ["alice"], http(portA!)), port: portA! },
    b: { config: writeMailedFailoverConfig(t, dir, "b", smtpPort, ["alice"], http(portB!)), port: portB! },
  };
}

/** Raises `source`'s alert `id` with `summary` through the HTTP listener on `port`, with `token`. */
export function postAlertOver(port: number, token: string, source: string, id: string, summary: string): Promise<void> {
  return postAlertsOver(port, token, source, [{ id, summary }]);
}

/** Raises `source`'s `alerts` in one update through the HTTP listener on `port`, with `token`. */
export async function postAlertsOver(
  port: number,
  token: string,
  source: string,
  alerts: ReadonlyArray<{ id: string; summary: string }>,
): Promise<void> {
  const res = await fetch(`http://127.0.0.1:${port}/api/update`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ source, alerts }),
  });
  if (res.status !== 200) throw new Error(`the update was answered ${res.status}: ${await res.text()}`);
}

/** The status of `source`'s alert `id` in the database at `path`, opened briefly (its bot may be running). */
export function alertStatusIn(path: string, source: string, id: string): string | undefined {
  const store = Store.open(path, { replicated: true });
  try {
    return store.alerts.find(source, id)?.status;
  } finally {
    store.close();
  }
}

/** What the tests of one failover suite share (see failoverSuite). */
export interface FailoverSuite {
  /** The suite's Prosody: sql storage (the replica log is a busy node), the standby's component. */
  readonly server: () => TestProsody;
  /** The suite's directory, made before its first test and removed after its last. */
  readonly dir: string;
  /** Where the bots mail, a real SMTP sink. */
  readonly smtp: SmtpSink;
  /** The bots a test started: their stderr is shown when it fails, and they are stopped after it. */
  readonly bots: ChildRun[];
  /** The agent a test started, stopped after it. */
  agent: RunningAgent | undefined;
}

/**
 * A suite of AlertBot processes in failover pairs against one Prosody, mailing through one SMTP
 * sink: registers its hooks, so call it inside `describe`.
 */
export function failoverSuite(dirPrefix: string): FailoverSuite {
  const server = withProsody({ standbyComponent: { name: TEST_STANDBY_NAME }, storage: "sql" });
  let dir: string | undefined;
  let smtp: SmtpSink | undefined;
  const suite: FailoverSuite = {
    server,
    get dir() {
      if (dir === undefined) throw new Error("failoverSuite: no directory before the suite starts");
      return dir;
    },
    get smtp() {
      if (smtp === undefined) throw new Error("failoverSuite: no SMTP sink before the suite starts");
      return smtp;
    },
    bots: [],
    agent: undefined,
  };
  before(async () => {
    dir = tempDir(dirPrefix);
    smtp = await SmtpSink.start();
  });
  afterEach(async function () {
    const failed = this.currentTest?.state === "failed";
    for (const b of suite.bots.splice(0)) {
      if (failed)
        process.stderr.write(`\n--- ${b.label} pid ${b.pid} stderr (tail) ---\n${b.stderr.slice(-6000)}\n---\n`);
      await b.stop();
    }
    await suite.agent?.stop();
    suite.agent = undefined;
  });
  after(async () => {
    await smtp?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  return suite;
}
