// What the TLS tests look at from outside the agent: the TCP connections a process holds (read from
// /proc, as `ss -tnp` does), and the stream features a server offers a client before it logs in.
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { connect } from "node:net";

/** One TCP connection a process holds open. */
export interface HeldConnection {
  readonly localPort: number;
  /** The kernel's name for its state: ESTABLISHED, FIN_WAIT2, CLOSE_WAIT... */
  readonly state: string;
}

// include/net/tcp_states.h
const TCP_STATES: Readonly<Record<number, string>> = {
  1: "ESTABLISHED",
  2: "SYN_SENT",
  3: "SYN_RECV",
  4: "FIN_WAIT1",
  5: "FIN_WAIT2",
  6: "TIME_WAIT",
  7: "CLOSE",
  8: "CLOSE_WAIT",
  9: "LAST_ACK",
  10: "LISTEN",
  11: "CLOSING",
};

/**
 * The TCP connections process `pid` holds a descriptor of whose remote end is `remotePort` (any
 * address). A socket the process has closed is not among them, whatever the kernel still does with it.
 */
export function heldConnections(pid: number, remotePort: number): HeldConnection[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    let target: string;
    try {
      target = readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      continue; // closed between the listing and the read
    }
    const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
    if (inode !== undefined) inodes.add(inode);
  }
  const held: HeldConnection[] = [];
  for (const table of ["tcp", "tcp6"]) {
    // Lines: sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
    for (const line of readFileSync(`/proc/${pid}/net/${table}`, "utf8").split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/);
      const [local, remote, state, inode] = [fields[1], fields[2], fields[3], fields[9]];
      if (local === undefined || remote === undefined || state === undefined || inode === undefined) continue;
      if (!inodes.has(inode) || portOf(remote) !== remotePort) continue;
      const code = parseInt(state, 16);
      held.push({ localPort: portOf(local), state: TCP_STATES[code] ?? `state ${code}` });
    }
  }
  return held;
}

// "0100007F:1F90" → 8080
function portOf(address: string): number {
  return parseInt(address.slice(address.lastIndexOf(":") + 1), 16);
}

/** Opens a plain stream to `domain` on 127.0.0.1:`port` and returns the features it offers, as XML text. */
export function plainStreamFeatures(port: number, domain: string, timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let received = "";
    const timer = setTimeout(
      () => finish(new Error(`no stream features within ${timeoutMs} ms: ${received}`)),
      timeoutMs,
    );
    const finish = (err?: Error): void => {
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(received.slice(received.indexOf("<stream:features")));
    };
    socket.setEncoding("utf8");
    socket.on("error", finish);
    socket.on("data", (chunk: string) => {
      received += chunk;
      if (received.includes("</stream:features>")) finish();
    });
    // RFC 6120 §4.7: the initial stream header of a client.
    socket.write(
      `<?xml version='1.0'?><stream:stream to='${domain}' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>`,
    );
  });
}
