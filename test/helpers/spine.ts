// Builds real bots, agents and people's clients against a test Prosody.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runAgent, type RunningAgent } from "../../src/agent/run-agent.js";
import { runBot, type RunningBot } from "../../src/bot/run-bot.js";
import { systemClock, type Clock } from "../../src/clock/clock.js";
import { loadAgentConfig } from "../../src/config/agent-config.js";
import { loadBotConfig } from "../../src/config/bot-config.js";
import { createLogger, type Logger } from "../../src/log.js";
import { createChat, type ChatMessage } from "../../src/xmpp/chat.js";
import { connectClient } from "../../src/xmpp/connect.js";
import { createPresence, getRoster } from "../../src/xmpp/presence.js";
import type { XmppSession } from "../../src/xmpp/session.js";
import { botConfigYaml, BOT_SECRET_ENV } from "./process-bot.js";
import type { TestProsody } from "./prosody.js";
import { waitFor } from "./wait-for.js";
import type { RetryPolicy } from "../../src/util/backoff.js";

/** Log lines collected from a component under test, parsed. */
export class LogLines {
  readonly lines: Array<Record<string, unknown>> = [];
  readonly logger: Logger = createLogger({
    level: "debug",
    sink: (line) => this.lines.push(JSON.parse(line) as Record<string, unknown>),
  });
  /** Lines whose message is `msg`. */
  withMsg(msg: string): Array<Record<string, unknown>> {
    return this.lines.filter((l) => l["msg"] === msg);
  }
  /** All lines as text (for "never appears" checks). */
  text(): string {
    return this.lines.map((l) => JSON.stringify(l)).join("\n");
  }
}

/** Extra knobs for a test bot. */
export interface TestBotOptions {
  /** The whole `people:` list as YAML, instead of plain names. */
  peopleYaml?: string;
  /** More top-level sections (workgroups, rules, email, sms…). */
  extraYaml?: string;
  /** A fake clock drives policy time; the XMPP session keeps real timers of its own. */
  clock?: Clock;
  retry?: RetryPolicy;
  /** Where the bot connects: a relay's port, say (Prosody's component port by default). */
  componentPort?: number;
}

/** Starts AlertBot with a config written as an admin would, for `people` (localparts). */
export async function startBot(
  t: TestProsody,
  dir: string,
  people: string[],
  log: Logger,
  options: TestBotOptions = {},
): Promise<RunningBot> {
  const p = t.prosody;
  const peopleYaml =
    options.peopleYaml ?? people.map((name) => `  - name: ${name}\n    jid: ${name}@${p.domain}`).join("\n");
  const yaml = botConfigYaml(
    t,
    dir,
    `people:\n${peopleYaml}\nalerts:\n  ack_default: 1h\n${options.extraYaml ?? ""}`,
    options.componentPort,
  );
  const config = loadBotConfig(yaml, { file: "alertbot.yaml", env: { [BOT_SECRET_ENV]: t.botSecret } });
  return runBot(config, options.clock ?? systemClock, log, options.retry ? { retry: options.retry } : {});
}

/** An agent's config for `source` on the test server as an admin would write it (password pw-<source>, no heartbeat). */
export function agentYaml(t: TestProsody, dir: string, source: string, extraYaml = ""): string {
  const p = t.prosody;
  return `
xmpp:
  jid: ${source}@${p.domain}
  password: pw-${source}
  service: xmpp://127.0.0.1:${p.c2sPort}
  pubsub: ${p.pubsubJid}
  bot: ${p.botJid}
source: ${source}
state_dir: ${join(dir, `agent-${source}`)}
heartbeat: false
${extraYaml}`;
}

/**
 * Writes `agent.yaml` in `dir` for web1 (its account registered, debug logs) with one check, nginx, CRITICAL
 * ("nginx is not answering") while the file `dir`/nginx-down exists; `stateDir` overrides the
 * agent's. Returns the config's path and the flag's.
 */
export async function writeFlagAgentConfig(
  t: TestProsody,
  dir: string,
  stateDir?: string,
): Promise<{ config: string; flag: string }> {
  await t.prosody.register("web1", "pw-web1");
  const flag = join(dir, "nginx-down");
  const config = join(dir, "agent.yaml");
  const checks = `log:
  level: debug
checks:
  - id: nginx
    command: [/bin/sh, -c, "if [ -e ${flag} ]; then echo nginx is not answering; exit 2; fi; echo ok"]
    interval: 1s
`;
  const yaml = agentYaml(t, dir, "web1", checks);
  writeFileSync(config, stateDir ? yaml.replace(/^state_dir: .*$/m, `state_dir: ${stateDir}`) : yaml);
  return { config, flag };
}

