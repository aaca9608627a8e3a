// mauve-alertbot: the AlertBot component. Wiring only; the logic lives in src/.
import { systemClock } from "../src/clock/clock.js";
import {
  EXIT_NO_LONGER_ACTIVE,
  exitOnStartupError,
  holdProcessOpen,
  keepGoingWithoutOutput,
  parseCommonArgs,
  takeHangups,
} from "../src/cli/entry.js";
import { readBotConfigFile } from "../src/config/bot-config.js";
import { createLogger } from "../src/log.js";
import { configRedactor } from "../src/notify/redact.js";
import { beforeSessionChannels, runBot } from "../src/bot/run-bot.js";
import { startWhenPossible } from "../src/bot/start-failure.js";
import { runFailover } from "../src/bot/failover.js";
import { refusalOf, reloadConfig } from "../src/bot/settings.js";
import { Store } from "../src/store/store.js";

const HELP = `Usage: mauve-alertbot [--config FILE] [--check-config]

AlertBot, the XEP-0114 component of mauve-xmpp: subscribes to every agent's pubsub
node (mauve/alerts/<source>), keeps alerts in SQLite, tells the configured people
by XMPP chat and takes their commands ("ack 42", "show", "help"). With a \`udp\`
section it also listens for legacy Mauve UDP AlertUpdates (from mauvesend and
other Mauve senders) from the allowed networks; with an \`http\` section it serves
Prometheus Alertmanager's webhook, JSON updates and /metrics (docs/integrations.md).

Options:
  -c, --config FILE   YAML configuration (default /etc/mauve/alertbot.yaml);
                      see examples/alertbot.yaml for every key
      --check-config  validate the configuration, print what is wrong, and exit
  -h, --help          show this text

Exit status: 0 stopped by SIGINT/SIGTERM (the only way it ends cleanly: the XMPP
server is tried until it answers, at start too, and a lost connection for as long as
it runs; anything else that stops it starting, such as a full disk, a damaged
database, another AlertBot on it or its UDP or HTTP port taken, is told once to the
people on call and tried again every 10 s), 1 the stop failed, 2 bad command line, 70 a fatal error while running
(logged; restart it), 75 an active of two (\`failover\`) lost its JID or connection
(restart it: it joins as the standby), 78 bad configuration (every problem is listed with its key).
Logs are JSON lines on stderr, the reason for every exit among them. SIGHUP reloads the
configuration (people, workgroups, rules, channels, ack limits); a file with problems
is refused, its problems logged, the running configuration kept, and AlertBot's own
alert alertbot-config raised until a reload loads. A SIGHUP while it starts is logged and
applied once it runs; a standby reads the file when it takes over.
`;

keepGoingWithoutOutput();
let log = createLogger();
// Node's default for SIGHUP is to end the process: `systemctl reload` while the bot waited for its
// server (or its disk) killed it.
const hangups = takeHangups(
  () => log,
  "SIGHUP while AlertBot starts: it reads its configuration file again once running (a standby: when it takes over)",
);
const args = parseCommonArgs(process.argv.slice(2), HELP, "/etc/mauve/alertbot.yaml");
const readConfig = () => readBotConfigFile(args.config, process.env);
try {
  const config = readConfig();
  if (args.check) {
    process.stdout.write(`${args.config}: OK (${config.people.length} people)\n`);
    process.exit(0);
  }
  log = createLogger({ level: config.log.level, fields: { component: "alertbot" }, redact: configRedactor(config) });
  const lifetime = holdProcessOpen(log);
  // Anything but a bad configuration that stops the start is told once and tried again (an exit
  // had systemd restart it every few seconds, nobody told): src/bot/start-failure.ts.
  const untilStarted = {
    clock: systemClock,
    log,
    policy: config,
    ownSource: config.xmpp.component,
    channels: () => beforeSessionChannels(config, systemClock, log),
  };
  // Held until the process ends: a second AlertBot on this file waits here.
  await startWhenPossible({ ...untilStarted, start: () => Promise.resolve(Store.lockFor(config.database)) });
  // With a `failover` section this process starts as the standby (docs/failover.md).
  const failover = config.failover;
  if (failover) {
    const run = await runFailover({ ...config, failover }, systemClock, log, {
      onLost: (reason) => {
        log.error("exiting so that, restarted, this AlertBot joins as the standby", {
          reason,
          status: EXIT_NO_LONGER_ACTIVE,
        });
        process.exit(EXIT_NO_LONGER_ACTIVE);
      },
      readConfig,
    });
    hangups.reloadWith(async () => {
      const bot = run.bot;
      if (bot) {
        await reloadConfig(readConfig, bot, log);
        return;
      }
      log.info("SIGHUP: the standby reads its configuration file when it takes over", { file: args.config });
      // Checked now all the same: a file with problems is said at once, not first at the takeover.
      try {
        readConfig();
      } catch (err) {
        log.error("the configuration file has problems: fix it before this standby takes over or restarts", {
          ...refusalOf(err),
        });
      }
    });
    lifetime.stopWith(() => run.stop());
  } else {
    const bot = await startWhenPossible({
      ...untilStarted,
      start: () => runBot(config, systemClock, log),
      // Its own session holds the component's JID now: chat goes through it.
      tellStarted: (running, subject, text) => running.core.tellDirectly("cleared", subject, text),
    });
    hangups.reloadWith(() => {
      log.info("reloading the configuration", { file: args.config });
      return reloadConfig(readConfig, bot, log);
    });
    lifetime.stopWith(() => bot.stop());
  }
} catch (err) {
  exitOnStartupError(err, log);
}
