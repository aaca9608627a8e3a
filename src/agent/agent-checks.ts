import { runCheckCommand, baseCheckEnv } from "../checks/run-command.js";
import { CheckScheduler } from "../checks/scheduler.js";
import type { CheckSpec } from "../checks/types.js";
import type { Clock } from "../clock/clock.js";
import type { StaticAlertConfig } from "../config/agent-config.js";
import type { Logger } from "../log.js";
import type { AgentAlert } from "./build-update.js";

/**
 * The state an agent starts from: the configured static alerts as written, plus the saved state of
 * each check still configured (so a restart neither clears nor re-raises them). Alerts of checks
 * no longer configured are left out, and the full state that follows clears them at the bot.
 */
export function startupState(alerts: readonly StaticAlertConfig[], checks: readonly CheckSpec[], saved: readonly AgentAlert[]): AgentAlert[] {
  const checkIds = new Set(checks.map((c) => c.id));
  return [...alerts.map(fromConfig), ...saved.filter((a) => checkIds.has(a.id))];
}

/** Makes the scheduler that runs this agent's checks as child processes with the clean base environment. */
export function createCheckScheduler(deps: {
  clock: Clock;
  log: Logger;
  maxConcurrent: number;
  agentEnv: Readonly<Record<string, string | undefined>>;
  onChanges: (alerts: AgentAlert[]) => void;
}): CheckScheduler {
  const env = baseCheckEnv(deps.agentEnv);
  return new CheckScheduler({
    clock: deps.clock,
    log: deps.log,
    maxConcurrent: deps.maxConcurrent,
    run: (spec, signal) => runCheckCommand(spec, deps.clock, env, signal),
    onChanges: deps.onChanges,
  });
}

function fromConfig(a: StaticAlertConfig): AgentAlert {
  return {
    id: a.id,
    state: a.state,
    ...(a.subject !== null ? { subject: a.subject } : {}),
    ...(a.summary !== null ? { summary: a.summary } : {}),
    ...(a.detail !== null ? { detail: a.detail } : {}),
    ...(a.importance !== null ? { importance: a.importance } : {}),
  };
}
