// XEP-0060 publish-subscribe over a session, as one object of typed calls.
// Refusals are values: { ok: false, condition: "forbidden" | "item-not-found" | "conflict" | ... }.
import type { Unsubscribe } from "./emitter.js";
import type { XmppResult } from "./errors.js";
import type { NodeConfig } from "./node-config.js";
import type { UpdatePayload } from "../codec/payload.js";
import type { PlainElement } from "./payload.js";
import * as entity from "./pubsub-entity.js";
import type { NodeListing, PubsubItem } from "./pubsub-entity.js";
import { onPubsubEvent } from "./pubsub-events.js";
import type { PubsubEvent, PubsubEventOptions } from "./pubsub-events.js";
import * as owner from "./pubsub-owner.js";
import type { Affiliation, AffiliationEntry } from "./pubsub-owner.js";
import { coreOf } from "./session.js";
import type { XmppSession } from "./session.js";

/**
 * Pubsub calls on one session. `service` is the pubsub JID (e.g. "pubsub.example.org").
 * Each call resolves with a result value; it rejects only with XmppIoError (offline, no reply in time).
 */
export interface Pubsub {
  /** XEP-0060 §8.1: create (and configure) a node. Prosody lets only service admins create. */
  createNode(service: string, node: string, config?: NodeConfig): Promise<XmppResult>;
  /** XEP-0060 §8.2.4: change some options of a node. */
  configureNode(service: string, node: string, config: NodeConfig): Promise<XmppResult>;
  /** XEP-0060 §8.2.1: read a node's options. */
  getNodeConfig(service: string, node: string): Promise<XmppResult<{ config: NodeConfig }>>;
  /** XEP-0060 §8.4: delete a node. */
  deleteNode(service: string, node: string): Promise<XmppResult>;
  /** XEP-0060 §7.1: publish an update; resolves once the service confirmed it. */
  publish(service: string, node: string, payload: UpdatePayload, itemId?: string): Promise<XmppResult<{ itemId: string }>>;
  /** Publish an element of another namespace (tests, interop). */
  publishForeign(service: string, node: string, payload: PlainElement, itemId?: string): Promise<XmppResult<{ itemId: string }>>;
  /** XEP-0060 §6.1: subscribe `jid` (default: ourselves, bare). */
  subscribe(service: string, node: string, jid?: string): Promise<XmppResult<{ jid: string; subscription: string; subid?: string }>>;
  /** XEP-0060 §6.2: unsubscribe `jid` (default: ourselves, bare). */
  unsubscribe(service: string, node: string, jid?: string): Promise<XmppResult>;
  /** XEP-0060 §6.5: retained items, oldest first; the newest `max` of them if given. */
  getItems(service: string, node: string, max?: number): Promise<XmppResult<{ items: PubsubItem[] }>>;
  /** XEP-0060 §5.2: the service's nodes (disco#items). */
  listNodes(service: string): Promise<XmppResult<{ nodes: NodeListing[] }>>;
  /** XEP-0060 §8.9.2: set one affiliation ("none" removes it). */
  setAffiliation(service: string, node: string, jid: string, affiliation: Affiliation): Promise<XmppResult>;
  /** XEP-0060 §8.9.1: list a node's affiliations (owners only). */
  getAffiliations(service: string, node: string): Promise<XmppResult<{ affiliations: AffiliationEntry[] }>>;
  /** Item notifications of subscribed nodes; see PubsubEventOptions.services. */
  onEvent(handler: (event: PubsubEvent) => void | Promise<void>, options?: PubsubEventOptions): Unsubscribe;
}

/** Pubsub calls over `session`. */
export function createPubsub(session: XmppSession): Pubsub {
  const core = coreOf(session);
  return {
    createNode: (service, node, config) => owner.createNode(core, service, node, config),
    configureNode: (service, node, config) => owner.configureNode(core, service, node, config),
    getNodeConfig: (service, node) => owner.getNodeConfig(core, service, node),
    deleteNode: (service, node) => owner.deleteNode(core, service, node),
    publish: (service, node, payload, itemId) => entity.publishUpdate(core, service, node, payload, itemId),
    publishForeign: (service, node, payload, itemId) => entity.publishPlain(core, service, node, payload, itemId),
    subscribe: (service, node, jid) => entity.subscribe(core, service, node, jid),
    unsubscribe: (service, node, jid) => entity.unsubscribe(core, service, node, jid),
    getItems: (service, node, max) => entity.getItems(core, service, node, max),
    listNodes: (service) => entity.listNodes(core, service),
    setAffiliation: (service, node, jid, affiliation) => owner.setAffiliation(core, service, node, jid, affiliation),
    getAffiliations: (service, node) => owner.getAffiliations(core, service, node),
    onEvent: (handler, options) => onPubsubEvent(core, handler, options),
  };
}
