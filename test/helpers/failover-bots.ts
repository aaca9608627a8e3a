// Two AlertBot processes with a `failover` section (docs/failover.md) against one test Prosody:
// each its own directory and SQLite file, one standby JID between them.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { BOT_SECRET_ENV, writeBotConfig } from "./process-bot.js";
import { ChildRun } from "./process-child.js";
import type { TestProsody } from "./prosody.js";

/** The standby's component name in test servers: standby.alertbot.<domain>. */
export const TEST_STANDBY_NAME = "standby.alertbot";

/** The default windows: T = 30 s, L = 10 s, G = 11 s (a burst on a loaded machine slows pings by seconds). */
export const TEST_FAILOVER = { takeoverAfterMs: 30_000, leaseMs: 10_000, graceMs: 11_000 };

/** The failover section for this server with the test windows. */
export function failoverYaml(t: TestProsody): string {
  return `failover:
  standby_component: ${TEST_STANDBY_NAME}.${t.prosody.domain}
  takeover_after: ${TEST_FAILOVER.takeoverAfterMs / 1000}s
  lease: ${TEST_FAILOVER.leaseMs / 1000}s
  grace: ${TEST_FAILOVER.graceMs / 1000}s
`;
}

/** Writes `<dir>/<name>/alertbot.yaml` (its database beside it) with `body` and the failover section. */
export function writeFailoverConfig(t: TestProsody, dir: string, name: string, body: string): string {
  const own = join(dir, name);
  mkdirSync(own, { recursive: true });
  return writeBotConfig(t, own, `${body}\n${failoverYaml(t)}`);
}

/** Starts `bots/alertbot.ts` with a failover config and resolves once it runs as the standby. */
export async function startFailoverBot(t: TestProsody, configPath: string, label: string): Promise<ChildRun> {
  const bot = ChildRun.start("bots/alertbot.ts", ["--config", configPath], { [BOT_SECRET_ENV]: t.botSecret }, label);
  await bot.waitForLog(`${label} to run as the standby`, (l) => l["msg"] === "standby running", 60_000);
  return bot;
}

/**
 * Waits for `bot` to log that it took over (after log line `mark`); its own measure of the takeover,
 * in ms. With `because`, also checks why it claimed ("jid-free": the server said nobody held the
 * JID; "silent-for-takeover-after": no answer for T, src/bot/active-watch.ts).
 */
export async function tookOver(
  bot: ChildRun,
  timeoutMs: number,
  mark = 0,
  because?: "jid-free" | "silent-for-takeover-after",
): Promise<number> {
  const line = await bot.waitForLog(
    `${bot.label} to take over`,
    (l) => bot.logs.indexOf(l) >= mark && l["msg"] === "took over: now the active",
    timeoutMs,
  );
  if (because !== undefined && line["reason"] !== because)
    throw new Error(`${bot.label} took over because "${String(line["reason"])}", expected "${because}"`);
  return Number(line["takeoverMs"]);
}
