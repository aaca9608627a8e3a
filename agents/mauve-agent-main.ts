// mauve-agent: publishes this host's alerts to its own pubsub node. Wiring only; logic lives in src/.
import { systemClock } from "../src/clock/clock.js";
import {
  EXIT_FATAL,
  exitOnStartupError,
  holdProcessOpen,
  keepGoingWithoutOutput,
  parseCommonArgs,
  takeHangups,
} from "../src/cli/entry.js";
import { readAgentConfigFile } from "../src/config/agent-config.js";
import { createLogger } from "../src/log.js";
import { configRedactor } from "../src/notify/redact.js";
import { runAgent, type RunningAgent } from "../src/agent/run-agent.js";
import { lockStateDir, StateDirLockWatch } from "../src/agent/state-dir-lock.js";

const HELP = `Usage: mauve-agent [--config FILE] [--check-config]

The mauve-xmpp agent: logs in with its own XMPP account and publishes this
host's alerts (Mauve AlertUpdates) to its node mauve/alerts/<source> on the
pubsub service, creating it, or asking AlertBot to, when it is missing.

What it publishes (see examples/agent.yaml for every key):
  alerts             static alerts, as written in the configuration
  checks             Nagios-plugin compatible commands run every interval;
                     exit 0 clears, 1 WARNING, 2 CRITICAL, 3 UNKNOWN raise
                     (importance per status); the first output line is the
                     summary, the rest the detail, perfdata after "|" dropped;
                     at its timeout a check's whole process group is killed
                     and it counts as CRITICAL; damping raises when k of the
                     last n runs failed and clears after m passes. Checks get
                     only PATH, LANG=C and their own env, never the agent's.
  check_runner       max_concurrent checks at once (default 4); a run that
                     passes 30s no longer counts, so hung checks hold none back
  remote_checks      more checks, pushed by the listed publishers to the
                     pubsub nodes mauve/config/<source> and mauve/config/group/
                     <group>: validated and applied at once; an invalid push is
                     rejected whole (previous checks kept) and raises the alert
                     "remote-checks". Off unless configured.
  heartbeat          clear now, raise at now + 3 intervals (default 5m)
  full_state_every   the whole state again (replace=true), default 1h; also
                     after every reconnection and whenever AlertBot returns

How it survives outages: every change waits in a durable outbox
(STATE_DIR/outbox.sqlite, beside the saved alert state) until the server
confirms it, and goes out in order, also after a restart. After a fresh login
it waits for AlertBot's presence (at most 60s) before sending its backlog.
The outbox holds outbox.max_entries updates (default 10000); when full, the
whole queue collapses into one full-state update (the latest state is never
dropped; the number collapsed is logged). It pings its server every
xmpp.keepalive (default 30s): with no answer within as long (a frozen server,
a black-holed or half-dead link) the connection is dropped and made again.
Reconnects use XEP-0198 stream resumption and jittered backoff. It announces itself with presence (status:
what is raised) and disco#info (urn:mauve-xmpp:agent:1), and says
"unavailable" when stopped.

Options:
  -c, --config FILE   YAML configuration (default /etc/mauve/agent.yaml)
      --check-config  validate the configuration, print what is wrong, and exit
  -h, --help          show this text

Exit status: 0 stopped by SIGINT/SIGTERM (running checks are killed; the only
way it ends cleanly: a lost server is waited for, however long), 1 could not
start (its outbox cannot be opened, or another agent uses its state directory;
a damaged outbox is moved aside and replaced, with the alert
mauve-agent-outbox-damaged, until restarted) or the stop
failed, 2 bad command line, 70 a fatal error while running (logged; restart
it), or another agent took its state directory's lock after its lock file
was removed, 78 bad configuration (every problem is listed with its key). Logs are
JSON lines on stderr, the reason for every exit among them. SIGHUP is logged
and ignored: the configuration is read only at start, so restart the agent
(\`systemctl restart\`) to apply a change.
`;

/** How long an agent that lost its state directory waits for its own stop before it exits anyway. */
const STOP_BEFORE_EXIT_MS = 10_000;

keepGoingWithoutOutput();
let log = createLogger();
// Node's default for SIGHUP is to end the process: a stray `kill -HUP` or `systemctl reload` must not.
takeHangups(
  () => log,
  "SIGHUP ignored: mauve-agent reads its configuration only at start; restart it to apply a change",
);
const args = parseCommonArgs(process.argv.slice(2), HELP, "/etc/mauve/agent.yaml");
try {
  const config = readAgentConfigFile(args.config, process.env);
  if (args.check) {
    process.stdout.write(`${args.config}: OK (source ${config.source}, ${config.checks.length} checks)\n`);
    process.exit(0);
  }
  log = createLogger({
    level: config.log.level,
    fields: { component: "agent", source: config.source },
    redact: configRedactor(config),
  });
  // Held until the process ends: a second agent on this state directory stops here.
  lockStateDir(config.stateDir);
  const lifetime = holdProcessOpen(log);
  let agent: RunningAgent | undefined;
  // From the start, not once logged in: the first login may wait for the server for hours.
  const lockWatch = new StateDirLockWatch({
    stateDir: config.stateDir,
    clock: systemClock,
    log,
    taken: (reason) => {
      log.error(
        "another mauve-agent took this state directory's lock: this one stops and leaves the directory, and what it queued, to that one; stop one of the two",
        { stateDir: config.stateDir, change: reason, status: EXIT_FATAL },
      );
      // Its unavailable presence, if the server takes it in time; the exit either way.
      systemClock.setTimer(STOP_BEFORE_EXIT_MS, () => process.exit(EXIT_FATAL));
      void (agent?.stop() ?? Promise.resolve()).finally(() => process.exit(EXIT_FATAL));
    },
  });
  agent = await runAgent(config, systemClock, log);
  const running = agent;
  lifetime.stopWith(() => {
    lockWatch.stop();
    return running.stop();
  });
} catch (err) {
  exitOnStartupError(err, log);
}
