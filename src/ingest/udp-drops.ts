// Datagrams the kernel dropped at a UDP socket because its receive buffer was full: a burst of
// Mauve updates (every host's cron at the same minute) that came faster than AlertBot read them.
// Nothing else tells: UDP has no answer a sender could miss, and the process never sees them.
// Linux counts them per socket in /proc/net/udp and /proc/net/udp6 (the last column, "drops").
import { readFileSync } from "node:fs";

/**
 * The drops counted for the socket bound to `host`:`port` in a /proc/net/udp or udp6 listing;
 * null when no line is that socket's.
 */
export function socketDrops(listing: string, host: string, port: number): number | null {
  const want = `${procAddress(host)}:${port.toString(16).toUpperCase().padStart(4, "0")}`;
  for (const line of listing.split("\n").slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields[1]?.toUpperCase() !== want) continue;
    const drops = Number(fields.at(-1));
    return Number.isSafeInteger(drops) ? drops : null;
  }
  return null;
}

/** This host's count for the socket bound to `host`:`port`; null where the kernel does not say (not Linux). */
export function readSocketDrops(host: string, port: number): number | null {
  try {
    return socketDrops(readFileSync(host.includes(":") ? "/proc/net/udp6" : "/proc/net/udp", "utf8"), host, port);
  } catch {
    return null;
  }
}

// The kernel prints an address as the hex of its 32-bit words in the host's byte order
// (little-endian here): 127.0.0.1 is 0100007F.
function procAddress(host: string): string {
  const bytes = host.includes(":") ? ipv6Bytes(host) : host.split(".").map(Number);
  const words: string[] = [];
  for (let i = 0; i < bytes.length; i += 4)
    words.push(
      bytes
        .slice(i, i + 4)
        .reverse()
        .map((b) => b.toString(16).toUpperCase().padStart(2, "0"))
        .join(""),
    );
  return words.join("");
}

function ipv6Bytes(host: string): number[] {
  const [head = "", tail] = host.split("::");
  const groups = (part: string): string[] => (part === "" ? [] : part.split(":"));
  const before = groups(head);
  const after = tail === undefined ? [] : groups(tail);
  const all = [...before, ...Array<string>(8 - before.length - after.length).fill("0"), ...after];
  return all.flatMap((g) => {
    const n = parseInt(g, 16);
    return [n >> 8, n & 0xff];
  });
}
