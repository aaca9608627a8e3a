// The alerts the load generators send: batches that flip a pool of alerts, and single probes.
import { toWireAlert } from "../src/codec/build-update.js";
import type { Alert } from "../src/codec/types.js";

/**
 * The k-th batch of an agent cycling through `pool` alerts `batch` at a time: each alert flips
 * (raised, then cleared the next time round), so every alert in every update is a real
 * transition the policy must look at, and the number of open alerts stays bounded.
 */
export function flipBatch(k: number, batch: number, pool: number): Alert[] {
  const nowSec = Math.floor(Date.now() / 1000);
  const alerts: Alert[] = [];
  for (let j = 0; j < batch; j++) {
    const n = k * batch + j;
    const state = Math.floor(n / pool) % 2 === 0 ? "raised" : "cleared";
    alerts.push(
      toWireAlert(
        { id: `load-${n % pool}`, state, summary: `synthetic load alert ${n % pool}`, importance: 60 },
        nowSec,
      ),
    );
  }
  return alerts;
}

/** A single new alert whose id carries `token`, so the chat line it causes can be matched to its publish. */
export function probeAlert(token: string): Alert {
  return toWireAlert(
    { id: `probe-${token}`, state: "raised", summary: "latency probe", importance: 60 },
    Math.floor(Date.now() / 1000),
  );
}

/** Finds the probe token in a chat line, if any. */
export function probeToken(body: string): string | undefined {
  return /probe-(\d+)/.exec(body)?.[1];
}
