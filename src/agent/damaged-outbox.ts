// An outbox file that is damaged (not a database, or corrupt: a crash on a bad disk, a file
// overwritten by mistake). The agent exited 1 at every start on it, and systemd restarted it to
// exit again: the host went unmonitored, and AlertBot heard of it only as a missing heartbeat. The
// damaged file holds updates that can no longer be read and a state the checks will tell again,
// so it is moved aside, for whoever wants to look at it, and the agent starts on a fresh outbox
// and says so with an alert of its own.
import { existsSync, renameSync } from "node:fs";
import type { Clock } from "../clock/clock.js";
import type { AgentAlert } from "../codec/build-update.js";
import { OUTBOX_DAMAGED_ALERT_ID } from "../codec/agent-alert-ids.js";
import type { Logger } from "../log.js";
import { Outbox } from "../store/outbox.js";
import { openFailureKind } from "../store/storage-failure.js";

/** An opened outbox, and where a damaged one found in its place was moved. */
export interface OpenedOutbox {
  readonly outbox: Outbox;
  readonly damaged: { readonly movedTo: string; readonly reason: string } | null;
}

/**
 * Opens the outbox at `path`; one that is damaged is moved aside (with its -wal and -shm, which
 * must never meet a fresh file) to `<path>.damaged-<time>`, and a fresh one opened in its place.
 * Any other failure (a directory that cannot be written, a file from newer code) is thrown.
 */
export function openOutbox(path: string, clock: Clock, log: Logger): OpenedOutbox {
  try {
    return { outbox: new Outbox(path), damaged: null };
  } catch (err) {
    if (openFailureKind(err) !== "damaged") throw err;
    const reason = err instanceof Error ? err.message : String(err);
    const movedTo = `${path}.damaged-${new Date(clock.now()).toISOString().replace(/[:.]/g, "-")}`;
    for (const suffix of ["", "-wal", "-shm"])
      if (existsSync(path + suffix)) renameSync(path + suffix, movedTo + suffix);
    log.error("the outbox is damaged: moved aside, starting on a fresh one (what waited in it is lost)", {
      path,
      movedTo,
      reason,
    });
    return { outbox: new Outbox(path), damaged: { movedTo, reason } };
  }
}

/**
 * The agent's own alert for a damaged outbox moved aside. It stays raised until the agent is
 * restarted (its start-up full state does not keep it): someone should look at the disk.
 */
export function damagedOutboxAlert(path: string, damaged: NonNullable<OpenedOutbox["damaged"]>): AgentAlert {
  return {
    id: OUTBOX_DAMAGED_ALERT_ID,
    state: "raised",
    summary: `its outbox was damaged and was moved aside; it runs on a fresh one`,
    detail:
      `The agent could not read ${path} (${damaged.reason}). It moved it to ${damaged.movedTo} and ` +
      `started on a fresh outbox: updates that waited in the old one are lost; its full state has ` +
      `been sent again. A damaged file can mean a failing disk: check this host's disk, then ` +
      `restart the agent to clear this alert.`,
  };
}
