#!/usr/bin/env node
// mauve-agent: publishes this host's alerts to its own pubsub node. Wiring only; logic lives in src/.
import { systemClock } from "../src/clock/system-clock.js";
import { exitOnStartupError, parseCommonArgs, stopOnSignals } from "../src/cli/entry.js";
import { readAgentConfigFile } from "../src/config/index.js";
import { createLogger } from "../src/log.js";
import { runAgent } from "../src/agent/run-agent.js";

const HELP = `Usage: mauve-agent [--config FILE] [--check-config]

The mauve-xmpp agent: logs in with its own XMPP account, publishes this host's
alerts (Mauve AlertUpdates) to its node mauve/alerts/<source> on the pubsub
service, announces itself by presence and disco, and sends a heartbeat.
Updates wait in a durable outbox (STATE_DIR/outbox.sqlite) until the server
confirms them, so nothing is lost while disconnected; they go out in order.
In this version the alerts come from the configuration file.

Options:
  -c, --config FILE   YAML configuration (default /etc/mauve/agent.yaml);
                      see examples/agent.yaml for every key
      --check-config  validate the configuration, print what is wrong, and exit
  -h, --help          show this text

Exit status: 0 stopped cleanly, 1 could not start, 2 bad command line,
78 bad configuration. Logs are JSON lines on stderr.
`;

const args = parseCommonArgs(process.argv.slice(2), HELP, "/etc/mauve/agent.yaml");
let log = createLogger();
try {
  const config = readAgentConfigFile(args.config, process.env);
  if (args.check) {
    process.stdout.write(`${args.config}: OK (source ${config.source})\n`);
    process.exit(0);
  }
  log = createLogger({ level: config.log.level, fields: { component: "agent", source: config.source } });
  const agent = await runAgent(config, systemClock, log);
  stopOnSignals(() => agent.stop(), log);
} catch (err) {
  exitOnStartupError(err, log);
}
