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
    certsDir: join(dir, "certs"), // the run's own CA and certificate, with the launcher's `tls`
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

/**
 * Distribution without epmd, on one loopback address only: nothing is left running after the
 * server stops. With -erl_epmd_port every node listens on that port and expects its peers on it,
 * so the nodes of a private cluster share one port and differ by address (127.0.0.2, 127.0.0.3).
 */
export function distArgs(distPort: number, address = "127.0.0.1"): string[] {
  return [
    "-erl_epmd_port",
    String(distPort),
    "-start_epmd",
    "false",
    "-kernel",
    "inet_dist_use_interface",
    `{${address.split(".").join(",")}}`,
  ];
}

/**
 * How erl is told its node name: a host part with a dot (an address, as a cluster's nodes have)
 * is a long name (-name), "localhost" a short one (-sname). Nodes with long and short names cannot
 * talk to each other, so a control node follows the server's kind.
 */
export function nameArgs(nodeName: string): [string, string] {
  return [isLongName(nodeName) ? "-name" : "-sname", nodeName];
}

/** True if the node name's host part holds a dot (erl's -name). */
export function isLongName(nodeName: string): boolean {
  return nodeName.slice(nodeName.indexOf("@") + 1).includes(".");
}

/** The address a node name's host part stands for (our nodes are named after their loopback address). */
export function nodeAddress(nodeName: string): string {
  return isLongName(nodeName) ? nodeName.slice(nodeName.indexOf("@") + 1) : "127.0.0.1";
}

// The spool argument as erl receives it: also how a stale server of this run directory is recognised.
export function erlSpoolArg(paths: Layout): string {
  return JSON.stringify(paths.spoolDir);
}
