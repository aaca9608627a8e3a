import { runCheckCommand, baseCheckEnv } from "../checks/run-command.js";
import { CheckScheduler } from "../checks/scheduler.js";
import type { CheckSpec } from "../checks/check-config.js";
import type { Clock } from "../clock/clock.js";
import type { AgentConfig, StaticAlertConfig } from "../config/agent-config.js";
import type { Logger } from "../log.js";
import type { Outbox } from "../store/outbox.js";
import type { AgentAlert } from "../codec/build-update.js";
import { AGENT_ALERT_IDS, REJECTED_ALERT_ID } from "../codec/agent-alert-ids.js";
import { RemoteChecks, configNodes } from "./remote-checks.js";

/** An agent's checks: the scheduler, and the remote check configs when they are on. */
export interface AgentChecks {
  readonly scheduler: CheckScheduler;
  readonly remote: RemoteChecks | null;
  /** The config nodes to follow (none when remote checks are off). */
  readonly nodes: readonly string[];
  /** The checks to run now: the config file's, then those pushed before (restored). */
  readonly initial: readonly CheckSpec[];
  /** The agent's own alerts a restart keeps as saved until they are judged again (see startupState). */
  readonly kept: ReadonlySet<string>;
}

/**
 * Builds the agent's checks: the scheduler, and (if configured) the remote checks restored from the
 * outbox. An accepted push reschedules the checks and clears the alerts of checks it removed.
 */
export function createAgentChecks(deps: {
  config: AgentConfig;
  clock: Clock;
  log: Logger;
  outbox: Outbox;
  agentEnv: Readonly<Record<string, string | undefined>>;
  /** The agent's current state, to know which alerts are raised. */
  current: () => readonly AgentAlert[];
  change: (alerts: AgentAlert[]) => void;
}): AgentChecks {
  const { config, log, outbox, current, change } = deps;
  const scheduler = createCheckScheduler({
    ...deps,
    maxConcurrent: config.checkRunner.maxConcurrent,
    onChanges: change,
  });
  const raisedNow = (id: string): boolean => current().some((a) => a.id === id && a.state === "raised");
  const remoteConfig = config.remoteChecks;
  // Without remote checks nothing judges a saved rejection again: the start-up full state clears it.
  if (!remoteConfig) return { scheduler, remote: null, nodes: [], initial: config.checks, kept: new Set() };
  const nodes = configNodes(config.source, remoteConfig.groups);
  let running: readonly CheckSpec[] = [];
  const remote = new RemoteChecks({
    log,
    local: config.checks,
    reserved: new Set([...config.alerts.map((a) => a.id), ...AGENT_ALERT_IDS.keys()]),
    publishers: remoteConfig.publishers,
    nodes,
    save: (node, itemId, text) => outbox.saveRemoteConfig(node, itemId, text),
    apply: (checks) => {
      const gone = new Set(running.filter((c) => !checks.some((n) => n.id === c.id)).map((c) => c.id));
      running = checks;
      scheduler.setChecks(checks, raisedNow);
      const clears = current()
        .filter((a) => gone.has(a.id) && a.state === "raised")
        .map((a) => ({ id: a.id, state: "cleared" as const, summary: "check removed" }));
      if (clears.length > 0) change(clears);
    },
    report: (alert) => change([alert]),
    // Read before the start-up state is loaded: this is the state saved by the last run.
    rejectionRaised: raisedNow(REJECTED_ALERT_ID),
  });
  remote.restore(outbox.loadRemoteConfig());
  running = remote.effective();
  return { scheduler, remote, nodes, initial: running, kept: new Set([REJECTED_ALERT_ID]) };
}

/**
 * The state an agent starts from: the configured static alerts as written, plus the saved state of
 * each check still configured and of the agent's own alerts in `kept` (so a restart neither clears
 * nor re-raises them: they stay as they were until judged again). Other saved alerts are left out,
 * and the full state that follows clears them at the bot.
 */
export function startupState(
  alerts: readonly StaticAlertConfig[],
  checks: readonly CheckSpec[],
  saved: readonly AgentAlert[],
  kept: ReadonlySet<string> = new Set(),
): AgentAlert[] {
  const ids = new Set([...checks.map((c) => c.id), ...kept]);
  return [...alerts.map(fromConfig), ...saved.filter((a) => ids.has(a.id))];
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
