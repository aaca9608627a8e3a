// A private ejabberd cluster on one machine, for tests and demos: each node a private ejabberd
// (ejabberd/launcher.ts) in its own run directory with its own ports, joined into one Mnesia
// cluster as `ejabberdctl join_cluster` would. Without the system epmd: every node listens for
// Erlang distribution on the same port, each on its own loopback address (127.0.0.2, 127.0.0.3, …),
// and all share one cookie.
import { randomBytes } from "node:crypto";
import { createServer } from "node:net";
import { join } from "node:path";
import { pickFreePorts, waitForStreams } from "../prosody/ports.js";
import type { StreamProbe } from "../prosody/ports.js";
import { runCtl } from "./ctl.js";
import { startEjabberd } from "./launcher.js";
import type { EjabberdHandle, EjabberdOptions } from "./launcher.js";

/** How to run the cluster: the options of each node, less what the cluster decides. */
export interface EjabberdClusterOptions extends Omit<
  EjabberdOptions,
  "runDir" | "distribution" | "c2sPort" | "componentPort"
> {
  /** Node i (from 1) runs in `<runDir>/node<i>`. */
  runDir: string;
  /** Default 2. */
  nodes?: number;
}

/** A running cluster: its nodes, in the order they joined (node 1 first). */
export interface EjabberdCluster {
  readonly nodes: readonly EjabberdHandle[];
  /** The nodes the given node sees running in the Mnesia cluster (Erlang node names), itself included. */
  runningNodes(node: EjabberdHandle): Promise<string[]>;
  /** Stops every node, the last joined first. */
  stop(): Promise<void>;
}

const JOIN_TIMEOUT_MS = 120_000;
const READY_TIMEOUT_MS = 60_000;

// Run on the joining node: ejabberd stops, Mnesia drops its own schema, copies every table from
// the cluster and ejabberd starts again (ejabberd_cluster_mnesia:join/1). It waits for the copy.
const JOIN = `
[Node, Master, TimeoutMs] = init:get_plain_arguments(),
R = rpc:call(list_to_atom(Node), ejabberd_admin, join_cluster, [list_to_binary(Master)], list_to_integer(TimeoutMs)),
case R of ok -> halt(0); _ -> io:format(standard_error, "~p~n", [R]), halt(1) end.`;

const RUNNING = `
[Node] = init:get_plain_arguments(),
case rpc:call(list_to_atom(Node), mnesia, system_info, [running_db_nodes], 10000) of
  L when is_list(L) -> io:format("~s~n", [lists:join(" ", [atom_to_list(N) || N <- L])]), halt(0);
  E -> io:format(standard_error, "~p~n", [E]), halt(1)
end.`;

/**
 * Starts `nodes` ejabberd nodes serving the same domain (and, with `botComponent`, the same
 * component on each node's component port), and joins every node after the first to the first.
 * Resolves once every node answers XMPP streams again after its join.
 */
export async function startEjabberdCluster(options: EjabberdClusterOptions): Promise<EjabberdCluster> {
  const { runDir, nodes: count = 2, ...nodeOptions } = options;
  if (!Number.isInteger(count) || count < 1 || count > 200) throw new Error(`nodes: 1 to 200, not ${count}`);
  const addresses = Array.from({ length: count }, (_, i) => `127.0.0.${i + 2}`);
  const port = await freeOnAll(addresses);
  const cookie = randomBytes(20).toString("hex");
  const started: EjabberdHandle[] = [];
  const cluster: EjabberdCluster = {
    nodes: started,
    async runningNodes(node) {
      const r = await runCtl(node.erlNode, RUNNING, []);
      if (r.code !== 0) throw new Error(`asking ${node.erlNode.nodeName} for its cluster failed: ${r.output}`);
      return r.output.split(/\s+/).filter((n) => n !== "");
    },
    async stop() {
      for (const node of [...started].reverse()) await node.stop();
    },
  };
  try {
    for (const [i, address] of addresses.entries()) {
      const node = await startEjabberd({
        ...nodeOptions,
        runDir: join(runDir, `node${i + 1}`),
        distribution: { address, port, cookie },
      });
      started.push(node);
      if (i > 0) await joinCluster(node, started[0]!);
    }
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  return cluster;
}

async function joinCluster(node: EjabberdHandle, first: EjabberdHandle): Promise<void> {
  const r = await runCtl(node.erlNode, JOIN, [first.erlNode.nodeName, String(JOIN_TIMEOUT_MS)]);
  if (r.code !== 0)
    throw new Error(`${node.erlNode.nodeName} could not join ${first.erlNode.nodeName}'s cluster: ${r.output}`);
  // ejabberd was stopped and started again inside the node: its listeners come back on their own.
  const probes: StreamProbe[] = [{ port: node.c2sPort, xmlns: "jabber:client", to: node.domain }];
  if (node.botJid !== "") probes.push({ port: node.componentPort, xmlns: "jabber:component:accept", to: node.botJid });
  await waitForStreams(probes, READY_TIMEOUT_MS, () => Promise.resolve(undefined));
}

/** A TCP port free on every one of `addresses` (the distribution port all nodes share). */
async function freeOnAll(addresses: readonly string[]): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const [port] = await pickFreePorts(1);
    if (port !== undefined && (await Promise.all(addresses.map((a) => canBind(a, port)))).every(Boolean)) return port;
  }
  throw new Error(`no TCP port free on all of ${addresses.join(", ")}`);
}

function canBind(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, address, () => server.close(() => resolve(true)));
  });
}
