// XML namespaces used on the wire. Ours are versioned: a change of meaning gets a new number.

/** RFC 6120 §8.3: stanza error conditions. */
export const NS_STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas";
/** XEP-0030: service discovery, information about an entity. */
export const NS_DISCO_INFO = "http://jabber.org/protocol/disco#info";
/** XEP-0030: service discovery, items of an entity (pubsub nodes). */
export const NS_DISCO_ITEMS = "http://jabber.org/protocol/disco#items";
/** XEP-0060: publish-subscribe, entity use cases. */
export const NS_PUBSUB = "http://jabber.org/protocol/pubsub";
/** XEP-0060: publish-subscribe, owner use cases. */
export const NS_PUBSUB_OWNER = "http://jabber.org/protocol/pubsub#owner";
/** XEP-0060: event notifications. */
export const NS_PUBSUB_EVENT = "http://jabber.org/protocol/pubsub#event";
/** XEP-0060 §7: application-specific error conditions (e.g. precondition-not-met). */
export const NS_PUBSUB_ERRORS = "http://jabber.org/protocol/pubsub#errors";
/** XEP-0060 §16.4.4: FORM_TYPE of the node configuration form. */
export const NS_PUBSUB_NODE_CONFIG = "http://jabber.org/protocol/pubsub#node_config";
/** XEP-0004: data forms. */
export const NS_DATA_FORMS = "jabber:x:data";
/** RFC 6121 §2: the roster. */
export const NS_ROSTER = "jabber:iq:roster";
/** XEP-0199: XMPP ping. */
export const NS_PING = "urn:xmpp:ping";
/** XEP-0045: multi-user chat, the join request. */
export const NS_MUC = "http://jabber.org/protocol/muc";
/** XEP-0045: occupant information in room presence and messages (real JIDs, status codes). */
export const NS_MUC_USER = "http://jabber.org/protocol/muc#user";
/** XEP-0045 §10: owner use cases (room configuration, destruction). */
export const NS_MUC_OWNER = "http://jabber.org/protocol/muc#owner";
/** XEP-0045 §9: admin use cases (affiliation lists: members, bans). */
export const NS_MUC_ADMIN = "http://jabber.org/protocol/muc#admin";
/** XEP-0045 §15.5.3: FORM_TYPE of the room configuration form. */
export const NS_MUC_ROOMCONFIG = "http://jabber.org/protocol/muc#roomconfig";
/** XEP-0050: ad-hoc commands, also the disco node that lists them and the entity's disco feature. */
export const NS_COMMANDS = "http://jabber.org/protocol/commands";
/** XEP-0203: delayed delivery (room history replayed on join). */
export const NS_DELAY = "urn:xmpp:delay";

/** Disco feature of a mauve agent, and the namespace of its `<provision/>` request to the bot. */
export const NS_MAUVE_AGENT = "urn:mauve-xmpp:agent:1";
/** Disco feature of AlertBot. */
export const NS_MAUVE_BOT = "urn:mauve-xmpp:bot:1";
/** Payload of an item of AlertBot's replica log (docs/failover.md): a batch of writes. */
export const NS_MAUVE_REPLICA = "urn:mauve-xmpp:replica:1";
/** AlertBot's snapshot of its database, asked for by the standby the replica log no longer reaches. */
export const NS_MAUVE_REPLICA_SNAPSHOT = "urn:mauve-xmpp:replica-snapshot:1";
