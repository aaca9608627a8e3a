import { NODE_PREFIX, nodeNameToSource } from "../codec/node-name.js";
import { sourceNameProblem } from "../codec/source-name.js";
import type { Logger } from "../log.js";
import type { Store } from "../store/store.js";
import type { Clock } from "../clock/clock.js";
import { agentNodeConfig, bareJid, type Pubsub, type ProvisionDecision, type ProvisionRequest } from "../xmpp/index.js";

/** Finds, provisions and subscribes to agent nodes on the pubsub service. */
export class AgentRegistry {
  // Nodes subscribed to in this session. A newcomer needs only its own node looked at: doing all of
  // them, and greeting every agent (which republishes its full state), for each newcomer made a
  // fleet of N arriving at once cost N² updates.
  private readonly adopted = new Set<string>();

  constructor(
    private readonly deps: {
      pubsub: Pubsub;
      service: string;
      botJid: string;
      store: Store;
      clock: Clock;
      log: Logger;
      /** The account an admin lets take over a source heard only over UDP (`udp.handover`), read live. */
      handoverOf?: (source: string) => string | undefined;
    },
  ) {}

  /**
   * Creates an agent's node for it (Prosody lets only service admins create nodes), makes the agent its
   * owner and subscribes the bot. Refused: a name that breaks the source rule, a name that differs only
   * in case from a known source, a source another account owns (the first to claim it keeps it), and a
   * source heard from without an account (UDP) unless `udp.handover` gives it to this account.
   */
  async provision(req: ProvisionRequest): Promise<ProvisionDecision> {
    const { store, log } = this.deps;
    const agent = bareJid(req.from);
    const refuse = (condition: "not-acceptable" | "forbidden", text: string, why: string): ProvisionDecision => {
      log.warn(`provisioning refused: ${why}`, { node: req.node, agent, reason: text });
      return { ok: false, condition, text };
    };
    if (!req.node.startsWith(NODE_PREFIX)) return refuse("not-acceptable", `"${req.node}" is not an agent node (mauve/alerts/<source>)`, "not an agent node");
    const source = req.node.slice(NODE_PREFIX.length);
    const problem = sourceNameProblem(source);
    if (problem !== undefined) return refuse("not-acceptable", problem, "bad source name");
    const lookalike = store.sources.lookalike(source);
    if (lookalike !== undefined) {
      return refuse("forbidden", `source "${source}" differs only in letter case from the known source "${lookalike}"`, "look-alike source");
    }
    const known = store.sources.get(source);
    if (known && known.ownerJid !== "" && known.ownerJid !== agent) {
      return refuse("forbidden", `source "${source}" belongs to another account`, "source belongs to another account");
    }
    // Known without an owner: something spoke for it without an account (UDP). Only its node's owner
    // (an agent that got it before this rule) or the account an admin names may take it over.
    if (known && known.ownerJid === "" && this.deps.handoverOf?.(source) !== agent && (await this.ownerOf(req.node)) !== agent) {
      return refuse(
        "forbidden",
        `source "${source}" has been heard over UDP without an account; an admin can give it to ${agent} with udp.handover in the bot's config`,
        "source spoken for by UDP",
      );
    }
    return this.createFor(req.node, source, agent);
  }

  private async createFor(node: string, source: string, agent: string): Promise<ProvisionDecision> {
    const { pubsub, service, store, clock, log } = this.deps;
    const created = await pubsub.createNode(service, node, agentNodeConfig(source));
    if (!created.ok && created.condition !== "conflict") {
      return { ok: false, condition: "internal-server-error", text: `could not create the node: ${created.condition}` };
    }
    if (!created.ok) {
      const current = await this.ownerOf(node);
      if (current && current !== agent) return { ok: false, condition: "forbidden", text: "the node has another owner" };
    }
    const aff = await pubsub.setAffiliation(service, node, agent, "owner");
    if (!aff.ok) return { ok: false, condition: "internal-server-error", text: `could not make you owner: ${aff.condition}` };
    // Another spelling may have been claimed (by provisioning or UDP) while this one waited on the server.
    const lookalike = store.sources.lookalike(source);
    if (lookalike !== undefined) {
      log.warn("provisioning refused: look-alike source", { node, agent, reason: `claimed meanwhile as "${lookalike}"` });
      return { ok: false, condition: "forbidden", text: `source "${source}" differs only in letter case from the known source "${lookalike}"` };
    }
    store.sources.claim(source, node, agent, clock.now());
    await this.subscribe(node);
    // Its agent sends its full state next: nothing for a listing to catch up on.
    this.adopted.add(node);
    log.info("agent node provisioned", { source, agent, node });
    return { ok: true };
  }

  /** Subscribes to the service's agent nodes not adopted yet in this session, recording owners not yet known; returns them. */
  async adoptNew(): Promise<string[]> {
    const fresh = (await this.list()).filter((n) => !this.adopted.has(n));
    for (const node of fresh) this.adopted.add(node);
    for (const node of fresh) await this.adopt(node);
    return fresh;
  }

  /** After a reconnection: every node is new again (its events while away were missed). */
  forgetAdopted(): void {
    this.adopted.clear();
  }

  /** The service's agent nodes (mauve/alerts/<source>). */
  private async list(): Promise<string[]> {
    const { pubsub, service, log } = this.deps;
    const listing = await pubsub.listNodes(service);
    if (!listing.ok) {
      log.error("cannot list pubsub nodes", { service, condition: listing.condition });
      return [];
    }
    const ours = listing.nodes.map((n) => n.node).filter((n) => n.startsWith(NODE_PREFIX));
    for (const node of ours.filter((n) => nodeNameToSource(n) === undefined && !this.adopted.has(n))) {
      // Logged once a session: a node made outside the bot (a server that lets agents create nodes).
      this.adopted.add(node);
      log.warn("agent node ignored: its name breaks the source rule", { node, reason: sourceNameProblem(node.slice(NODE_PREFIX.length)) });
    }
    return ours.filter((n) => nodeNameToSource(n) !== undefined);
  }

  /** Records the node's owner if its source is not yet known, and subscribes to it. */
  private async adopt(node: string): Promise<void> {
    const { store, clock } = this.deps;
    const source = nodeNameToSource(node);
    if (source === undefined) return;
    if (!store.sources.get(source)) {
      const lookalike = store.sources.lookalike(source);
      if (lookalike !== undefined) {
        this.deps.log.warn("agent node ignored: its source differs only in letter case from a known one", { node, known: lookalike });
        return;
      }
      const owner = await this.ownerOf(node);
      if (owner) store.sources.claim(source, node, owner, clock.now());
    }
    await this.subscribe(node);
  }

  /** The node's owner other than the bot (bare JID), if any. */
  private async ownerOf(node: string): Promise<string | undefined> {
    const { pubsub, service, botJid } = this.deps;
    const affs = await pubsub.getAffiliations(service, node);
    if (!affs.ok) return undefined;
    return affs.affiliations.find((a) => a.affiliation === "owner" && bareJid(a.jid) !== botJid)?.jid;
  }

  private async subscribe(node: string): Promise<void> {
    const { pubsub, service, log } = this.deps;
    const sub = await pubsub.subscribe(service, node);
    if (!sub.ok) log.error("cannot subscribe to agent node", { node, condition: sub.condition, text: sub.text });
  }
}
