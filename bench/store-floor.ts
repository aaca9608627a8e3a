// What the store alone costs for the open-alerts phase's work: the same new alerts written through
// AlertBot's own Store into a fresh file, in the same 100-alert transactions, with none of the bot
// around the writes (no decoding, checks, policy, planning or sending). Measured in the same run
// as the bot's own rate, it tells how much of that rate the writes themselves account for.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AlertEvent, AlertRecord, AlertState } from "../src/alerts/types.js";
import type { DeliveryForm } from "../src/store/policy-store.js";
import { Store } from "../src/store/store.js";
import { ON_CALL, STORM_LIMIT_COUNT, STORM_LIMIT_WINDOW_MS } from "./bot-config.js";
import { hrMs } from "./hrtime.js";

/** Alerts/s the store alone wrote, by how much of what the bot stores for each alert it wrote. */
export interface StoreFloorResult {
  /** Each alert's row, nothing else: what any design keeping a row per alert in this schema pays. */
  readonly rowsPerSec: number;
  /** The row and its "raised" history line: what an alert raised under Mauve's semantics stores. */
  readonly rowsAndHistoryPerSec: number;
  /**
   * Every statement the bot runs for an alert raised and told to one person in a digest: the row
   * (with the policy's escalation and when to look again, decided before it is written), its
   * history line, a delivery queued, read back and finished, the digest's send and the "notified" line.
   */
  readonly allWritesPerSec: number;
  /**
   * What the policy's look cost when it was written on its own: every statement as in
   * `allWritesPerSec`, plus the escalation read and the row written again with it and when to look
   * (as before the look was written with the row, docs/performance.md's fourteenth round).
   */
  readonly lookWrittenApartPerSec: number;
  /**
   * The change of design left to try: every statement as in `allWritesPerSec`, but one delivery
   * row per digest (the alerts' numbers in its body) instead of one per alert told.
   */
  readonly digestDeliveryRowPerSec: number;
}

/** What the bot stored for one of its alerts, so the floor writes values of the same size. */
export interface StoredSample {
  readonly escalation: string | null;
  readonly deliveryBody: unknown;
}

const HOUR_MS = 3_600_000;

/** What each pass writes for an alert: its row only, with its history line, or the bot's statements with or without some. */
type Variant =
  | { readonly kind: "rows" | "history" }
  | { readonly kind: "all"; readonly deliveryRow: "per alert" | "per digest"; readonly lookApart: boolean };

const ALL = { kind: "all", deliveryRow: "per alert", lookApart: false } as const;

/** Writes `count` new alerts `perUpdate` to a transaction, once per variant, each into a fresh file. */
export function measureStoreFloor(count: number, perUpdate: number, sample: StoredSample): StoreFloorResult {
  return {
    rowsPerSec: rate({ kind: "rows" }, count, perUpdate, sample),
    rowsAndHistoryPerSec: rate({ kind: "history" }, count, perUpdate, sample),
    allWritesPerSec: rate(ALL, count, perUpdate, sample),
    lookWrittenApartPerSec: rate({ ...ALL, lookApart: true }, count, perUpdate, sample),
    digestDeliveryRowPerSec: rate({ ...ALL, deliveryRow: "per digest" }, count, perUpdate, sample),
  };
}

function rate(variant: Variant, count: number, perUpdate: number, sample: StoredSample): number {
  const dir = mkdtempSync(join(tmpdir(), "mauve-bench-floor-"));
  // As the bot opens its file: WAL checkpoints from their own thread.
  const store = Store.open(join(dir, "floor.db"), { checkpointInBackground: { onError: () => undefined } });
  try {
    const t0 = hrMs();
    for (let s = 0, written = 0; written < count; s++) {
      const n = Math.min(perUpdate, count - written);
      const now = Date.now();
      // The look written with the row: the row says when to look again; written apart, the row
      // says "at once" and the look writes it again.
      const lookAt = variant.kind === "all" && !variant.lookApart ? now + HOUR_MS : now;
      store.transaction(() => writeUpdate(store, variant, newAlerts(s, n, now, lookAt), now, sample));
      written += n;
    }
    return count / ((hrMs() - t0) / 1000);
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

// The same alerts as the open-alerts phase raises: `n` of source bulk<s>.
function newAlerts(s: number, n: number, now: number, policyDueAt: number): AlertState[] {
  return Array.from({ length: n }, (_, j) => ({
    source: `bulk${s}`,
    alertId: `open-${j}`,
    status: "raised",
    subject: `bulk host ${s}`,
    summary: `synthetic open alert ${j} of bulk${s}`,
    detail: "",
    importance: 60,
    raisedAt: now,
    clearedAt: null,
    scheduledRaiseAt: null,
    scheduledClearAt: null,
    suppressUntil: null,
    ack: null,
    policyDueAt,
    updatedAt: now,
  }));
}

function writeUpdate(store: Store, variant: Variant, states: AlertState[], now: number, sample: StoredSample): void {
  const raised: AlertEvent = { kind: "raised", at: now, actor: "bulk", detail: "" };
  const withLook = variant.kind === "all" && !variant.lookApart;
  const saved: AlertRecord[] = states.map((state) => {
    const alert = store.alerts.save(state, undefined, withLook ? sample.escalation : undefined);
    if (variant.kind !== "rows") store.alerts.record(alert.shortId, [raised]);
    return alert;
  });
  if (variant.kind !== "all") return;
  if (variant.lookApart)
    for (const alert of saved) {
      store.policy.escalationText(alert.shortId);
      store.alerts.setPolicyDue(alert, now + HOUR_MS, sample.escalation);
    }
  // Per alert, the rows the bot keeps: each alert's delivery queued here, read back and finished
  // below. Per digest: one row whose body names every alert of it, as the design would keep it.
  const perAlert = variant.deliveryRow === "per alert";
  const told = saved.map((a) => a.shortId);
  const form: DeliveryForm<{ person: string; shortId: number }> = {
    encode: () => (perAlert ? sample.deliveryBody : { delivery: sample.deliveryBody, alerts: told }),
    decode: (_body, person, shortId) => ({ person, shortId }),
  };
  store.policy.addDeliveries(
    perAlert ? told.map((shortId) => ({ person: ON_CALL, shortId })) : [{ person: ON_CALL, shortId: told[0]! }],
    now,
    null,
    form,
  );
  // What a flush reads and writes to plan and send one digest of them.
  store.policy.peopleWithPending(now);
  store.policy.sendsWithin(ON_CALL, now - STORM_LIMIT_WINDOW_MS, now, STORM_LIMIT_COUNT);
  store.policy.lastSend(ON_CALL, "quiet-digest");
  const pending = store.policy.pending(ON_CALL, now, form);
  store.policy.recordSend(ON_CALL, "digest", now);
  const shortIds = perAlert ? pending.map((d) => d.shortId) : told;
  store.alerts.briefEach(shortIds);
  // The send's outcome: stored by the bot in the next transaction, here in this one (a commit each all the same).
  store.policy.finishEach(
    pending.map((d) => d.id),
    "digested",
    now,
  );
  store.alerts.recordEach(shortIds, { kind: "notified", at: now, actor: "bot", detail: "digest" });
}
