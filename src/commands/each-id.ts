// Commands over several alerts ("ack 41,42,43"): each alert is changed in its own transaction, so
// a write that fails for one (a full disk) leaves the ones before it changed. The reply must say
// exactly which were changed and which not, and why: "changed nothing" would be wrong.
import { StorageUnavailableError } from "../errors.js";
import type { CommandContext } from "./types.js";

/**
 * One line per id, from `run`; an id whose change threw gets a line saying it was not changed,
 * and why, and the rest are still tried. When every id threw, nothing changed: the first error is
 * thrown on, for the command's boundary to answer as for a single alert.
 */
export function eachId(ids: readonly number[], ctx: CommandContext, run: (id: number) => string): string[] {
  const failures: unknown[] = [];
  const lines = ids.map((id) => {
    try {
      return run(id);
    } catch (err) {
      failures.push(err);
      ctx.failed?.(id, err);
      return err instanceof StorageUnavailableError
        ? `#${id}: not changed: I cannot write my database right now (${err.reason}); the people on call have been told`
        : `#${id}: not changed: something went wrong on my side; it has been logged`;
    }
  });
  if (failures.length > 0 && failures.length === ids.length) throw failures[0];
  return lines;
}
