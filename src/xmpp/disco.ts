// What an entity offers and how to use it: XEP-0030 service discovery (answer disco#info about
// ourselves, ask others; @xmpp/client answers only XEP-0199 ping by itself) and XEP-0050 ad-hoc
// commands, listed through disco#items.
import { randomBytes } from "node:crypto";
import type { Clock } from "../clock/clock.js";
import { systemClock } from "../clock/clock.js";
import {
  buildForm,
  buildSubmitForm,
  parseForm,
  readForm,
  type FormSpec,
  type FormValue,
  type ReceivedForm,
} from "./data-form.js";
import type { Unsubscribe } from "./emitter.js";
import type { IqHandlerResult } from "./iq.js";
import type { XmppResult } from "./errors.js";
import { jidEquals } from "./jid.js";
import { NS_COMMANDS, NS_DATA_FORMS, NS_DISCO_INFO, NS_DISCO_ITEMS, NS_PING } from "./namespaces.js";
import { coreOf, type XmppSession } from "./session.js";
import { attr, type XmlElement } from "./xml.js";

/** XEP-0030 §3.1 identity, e.g. { category: "client", type: "bot", name: "mauve-agent" }. */
export interface DiscoIdentity {
  readonly category: string;
  readonly type: string;
  readonly name?: string;
}

/** What an entity says about itself. */
export interface DiscoInfo {
  readonly identities: DiscoIdentity[];
  readonly features: string[];
}

/** One entry of a disco#items answer (a room, a pubsub node…). */
export interface DiscoItem {
  readonly jid: string;
  readonly node?: string;
  readonly name?: string;
}

/** Discovery for one session. */
export interface Disco {
  /** XEP-0030 §3.1: asks `jid` (optionally about `node`) for its identities and features. */
  discoInfo(jid: string, node?: string): Promise<XmppResult<DiscoInfo>>;
  /** XEP-0030 §4.1: asks `jid` (optionally about `node`) which items it has. */
  discoItems(jid: string, node?: string): Promise<XmppResult<{ items: DiscoItem[] }>>;
  /** Starts answering disco#info about ourselves; replaces a previous answer. */
  announce(info: DiscoInfo): Unsubscribe;
  /**
   * XEP-0030 §3.2: answers disco#info about our nodes through `describe` (the requester's full
   * JID given); undefined, or no describer, is item-not-found. Replaces a previous describer.
   */
  describeNodes(describe: NodeDescriber): Unsubscribe;
}

/** What we say about one of our nodes to a requester, or undefined when it is not theirs to see. */
export type NodeDescriber = (node: string, fromJid: string) => DiscoInfo | undefined;

