import { parseArgs } from "node:util";
import { ConfigError } from "../errors.js";
import type { Logger } from "../log.js";

/** What every mauve-xmpp command line accepts. */
export interface CommonArgs {
  config: string;
  check: boolean;
}

/**
 * Parses `--config FILE`, `--check-config` and `--help`; prints help or a usage error and exits
 * (0 for help, 2 for a usage error) so entry points only see valid arguments.
 */
export function parseCommonArgs(argv: string[], help: string, defaultConfig: string): CommonArgs {
  try {
    const { values } = parseArgs({
      args: argv,
      options: {
        config: { type: "string", short: "c", default: defaultConfig },
        "check-config": { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
      strict: true,
      allowPositionals: false,
    });
    if (values.help) {
      process.stdout.write(help);
      process.exit(0);
    }
    return { config: values.config, check: values["check-config"] };
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n\n${help}`);
    process.exit(2);
  }
}

/** Reports a fatal start-up error in words an admin can act on, and exits 1 (config errors: 78, EX_CONFIG). */
export function exitOnStartupError(err: unknown, log: Logger): never {
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(78);
  }
  log.error("cannot start", { err: err instanceof Error ? { name: err.name, message: err.message } : String(err) });
  process.exit(1);
}

/** Runs `stop` once on SIGINT or SIGTERM, then exits. */
export function stopOnSignals(stop: () => Promise<void>, log: Logger): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    log.info("stopping", { signal });
    stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error("unclean stop", { err });
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
}
