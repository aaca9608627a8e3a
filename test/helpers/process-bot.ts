// AlertBot as a child process against a test Prosody: a config file written as an admin would,
// the component secret passed through the environment, and a wait for "AlertBot running".
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { TestProsody } from "./prosody.js";
import { ChildRun } from "./process-child.js";

/** The environment variable the bot's config names for the component secret. */
export const BOT_SECRET_ENV = "MAUVE_TEST_BOT_SECRET";

/**
 * AlertBot's config for this Prosody as an admin would write it: connection and database in `dir`,
 * then `body`. `componentPort` is where it connects (a relay's, say; Prosody's own by default).
 */
export function botConfigYaml(
  t: TestProsody,
  dir: string,
  body: string,
  componentPort = t.prosody.componentPort,
): string {
  const p = t.prosody;
  return `xmpp:
  service: xmpp://127.0.0.1:${componentPort}
  component: ${p.botJid}
  secret_env: ${BOT_SECRET_ENV}
  pubsub: ${p.pubsubJid}
database: ${join(dir, "alertbot.sqlite")}
${body}
`;
}

/**
 * Writes `alertbot.yaml` in `dir` for this Prosody: database in `dir`, debug logs, then `body`
 * (people, policy, channels); `componentPort` as in botConfigYaml.
 */
export function writeBotConfig(
  t: TestProsody,
  dir: string,
  body: string,
  file = "alertbot.yaml",
  componentPort = t.prosody.componentPort,
): string {
  const path = join(dir, file);
  writeFileSync(path, botConfigYaml(t, dir, `log:\n  level: debug\n${body}`, componentPort));
  return path;
}

/** Starts `bots/alertbot.ts --config <configPath>` and resolves once it logs that it runs. */
export async function startBotProcess(
  t: TestProsody,
  configPath: string,
  env: Readonly<Record<string, string>> = {},
): Promise<ChildRun> {
  const bot = ChildRun.start(
    "bots/alertbot.ts",
    ["--config", configPath],
    { [BOT_SECRET_ENV]: t.botSecret, ...env },
    "alertbot",
  );
  try {
    await bot.waitForLog("AlertBot running", (l) => l["msg"] === "AlertBot running", 60_000);
  } catch (err) {
    await bot.crash();
    throw new Error(
      `${err instanceof Error ? err.message : String(err)}\n--- alertbot stderr (tail) ---\n${bot.stderr.slice(-4000)}`,
      { cause: err },
    );
  }
  return bot;
}

/**
 * Starts `agents/mauve-agent.ts --config <configPath>` with `env` added to ours (NODE_EXTRA_CA_CERTS,
 * say) and resolves once it logs that it runs.
 */
export async function startAgentProcess(
  configPath: string,
  env: Readonly<Record<string, string>> = {},
): Promise<ChildRun> {
  const agent = ChildRun.start("agents/mauve-agent.ts", ["--config", configPath], env, "mauve-agent");
  await agent.waitForLog("the agent to run", (l) => l["msg"] === "mauve-agent running", 60_000);
  return agent;
}
