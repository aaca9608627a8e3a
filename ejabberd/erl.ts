// How the private ejabberd's Erlang VM, and the short-lived nodes that talk to it, are run.
import { join, resolve } from "node:path";
import { EJABBERD_ERL_LIBS } from "./install.js";

/** Where a run directory keeps each file; the CLI and tests may read them. */
export function ejabberdRunDirLayout(runDir: string) {
  const dir = resolve(runDir);
  return {
    runDir: dir,
    configFile: join(dir, "ejabberd.yml"),
    spoolDir: join(dir, "spool"), // Mnesia
    homeDir: join(dir, "home"), // HOME of the Erlang VM: its .erlang.cookie lives here
    pidFile: join(dir, "ejabberd.pid"),
    logFile: join(dir, "ejabberd.log"),
    consoleFile: join(dir, "ejabberd.console"), // erl's stdout/stderr: config errors land here
    stateFile: join(dir, "ejabberd.json"), // RunningEjabberd
  };
}

/** The files of one run directory. */
export type Layout = ReturnType<typeof ejabberdRunDirLayout>;

/** The Erlang VM's arguments and environment for a run directory; shared with accounts.ts. */
export function erlEnvironment(paths: Layout): NodeJS.ProcessEnv {
  return {
    ...process.env,
    HOME: paths.homeDir,
    EJABBERD_CONFIG_PATH: paths.configFile,
    EJABBERD_LOG_PATH: paths.logFile,
    EJABBERD_PID_PATH: paths.pidFile,
    ERL_LIBS: EJABBERD_ERL_LIBS,
    ERL_CRASH_DUMP_BYTES: "0", // a crash dump of a test server is megabytes nobody reads
  };
}

/** Distribution without epmd, on loopback only: nothing is left running after the server stops. */
export function distArgs(distPort: number): string[] {
  return [
    "-erl_epmd_port",
    String(distPort),
    "-start_epmd",
    "false",
    "-kernel",
    "inet_dist_use_interface",
    "{127,0,0,1}",
  ];
}

// The spool argument as erl receives it: also how a stale server of this run directory is recognised.
export function erlSpoolArg(paths: Layout): string {
  return JSON.stringify(paths.spoolDir);
}
