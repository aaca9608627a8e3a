import { sourceToNodeName } from "../../src/codec/source-name.js";
import type { Alert, AlertUpdate } from "../../src/codec/types.js";
import type { UpdateOrigin } from "../../src/ingest/ingest-update.js";

let nextTransmission = 1_000n;

/** An alert with every field at its "unset" default, as real Mauve senders put them on the wire. */
export function alert(id: string, fields: Partial<Alert> = {}): Alert {
  return {
    id,
    raiseTimeS: 0,
    clearTimeS: 0,
    subject: "",
    summary: "",
    detail: "",
    importance: 0,
    suppressUntilS: 0,
    ...fields,
  };
}

/** An AlertUpdate from `source` with a fresh transmission id unless one is given. */
export function update(source: string, alerts: Alert[], fields: Partial<AlertUpdate> = {}): AlertUpdate {
  return {
    transmissionId: nextTransmission++,
    source,
    replace: false,
    alerts,
    signature: new Uint8Array(),
    transmissionTimeS: 0,
    sequence: 0n,
    ...fields,
  };
}

/** Where an update from `source` came from when its agent published it on `domain`'s pubsub. */
export function pubsubOrigin(source = "web1", domain = "mauve.localhost"): UpdateOrigin {
  return { via: "pubsub", node: sourceToNodeName(source), publisher: `${source}@${domain}` };
}