/** Discovery over `session`; with `info`, it answers disco#info queries right away. */
export function createDisco(session: XmppSession, info?: DiscoInfo): Disco {
  const core = coreOf(session);
  let describer: NodeDescriber | undefined;
  const answer = (info: DiscoInfo, node?: string): IqHandlerResult => {
    const { xml } = core;
    return {
      ok: true,
      payload: xml(
        "query",
        { xmlns: NS_DISCO_INFO, node },
        ...info.identities.map((i) => xml("identity", { category: i.category, type: i.type, name: i.name })),
        ...info.features.map((f) => xml("feature", { var: f })),
      ),
    };
  };
  const announce = (own: DiscoInfo): Unsubscribe => {
    // We always answer disco#info and ping (xmpp.js for clients, connectComponent for components).
    const features = [...new Set([NS_DISCO_INFO, NS_PING, ...own.features])].sort();
    return core.handleIq("get", NS_DISCO_INFO, "query", "disco#info", (req) => {
      const node = attr(req.element, "node");
      if (node === undefined) return answer({ identities: own.identities, features });
      const described = describer?.(node, req.from);
      return described === undefined ? { ok: false, condition: "item-not-found" } : answer(described, node);
    });
  };
  if (info) announce(info);
  return {
    announce,
    describeNodes(describe) {
      describer = describe;
      return () => {
        if (describer === describe) describer = undefined;
      };
    },
    async discoItems(jid, node) {
      const { xml } = core;
      const reply = await core.request(
        xml("iq", { type: "get", to: jid }, xml("query", { xmlns: NS_DISCO_ITEMS, node })),
        `disco#items of ${jid}`,
      );
      if (!reply.ok) return reply;
      const items: DiscoItem[] = [];
      for (const i of reply.stanza.getChild("query", NS_DISCO_ITEMS)?.getChildren("item") ?? []) {
        const [itemJid, itemNode, name] = [attr(i, "jid"), attr(i, "node"), attr(i, "name")];
        if (itemJid) items.push({ jid: itemJid, ...(itemNode ? { node: itemNode } : {}), ...(name ? { name } : {}) });
      }
      return { ok: true, items };
    },
    async discoInfo(jid, node) {
      const { xml } = core;
      const reply = await core.request(
        xml("iq", { type: "get", to: jid }, xml("query", { xmlns: NS_DISCO_INFO, node })),
        `disco#info of ${jid}`,
      );
      if (!reply.ok) return reply;
      const query = reply.stanza.getChild("query", NS_DISCO_INFO);
      const identities: DiscoIdentity[] = [];
      for (const i of query?.getChildren("identity") ?? []) {
        const category = attr(i, "category");
        const type = attr(i, "type");
        const name = attr(i, "name");
        if (category && type) identities.push({ category, type, ...(name ? { name } : {}) });
      }
      const features = (query?.getChildren("feature") ?? []).map((f) => attr(f, "var")).filter((v): v is string => !!v);
      return { ok: true, identities, features };
    },
  };
}

// XEP-0050 ad-hoc commands with XEP-0004 forms. Responder: list commands (disco#items of the
// commands node), answer "execute" with a form and a submitted form with a note. Requester:
// list and execute another entity's commands. One form per command (single stage).

/** Submitted values by field `var` (a text-multi's lines are separate values). */
export type AdhocFields = ReadonlyMap<string, readonly string[]>;

/** How a run ended: done with a note, or a text shown above the form again (or, when `final`, as the end). */
export type AdhocOutcome =
  | { readonly ok: true; readonly note: string }
  | { readonly ok: false; readonly text: string; readonly final?: boolean };

/** A command we offer. */
export interface AdhocCommand {
  readonly node: string;
  readonly name: string;
  readonly form: FormSpec;
  /** Who may see and run it (the requester's full JID); default: everyone who can reach us. */
  allowed?(fromJid: string): boolean;
  /** Runs a submitted form; a throw becomes internal-server-error and an error report. */
  run(fields: AdhocFields, fromJid: string): AdhocOutcome | Promise<AdhocOutcome>;
}

/** §3.4 note: what the responder tells the requester. */
export interface AdhocNote {
  readonly type: "info" | "warn" | "error";
  readonly text: string;
}

/** The responder's answer to one step. */
export interface AdhocResponse {
  readonly status: "executing" | "completed" | "canceled";
  readonly sessionId: string;
  readonly notes: readonly AdhocNote[];
  /** The form to fill in (status "executing"). */
  readonly form?: ReceivedForm;
}

/** A command another entity offers (§2.1). */
export interface AdhocListing {
  readonly jid: string;
  readonly node: string;
  readonly name: string;
}

/** Ad-hoc commands on one session. */
export interface Adhoc {
  /** Offers a command (replacing one of the same node). The entity's disco#info should list NS_COMMANDS. */
  onAdhoc(command: AdhocCommand): Unsubscribe;
  /** §2.1: the commands `jid` offers us. */
  listAdhoc(jid: string): Promise<XmppResult<{ commands: AdhocListing[] }>>;
  /** §3: executes `node` at `jid`; with `fields`, also submits them to the form it returns. */
  executeAdhoc(
    jid: string,
    node: string,
    fields?: Readonly<Record<string, FormValue>>,
  ): Promise<XmppResult<AdhocResponse>>;
  /** §3.5: cancels a session left executing. */
  cancelAdhoc(jid: string, node: string, sessionId: string): Promise<XmppResult<AdhocResponse>>;
}

interface Session {
  readonly node: string;
  readonly from: string;
  expiresAt: number;
}

