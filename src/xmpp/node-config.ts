// XEP-0060 §16.4.4 node configuration, limited to the fields Prosody 0.12
// understands (mod_pubsub/pubsub.lib.lua node_config_form). Prosody silently
// ignores fields it does not know, and refuses (not-acceptable) access models
// other than "open" and "whitelist" and max_items above pubsub_max_items.
import { buildSubmitForm, readForm } from "./data-form.js";
import type { FormValue } from "./data-form.js";
import { NS_PUBSUB_NODE_CONFIG } from "./namespaces.js";
import type { XmlElement, XmlFactory } from "./xml.js";

/** Node options we set; absent ones keep the server's defaults (or the node's current values). */
export interface NodeConfig {
  readonly title?: string;
  readonly description?: string;
  /** pubsub#type: the payload namespace. */
  readonly payloadType?: string;
  /** Prosody accepts only "open" and "whitelist". */
  readonly accessModel?: "open" | "whitelist" | "authorize" | "presence" | "roster";
  /** "publishers": only owners and publishers may publish. */
  readonly publishModel?: "publishers" | "subscribers" | "open";
  readonly persistItems?: boolean;
  /** Items retained; at most the service's pubsub_max_items. */
  readonly maxItems?: number | "max";
  readonly deliverNotifications?: boolean;
  readonly deliverPayloads?: boolean;
  readonly notifyRetract?: boolean;
  readonly notifyDelete?: boolean;
  readonly notificationType?: "normal" | "headline";
  readonly sendLastPublishedItem?: "never" | "on_sub" | "on_sub_and_presence";
}

// Our field name -> XEP-0060 var, in form order.
const VARS: ReadonlyArray<readonly [keyof NodeConfig, string]> = [
  ["title", "pubsub#title"],
  ["description", "pubsub#description"],
  ["payloadType", "pubsub#type"],
  ["accessModel", "pubsub#access_model"],
  ["publishModel", "pubsub#publish_model"],
  ["persistItems", "pubsub#persist_items"],
  ["maxItems", "pubsub#max_items"],
  ["deliverNotifications", "pubsub#deliver_notifications"],
  ["deliverPayloads", "pubsub#deliver_payloads"],
  ["notifyRetract", "pubsub#notify_retract"],
  ["notifyDelete", "pubsub#notify_delete"],
  ["notificationType", "pubsub#notification_type"],
  ["sendLastPublishedItem", "pubsub#send_last_published_item"],
];

const BOOLEANS = new Set<keyof NodeConfig>(["persistItems", "deliverNotifications", "deliverPayloads", "notifyRetract", "notifyDelete"]);

/** The submit form for a configuration (XEP-0060 §8.1.3 create-and-configure, §8.2.4 configure). */
export function buildNodeConfigForm(xml: XmlFactory, config: NodeConfig): XmlElement {
  const fields = new Map<string, FormValue>();
  for (const [key, name] of VARS) {
    const value = config[key];
    if (value !== undefined) fields.set(name, value);
  }
  return buildSubmitForm(xml, NS_PUBSUB_NODE_CONFIG, fields);
}

/** Reads a node configuration form as the server filled it (XEP-0060 §8.2.1). Unknown values are left out. */
export function parseNodeConfigForm(x: XmlElement): NodeConfig {
  const values = readForm(x);
  const out: Record<string, unknown> = {};
  for (const [key, name] of VARS) {
    const v = values.get(name)?.[0];
    if (v === undefined) continue;
    if (BOOLEANS.has(key)) out[key] = v === "1" || v === "true";
    else if (key === "maxItems") out[key] = v === "max" ? "max" : Number(v);
    else out[key] = v;
  }
  return out as NodeConfig;
}