/** Registers the agent account and starts an agent for `source` with the given static alerts. */
export async function startAgent(
  t: TestProsody,
  dir: string,
  source: string,
  alertsYaml: string,
  log: Logger,
): Promise<RunningAgent> {
  await t.prosody.register(source, `pw-${source}`);
  return runRegisteredAgent(t, dir, source, alertsYaml, log);
}

/** Runs an agent for `source`, whose account is already registered, with `alertsYaml` under `alerts:` (on `clock`). */
export function runRegisteredAgent(
  t: TestProsody,
  dir: string,
  source: string,
  alertsYaml: string,
  log: Logger,
  clock: Clock = systemClock,
): Promise<RunningAgent> {
  const config = loadAgentConfig(agentYaml(t, dir, source, `alerts:\n${alertsYaml}\n`), {
    file: "agent.yaml",
    env: {},
  });
  return runAgent(config, clock, log);
}

/**
 * The people and policy of the tests that page: alice first, bob after `escalateAfterS` unless
 * someone acked; every alert its own notice (no storm limit or digest holding one back).
 */
export function pagerYaml(domain: string, escalateAfterS: number): string {
  return `people:
  - { name: alice, jid: alice@${domain} }
  - { name: bob, jid: bob@${domain} }
workgroups:
  - name: pager
    members: [alice, bob]
    escalation:
      normal: { steps: [{ after: 0m, notify: alice }, { after: ${escalateAfterS}s, notify: bob }], reminder: false }
rules:
  - { level: normal, workgroup: pager }
storm: { per_person_limit: "1000 per 1m", digest_after: 1000 }
`;
}

/** A person in their Jabber client: a real c2s session that collects the chat it receives. */
export class PersonClient {
  readonly inbox: ChatMessage[] = [];
  /** Every chat message received, in order (`expect` takes from `inbox`, never from here). */
  readonly received: ChatMessage[] = [];
  private constructor(
    readonly session: XmppSession,
    private readonly chat: ReturnType<typeof createChat>,
  ) {
    chat.onChat((m) => {
      this.inbox.push(m);
      this.received.push(m);
    });
  }

  static async login(t: TestProsody, name: string): Promise<PersonClient> {
    const p = t.prosody;
    await p.register(name, `pw-${name}`);
    const session = await connectClient({
      service: `xmpp://127.0.0.1:${p.c2sPort}`,
      domain: p.domain,
      username: name,
      password: `pw-${name}`,
      resource: "phone",
    });
    const person = new PersonClient(session, createChat(session));
    // Like a Jabber client whose user said yes: approve presence subscriptions (the bot asks for one).
    const presence = createPresence(session);
    presence.onSubscription(async (sub) => {
      if (sub.type === "subscribe") await presence.sendSubscription(sub.from, "subscribed");
    });
    await getRoster(session); // subscription requests reach a resource only after it fetched its roster
    // Without available presence, chat to the bare JID is not delivered.
    await presence.sendAvailable({ status: "on call" });
    // A fresh session after a reconnection (the server restarted and forgot ours) starts unavailable:
    // a Jabber client says it is there again, as at login.
    session.on("online", ({ resumed }) => {
      if (resumed) return;
      void getRoster(session)
        .then(() => presence.sendAvailable({ status: "on call" }))
        .catch(() => undefined);
    });
    return person;
  }

  /** Sends a chat line to the bot. */
  say(to: string, body: string): Promise<void> {
    return this.chat.sendChat(to, body);
  }

  /** Waits for a message whose body matches, and removes it (and anything before it) from the inbox. */
  async expect(pattern: RegExp, timeoutMs?: number): Promise<string> {
    const index = await waitFor(
      `a chat message matching ${pattern}`,
      () => {
        const i = this.inbox.findIndex((m) => pattern.test(m.body));
        return i >= 0 ? i + 1 : undefined;
      },
      timeoutMs,
    );
    const body = this.inbox[index - 1]!.body;
    this.inbox.splice(0, index);
    return body;
  }

  /**
   * Sends `help` to the bot and waits for its answer, leaving the inbox as it is. The bot's chat
   * reaches us in the order it sent it, so whatever it sent before that answer has arrived: the
   * barrier before asserting that nothing else came.
   */
  async barrier(botJid: string): Promise<void> {
    const from = this.inbox.length;
    await this.say(botJid, "help");
    await waitFor("the answer to help", () => this.inbox.slice(from).some((m) => m.body.startsWith("Commands:")));
  }

  stop(): Promise<void> {
    return this.session.stop();
  }
}

/** A fresh temporary directory for one test's files. */
export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}
