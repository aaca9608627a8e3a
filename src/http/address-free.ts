// Whether an address a listener failed to take (EADDRINUSE) can be taken now. AlertBot, started
// with its HTTP or UDP port held by another program, waits for it: trying its whole start again
// meanwhile would log in and out of the XMPP server every few seconds, which people see.
import { createSocket } from "node:dgram";
import { createServer } from "node:net";

/** The address a failed listen names (Node's error carries it), or null when it names none. */
export function failedAddress(err: unknown): { host: string; port: number; udp: boolean } | null {
  const e = err as { code?: unknown; syscall?: unknown; address?: unknown; port?: unknown } | null;
  if (!e || typeof e.code !== "string" || !["EADDRINUSE", "EACCES", "EADDRNOTAVAIL"].includes(e.code)) return null;
  if (typeof e.address !== "string" || typeof e.port !== "number") return null;
  return { host: e.address, port: e.port, udp: e.syscall === "bind" };
}

/** Resolves true when `address` can be bound now (and lets it go at once), false when not. */
export function addressFree(address: { host: string; port: number; udp: boolean }): Promise<boolean> {
  return new Promise((resolve) => {
    if (address.udp) {
      const socket = createSocket(address.host.includes(":") ? "udp6" : "udp4");
      socket.once("error", () => {
        socket.close();
        resolve(false);
      });
      socket.bind(address.port, address.host, () => socket.close(() => resolve(true)));
      return;
    }
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(address.port, address.host, () => server.close(() => resolve(true)));
  });
}
