#!/usr/bin/env node
// Container health check: healthy (exit 0) while this container holds an established TCP
// connection to the given remote port (AlertBot to Prosody's component port 5347, an agent to
// its client port 5222). Both reconnect by themselves; this says whether they are connected now.
// Plain Node, reading /proc: the slim images have no ss or netstat.
import { readFileSync } from "node:fs";

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  console.error("usage: healthcheck.mjs REMOTE_PORT");
  process.exit(2);
}
const ESTABLISHED = "01";
const hexPort = port.toString(16).toUpperCase().padStart(4, "0");
const connected = ["/proc/net/tcp", "/proc/net/tcp6"].some((table) => {
  let text;
  try {
    text = readFileSync(table, "utf8");
  } catch {
    return false;
  }
  // Columns: sl local_address rem_address st ...; addresses are HEXIP:HEXPORT.
  return text
    .split("\n")
    .slice(1)
    .some((line) => {
      const [, , remote, state] = line.trim().split(/\s+/);
      return state === ESTABLISHED && remote?.endsWith(`:${hexPort}`);
    });
});
process.exit(connected ? 0 : 1);
