// Loopback port helpers for the private Prosody: pick free ports, wait until they listen.
import { createConnection, createServer } from "node:net";
import type { Server } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";

const LOOPBACK = "127.0.0.1";

/** Returns `count` distinct free TCP ports on 127.0.0.1, found by binding port 0 and releasing it. */
export async function pickFreePorts(count: number): Promise<number[]> {
  // All servers stay open until every port is read, so the kernel cannot hand out one port twice.
  const servers: Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < count; i++) {
      const server = createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(0, LOOPBACK, resolve);
      });
      const address = server.address();
      if (address === null || typeof address === "string") throw new Error("no TCP address for a bound server");
      ports.push(address.port);
    }
    return ports;
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}

/** Resolves true if something accepts a TCP connection on 127.0.0.1:`port`. */
export function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: LOOPBACK, port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** An XMPP stream a ready server must open: RFC 6120 §4.2 for c2s, XEP-0114 §3 for components. */
export interface StreamProbe {
  readonly port: number;
  readonly xmlns: "jabber:client" | "jabber:component:accept";
  readonly to: string;
}

/**
 * Resolves true if 127.0.0.1:`port` answers a stream header with one from `to`: proof that
 * our Prosody, not some other program holding the port, is serving that host there.
 */
export function answersStream(probe: StreamProbe, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    let reply = "";
    const socket = createConnection({ host: LOOPBACK, port: probe.port });
    const finish = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.once("error", () => finish(false));
    socket.once("connect", () => {
      socket.write(
        `<?xml version='1.0'?><stream:stream xmlns='${probe.xmlns}' ` +
          `xmlns:stream='http://etherx.jabber.org/streams' to='${probe.to}' version='1.0'>`,
      );
    });
    socket.on("data", (chunk: Buffer) => {
      reply += chunk.toString("utf8");
      const header = /<stream:stream\b[^>]*>/.exec(reply)?.[0];
      if (header !== undefined) finish(new RegExp(`\\sfrom=['"]${probe.to.replaceAll(".", "\\.")}['"]`).test(header));
      else if (reply.length > 4096) finish(false);
    });
  });
}

/**
 * Polls until every probe is answered. `failure()` is asked between polls and aborts the
 * wait with its message (e.g. "Prosody exited"); so does the deadline.
 */
export async function waitForStreams(
  probes: readonly StreamProbe[],
  timeoutMs: number,
  failure: () => Promise<string | undefined>,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const pending = new Set(probes);
  for (;;) {
    const problem = await failure();
    if (problem !== undefined) throw new Error(problem);
    for (const probe of [...pending]) if (await answersStream(probe)) pending.delete(probe);
    if (pending.size === 0) return;
    if (Date.now() > deadline) {
      const ports = [...pending].map((p) => `${p.port} (${p.to})`).join(", ");
      throw new Error(`the server is not serving port(s) ${ports} after ${timeoutMs} ms`);
    }
    await sleep(50);
  }
}
