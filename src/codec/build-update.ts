import { randomBytes } from "node:crypto";
import { HEARTBEAT_ALERT_ID } from "./agent-alert-ids.js";
import type { Alert, AlertUpdate } from "./types.js";

/** An alert as the agent knows it: raised or cleared now, with its text. */
export interface AgentAlert {
  id: string;
  state: "raised" | "cleared";
  subject?: string;
  summary?: string;
  detail?: string;
  importance?: number;
}

/** A fresh 64-bit transmission id; random so that several agents never collide. */
export function newTransmissionId(): bigint {
  return randomBytes(8).readBigUInt64BE();
}

/** The wire alert for an agent alert at `nowSec`. */
export function toWireAlert(a: AgentAlert, nowSec: number): Alert {
  return {
    id: a.id,
    raiseTimeS: a.state === "raised" ? nowSec : 0,
    clearTimeS: a.state === "cleared" ? nowSec : 0,
    subject: a.subject ?? "",
    summary: a.summary ?? "",
    detail: a.detail ?? "",
    importance: a.importance ?? 0,
    suppressUntilS: 0,
  };
}

/** Mauve's heartbeat: clear now, raise at `nowSec + raiseAfterSec` unless refreshed first. */
export function heartbeatAlert(source: string, nowSec: number, raiseAfterSec: number): Alert {
  return {
    id: HEARTBEAT_ALERT_ID,
    raiseTimeS: nowSec + raiseAfterSec,
    clearTimeS: nowSec,
    subject: source,
    summary: `mauve-agent on ${source} has stopped sending heartbeats`,
    detail: "",
    importance: 0,
    suppressUntilS: 0,
  };
}

/** An update from this agent, stamped with its transmission time and sequence. */
export function buildUpdate(
  source: string,
  alerts: Alert[],
  options: { replace: boolean; nowSec: number; sequence: bigint },
): AlertUpdate {
  return {
    transmissionId: newTransmissionId(),
    source,
    replace: options.replace,
    alerts,
    signature: new Uint8Array(),
    transmissionTimeS: options.nowSec,
    sequence: options.sequence,
  };
}
