import { nodeNameToSource } from "../codec/node-name.js";
import type { Logger } from "../log.js";
import type { Store } from "../store/store.js";
import type { Clock } from "../clock/clock.js";
import { agentNodeConfig, bareJid, type Pubsub, type ProvisionDecision, type ProvisionRequest } from "../xmpp/index.js";

/**
 * Finds, provisions and subscribes to agent nodes on the pubsub service, and lets the configured
 * people (and only them, besides the agent and the bot) read each node: its access model is a
 * whitelist, and each person is a `member` of it.
 */
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
      /** Bare JIDs of the people who may browse the nodes. */
      readers: () => readonly string[];
    },
  ) {}

  /** After the people changed: brings the readers of every node adopted so far in step. */
  async updateReaders(): Promise<void> {
    for (const node of [...this.adopted]) await this.grantReaders(node);
  }

  /**
   * Creates an agent's node for it (Prosody lets only service admins create nodes), makes the agent its
   * owner and subscribes the bot. The first account to claim a source keeps it: a second one is refused.
   */
  async provision(req: ProvisionRequest): Promise<ProvisionDecision> {
    const { pubsub, service, store, clock, log } = this.deps;
    const agent = bareJid(req.from);
    const source = nodeNameToSource(req.node);
    if (!source || source.includes("/")) {
      return { ok: false, condition: "not-acceptable", text: `"${req.node}" is not an agent node (mauve/alerts/<source>)` };
    }
    const owner = store.sources.get(source)?.ownerJid;
    if (owner && owner !== agent) {
      log.warn("provisioning refused: source belongs to another account", { source, agent, owner });
      return { ok: false, condition: "forbidden", text: `source "${source}" belongs to another account` };
    }
    const created = await pubsub.createNode(service, req.node, agentNodeConfig(source));
    if (!created.ok && created.condition !== "conflict") {
      return { ok: false, condition: "internal-server-error", text: `could not create the node: ${created.condition}` };
    }
    if (!created.ok) {
      const current = await this.ownerOf(req.node);
      if (current && current !== agent) return { ok: false, condition: "forbidden", text: "the node has another owner" };
    }
    const aff = await pubsub.setAffiliation(service, req.node, agent, "owner");
    if (!aff.ok) return { ok: false, condition: "internal-server-error", text: `could not make you owner: ${aff.condition}` };
    store.sources.claim(source, req.node, agent, clock.now());
    await this.subscribe(req.node);
    await this.grantReaders(req.node);
    // Its agent sends its full state next: nothing for a listing to catch up on.
    this.adopted.add(req.node);
    log.info("agent node provisioned", { source, agent, node: req.node });
    return { ok: true };
  }

  /** Subscribes to the service's agent nodes not adopted yet in this session, recording owners not yet known; returns them. */
  async adoptNew(): Promise<string[]> {
    const fresh = (await this.list()).filter((n) => !this.adopted.has(n));
    for (const node of fresh) this.adopted.add(node);
    for (const node of fresh) await this.adopt(node);
    // Reading rights come after every subscription: catching up must not wait behind them.
    for (const node of fresh) await this.grantReaders(node);
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
    return listing.nodes.map((n) => n.node).filter((n) => nodeNameToSource(n) !== undefined);
  }

  /** Records the node's owner if its source is not yet known, and subscribes to it. */
  private async adopt(node: string): Promise<void> {
    const { store, clock } = this.deps;
    const source = nodeNameToSource(node);
    if (source === undefined) return;
    if (!store.sources.get(source)) {
      const owner = await this.ownerOf(node);
      if (owner) store.sources.claim(source, node, owner, clock.now());
    }
    await this.subscribe(node);
  }

  /**
   * XEP-0060 §8.9: makes each configured person a member of `node` (members may retrieve items of
   * a whitelist node) and takes membership from anyone else; owners and publishers stay as they are.
   */
  private async grantReaders(node: string): Promise<void> {
    // A slow or lost answer costs people their view of one node, never the bot's start.
    await this.reconcileReaders(node).catch((err: unknown) => this.deps.log.warn("cannot bring a node's readers in step", { node, err }));
  }

  private async reconcileReaders(node: string): Promise<void> {
    const { pubsub, service, log } = this.deps;
    const affs = await pubsub.getAffiliations(service, node);
    if (!affs.ok) return log.warn("cannot read who may read a node", { node, condition: affs.condition });
    const readers = new Set(this.deps.readers().map((j) => j.toLowerCase()));
    const held = new Map(affs.affiliations.map((a) => [bareJid(a.jid).toLowerCase(), a.affiliation as string]));
    const changes: Array<[string, "member" | "none"]> = [
      ...[...readers].filter((jid) => !held.has(jid)).map((jid): [string, "member"] => [jid, "member"]),
      ...[...held].filter(([jid, a]) => a === "member" && !readers.has(jid)).map(([jid]): [string, "none"] => [jid, "none"]),
    ];
    for (const [jid, affiliation] of changes) {
      const done = await pubsub.setAffiliation(service, node, jid, affiliation);
      if (!done.ok) log.warn("cannot change who may read a node", { node, jid, affiliation, condition: done.condition });
    }
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
