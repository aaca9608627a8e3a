// No imports, on purpose: each entry point imports this module alone, and holds SIGHUP before
// it loads anything else (see agents/mauve-agent.ts).

let held = 0;

function hold(): void {
  held++;
}

/**
 * From now on SIGHUP is counted instead of ending the process, as Node's default does, until
 * takeHeldHangups. An entry point calls it first: ESM loads and evaluates every static import
 * before the entry's own first statement, a second or more on a loaded host, and `systemctl
 * reload` (ExecReload=kill -HUP) right after a start came in that time and killed the process.
 * A short-lived command (mauvesend) keeps it to the end: a hangup never cuts its send short.
 */
export function holdHangups(): void {
  if (!process.listeners("SIGHUP").includes(hold)) process.on("SIGHUP", hold);
}

/**
 * Stops holding SIGHUP and says how many came meanwhile. Call it once another SIGHUP listener is
 * on: with none, Node restores the default, and a SIGHUP in between would end the process.
 */
export function takeHeldHangups(): number {
  process.removeListener("SIGHUP", hold);
  const count = held;
  held = 0;
  return count;
}