/** Ad-hoc commands over `session`. Sessions not finished within `sessionTtlMs` (default 10 min) are forgotten. */
export function createAdhoc(
  session: XmppSession,
  options: {
    readonly clock?: Clock;
    readonly sessionTtlMs?: number;
    readonly maxSessions?: number;
    /** Where disco#info about the command nodes is answered (XEP-0050 §2.2); without it, nowhere. */
    readonly disco?: Disco;
  } = {},
): Adhoc {
  const core = coreOf(session);
  const { xml } = core;
  const clock = options.clock ?? systemClock;
  const ttl = options.sessionTtlMs ?? 600_000;
  const maxSessions = options.maxSessions ?? 1_000;
  const commands = new Map<string, AdhocCommand>();
  const sessions = new Map<string, Session>();
  const visible = (c: AdhocCommand, from: string): boolean => c.allowed === undefined || c.allowed(from);

  const reply = (
    node: string,
    sessionId: string,
    status: AdhocResponse["status"],
    note?: AdhocNote,
    form?: XmlElement,
  ): IqHandlerResult => ({
    ok: true,
    payload: xml(
      "command",
      { xmlns: NS_COMMANDS, node, sessionid: sessionId, status },
      form && xml("actions", { execute: "complete" }, xml("complete", {})),
      note && xml("note", { type: note.type }, note.text),
      form,
    ),
  });
  const formOf = (c: AdhocCommand, values?: AdhocFields): XmlElement =>
    buildForm(xml, {
      ...c.form,
      fields: c.form.fields.map((f) => ({ ...f, values: values?.get(f.var) ?? f.values ?? [] })),
    });

  const openSession = (node: string, from: string): string => {
    const now = clock.now();
    for (const [id, s] of sessions) if (s.expiresAt <= now || sessions.size >= maxSessions) sessions.delete(id);
    const id = randomBytes(8).toString("hex");
    sessions.set(id, { node, from, expiresAt: now + ttl });
    return id;
  };

  const run = async (c: AdhocCommand, id: string, fields: AdhocFields, from: string): Promise<IqHandlerResult> => {
    const outcome = await c.run(fields, from);
    if (outcome.ok || outcome.final) sessions.delete(id);
    if (outcome.ok) return reply(c.node, id, "completed", { type: "info", text: outcome.note });
    if (outcome.final) return reply(c.node, id, "completed", { type: "error", text: outcome.text });
    const s = sessions.get(id) ?? { node: c.node, from, expiresAt: 0 };
    sessions.set(id, { ...s, expiresAt: clock.now() + ttl });
    return reply(c.node, id, "executing", { type: "error", text: outcome.text }, formOf(c, fields));
  };

  // XEP-0050 §4: execute, complete (or a first execute already carrying its form), cancel.
  core.handleIq("set", NS_COMMANDS, "command", "ad-hoc command", async (req) => {
    const el = req.element;
    const c = commands.get(attr(el, "node") ?? "");
    if (c === undefined) return { ok: false, condition: "item-not-found", text: "no such command" };
    if (!visible(c, req.from)) return { ok: false, condition: "forbidden", text: "this command is not for you" };
    const action = attr(el, "action") ?? "execute";
    const submitted = el.getChild("x", NS_DATA_FORMS);
    const fields: AdhocFields = submitted?.attrs.type === "submit" ? readForm(submitted) : new Map();
    const sid = attr(el, "sessionid");
    if (sid === undefined) {
      if (action === "cancel") return reply(c.node, randomBytes(8).toString("hex"), "canceled");
      if (action !== "execute" && action !== "complete")
        return { ok: false, condition: "bad-request", text: "bad-action" };
      const id = openSession(c.node, req.from);
      return submitted?.attrs.type === "submit"
        ? run(c, id, fields, req.from)
        : reply(c.node, id, "executing", undefined, formOf(c));
    }
    const s = sessions.get(sid);
    if (s === undefined || s.expiresAt <= clock.now() || s.node !== c.node || !jidEquals(s.from, req.from)) {
      return { ok: false, condition: "bad-request", text: "bad-sessionid: unknown or expired session" };
    }
    if (action === "cancel") {
      sessions.delete(sid);
      return reply(c.node, sid, "canceled");
    }
    if (action !== "execute" && action !== "complete")
      return { ok: false, condition: "bad-request", text: "bad-action: this command has a single stage" };
    return run(c, sid, fields, req.from);
  });

  // XEP-0050 §2.2: a command node (and the list node, §2.1) says what it is, to whoever may see it.
  options.disco?.describeNodes((node, from) => {
    if (node === NS_COMMANDS) return { identities: [{ category: "automation", type: "command-list" }], features: [] };
    const c = commands.get(node);
    if (c === undefined || !visible(c, from)) return undefined;
    return {
      identities: [{ category: "automation", type: "command-node", name: c.name }],
      features: [NS_COMMANDS, NS_DATA_FORMS],
    };
  });

  // XEP-0050 §2.1: the commands node of disco#items lists what the requester may run.
  core.handleIq("get", NS_DISCO_ITEMS, "query", "disco#items", (req) => {
    const node = attr(req.element, "node");
    if (node !== undefined && node !== NS_COMMANDS) return { ok: false, condition: "item-not-found" };
    const jid = req.to || session.jid;
    const items =
      node === undefined
        ? []
        : [...commands.values()]
            .filter((c) => visible(c, req.from))
            .map((c) => xml("item", { jid, node: c.node, name: c.name }));
    return { ok: true, payload: xml("query", { xmlns: NS_DISCO_ITEMS, node }, ...items) };
  });

  const step = async (
    jid: string,
    node: string,
    attrs: Record<string, string>,
    form?: XmlElement,
  ): Promise<XmppResult<AdhocResponse>> => {
    const iq = xml("iq", { type: "set", to: jid }, xml("command", { xmlns: NS_COMMANDS, node, ...attrs }, form));
    const answer = await core.request(iq, `ad-hoc command ${node} at ${jid}`);
    if (!answer.ok) return answer;
    const cmd = answer.stanza.getChild("command", NS_COMMANDS);
    const status = cmd?.attrs.status;
    if (cmd === undefined || (status !== "executing" && status !== "completed" && status !== "canceled")) {
      return { ok: false, condition: "undefined-condition", text: "the answer carries no command status" };
    }
    const notes = cmd.getChildren("note").map((n): AdhocNote => ({
      type: n.attrs.type === "warn" || n.attrs.type === "error" ? n.attrs.type : "info",
      text: n.text(),
    }));
    const x = cmd.getChild("x", NS_DATA_FORMS);
    return { ok: true, status, sessionId: cmd.attrs.sessionid ?? "", notes, ...(x ? { form: parseForm(x) } : {}) };
  };

  return {
    onAdhoc(command) {
      commands.set(command.node, command);
      return () => {
        if (commands.get(command.node) === command) commands.delete(command.node);
      };
    },
    async listAdhoc(jid) {
      const answer = await core.request(
        xml("iq", { type: "get", to: jid }, xml("query", { xmlns: NS_DISCO_ITEMS, node: NS_COMMANDS })),
        `commands of ${jid}`,
      );
      if (!answer.ok) return answer;
      const items = answer.stanza.getChild("query", NS_DISCO_ITEMS)?.getChildren("item") ?? [];
      return {
        ok: true,
        commands: items
          .map((i) => ({ jid: i.attrs.jid ?? jid, node: i.attrs.node ?? "", name: i.attrs.name ?? i.attrs.node ?? "" }))
          .filter((c) => c.node !== ""),
      };
    },
    async executeAdhoc(jid, node, fields) {
      const first = await step(jid, node, { action: "execute" });
      if (!first.ok || fields === undefined || first.status !== "executing") return first;
      return step(
        jid,
        node,
        { sessionid: first.sessionId, action: "complete" },
        buildSubmitForm(xml, null, new Map(Object.entries(fields))),
      );
    },
    cancelAdhoc: (jid, node, sessionId) => step(jid, node, { sessionid: sessionId, action: "cancel" }),
  };
}
