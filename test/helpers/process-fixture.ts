// What a suite of real-process tests sets up around AlertBot and its agents: temporary directories,
// one SMTP sink, TCP relays to the test server's component port, alice in a Jabber client, and the
// bot and agent processes. Each is cleaned up by the suite's hooks, and a failed test shows the end
// of every process's stderr, so a test reads as what it checks.
import { rmSync } from "node:fs";
import { startAgentProcess, startBotProcess, writeBotConfig } from "./process-bot.js";
import type { ChildRun } from "./process-child.js";
import type { TestProsody } from "./prosody.js";
import { SmtpSink } from "./smtp-sink.js";
import { PersonClient, tempDir } from "./spine.js";
import { TcpRelay } from "./tcp-proxy.js";

/** Alice in AlertBot's config, told by chat only. */
export function aliceOnly(t: TestProsody): string {
  return `people:\n  - { name: alice, jid: alice@${t.prosody.domain} }\n`;
}

/** AlertBot started behind a relay: `relay` stands between it and the server's component port. */
export interface BotOnRelay {
  readonly t: TestProsody;
  readonly dir: string;
  readonly smtp: SmtpSink;
  readonly relay: TcpRelay;
  readonly bot: ChildRun;
}

/** AlertBot started on the test server with alice logged in: what an agent test begins with. */
export interface BotWithAlice {
  readonly t: TestProsody;
  readonly dir: string;
  readonly alice: PersonClient;
  readonly bot: ChildRun;
}

/** How botOnRelay sets AlertBot up. */
export interface BotOnRelayOptions {
  /** The temporary directory's name prefix. */
  readonly prefix: string;
  /** AlertBot's config after its connection (people, policy, channels), email through `smtp`. */
  readonly config: (t: TestProsody, smtp: SmtpSink) => string;
  /** Rewrites the written config file (adds a keepalive, say) and returns its path. */
  readonly edit?: (path: string) => string;
  /** Done to the relay before the bot starts (a server that does not answer it from the start). */
  readonly beforeStart?: (relay: TcpRelay) => void;
}

/** A suite's processes and what they need; see withProcesses. */
export class ProcessFixture {
  private readonly dirs: string[] = [];
  private readonly relays: TcpRelay[] = [];
  private readonly children: ChildRun[] = [];
  private sink: SmtpSink | undefined;
  private person: PersonClient | undefined;

  constructor(private readonly server: () => TestProsody) {}

  /** A fresh temporary directory, removed when the suite ends. */
  dir(prefix: string): string {
    const dir = tempDir(prefix);
    this.dirs.push(dir);
    return dir;
  }

  /** The suite's SMTP sink, started at the first call. */
  async smtp(): Promise<SmtpSink> {
    this.sink ??= await SmtpSink.start();
    return this.sink;
  }

  /** Alice logged in on the test server, at the first call. */
  async alice(): Promise<PersonClient> {
    this.person ??= await PersonClient.login(this.server(), "alice");
    return this.person;
  }

  /** A relay to the test server's component port, closed when the suite ends. */
  async relay(): Promise<TcpRelay> {
    const relay = await TcpRelay.start(this.server().prosody.componentPort);
    this.relays.push(relay);
    return relay;
  }

  /** AlertBot started with the config at `configPath`, stopped after the test. */
  async startBot(configPath: string, env: Readonly<Record<string, string>> = {}): Promise<ChildRun> {
    return this.track(await startBotProcess(this.server(), configPath, env));
  }

  /** The agent started with the config at `configPath`, stopped after the test. */
  async startAgent(configPath: string): Promise<ChildRun> {
    return this.track(await startAgentProcess(configPath));
  }

  /** A fresh directory, the suite's SMTP sink, a relay, and AlertBot connecting through the relay. */
  async botOnRelay(options: BotOnRelayOptions): Promise<BotOnRelay> {
    const t = this.server();
    const dir = this.dir(options.prefix);
    const smtp = await this.smtp();
    const relay = await this.relay();
    options.beforeStart?.(relay);
    const written = writeBotConfig(t, dir, options.config(t, smtp), "alertbot.yaml", relay.port);
    const bot = await this.startBot(options.edit ? options.edit(written) : written);
    return { t, dir, smtp, relay, bot };
  }

  /** A fresh directory, alice logged in, and AlertBot telling her by chat (`extraYaml` after her in its config). */
  async botWithAlice(prefix: string, extraYaml = ""): Promise<BotWithAlice> {
    const t = this.server();
    const dir = this.dir(prefix);
    const alice = await this.alice();
    const bot = await this.startBot(writeBotConfig(t, dir, aliceOnly(t) + extraYaml));
    return { t, dir, alice, bot };
  }

  /** After each test: the stderr of every process it started if it failed, then each stopped. */
  async afterEach(failed: boolean): Promise<void> {
    const started = this.children.splice(0).reverse();
    if (failed)
      for (const p of started)
        process.stderr.write(`\n--- ${p.label} stderr (tail) ---\n${p.stderr.slice(-6000)}\n---\n`);
    for (const p of started) await p.stop();
  }

  /** After the suite: alice, the relays and the SMTP sink closed, the directories removed. */
  async close(): Promise<void> {
    await this.person?.stop();
    for (const relay of this.relays.splice(0)) await relay.close();
    await this.sink?.close();
    for (const dir of this.dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  }

  private track(child: ChildRun): ChildRun {
    this.children.push(child);
    return child;
  }
}

/**
 * Registers mocha hooks for a suite of real-process tests on `server` (withProsody's result):
 * processes stopped after each test, the rest after the suite.
 */
export function withProcesses(server: () => TestProsody): ProcessFixture {
  const fixture = new ProcessFixture(server);
  afterEach(async function () {
    await fixture.afterEach(this.currentTest?.state === "failed");
  });
  after(async () => {
    await fixture.close();
  });
  return fixture;
}
