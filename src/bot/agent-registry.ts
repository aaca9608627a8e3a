import { lookalikeReason, NODE_PREFIX, nodeNameToSource, sourceNameProblem } from "../codec/source-name.js";
import type { Logger } from "../log.js";
import type { Store } from "../store/store.js";
import type { Clock } from "../clock/clock.js";
import { toError } from "../xmpp/errors.js";
import { bareJid } from "../xmpp/jid.js";
import { agentNodeConfig, type ProvisionDecision, type ProvisionRequest } from "../xmpp/provisioning.js";
import type { Pubsub } from "../xmpp/pubsub.js";
import { BackoffTimers, type BackoffOptions } from "../util/backoff.js";
import { ownSourceProblem } from "../ingest/reserved-names.js";

/** What one pass of adoption got done. */
export interface Adoption {
  /** Nodes subscribed to in this pass: their retained items are to be caught up on. */
  readonly fresh: string[];
  /** False when the listing or a node's subscription failed: the pass must be tried again. */
  readonly complete: boolean;
}

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
  // Reading-rights changes, one node after another (grantReaders never rejects).
  private granting: Promise<void> = Promise.resolve();

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
      /** Called when a node provisioned for an agent could not be subscribed to: adoption must run again. */
      onIncomplete?: () => void;
      /** Bare JIDs of the people who may browse the nodes. */
      readers: () => readonly string[];
    },
  ) {}

  /** After the people changed: brings the readers of every node adopted so far in step. */
  async updateReaders(): Promise<void> {
    this.grantInBackground([...this.adopted]);
    await this.granting;
  }

  private grantInBackground(nodes: readonly string[]): void {
    if (nodes.length === 0) return;
    this.granting = this.granting.then(async () => {
      for (const node of nodes) await this.grantReaders(node);
    });
  }

  /**
   * Creates an agent's node for it (Prosody lets only service admins create nodes), makes the agent its
   * owner and subscribes the bot. Refused: a name that breaks the source rule, AlertBot's own source
   * or one reading like it, a new name that reads like a known source, a source another account owns
   * (the first to claim it keeps it), and a source heard from without an account (UDP, HTTP) unless
   * `udp.handover` gives it to this account: owning its node is not enough, since a server that lets
   * accounts make nodes (ejabberd) lets anyone make it first.
   */
  async provision(req: ProvisionRequest): Promise<ProvisionDecision> {
    const { store, log } = this.deps;
    const agent = bareJid(req.from);
    const refuse = (condition: "not-acceptable" | "forbidden", text: string, why: string): ProvisionDecision => {
      log.warn(`provisioning refused: ${why}`, { node: req.node, agent, reason: text });
      return { ok: false, condition, text };
    };
    if (!req.node.startsWith(NODE_PREFIX))
      return refuse(
        "not-acceptable",
        `"${req.node}" is not an agent node (mauve/alerts/<source>)`,
        "not an agent node",
      );
    const source = req.node.slice(NODE_PREFIX.length);
    const problem = sourceNameProblem(source);
    if (problem !== undefined) return refuse("not-acceptable", problem, "bad source name");
    const own = ownSourceProblem(source, this.deps.botJid);
    if (own !== undefined) return refuse("forbidden", own, "AlertBot's own source");
    const known = store.sources.get(source);
    // A known source is its own: two stored before the rule read them alike both go on.
    const lookalike = known ? undefined : store.sources.lookalike(source);
    if (lookalike !== undefined) {
      return refuse("forbidden", lookalikeReason(source, lookalike), "look-alike source");
    }
    if (known && known.ownerJid !== "" && known.ownerJid !== agent) {
      return refuse("forbidden", `source "${source}" belongs to another account`, "source belongs to another account");
    }
    // Known without an owner: something spoke for it without an account (UDP, HTTP). Only the account
    // an admin names may take it over.
    if (known && known.ownerJid === "" && !this.isHeir(source, agent)) {
      return refuse(
        "forbidden",
        `source "${source}" has been heard without an account (over UDP or HTTP); an admin can give it to ${agent} with udp.handover in the bot's config`,
        "source spoken for by UDP",
      );
    }
    return this.createFor(req.node, source, agent, known === undefined);
  }

  // Whether `udp.handover` gives `source` to `account` (bare JIDs compare case-blind).
  private isHeir(source: string, account: string): boolean {
    return this.deps.handoverOf?.(source)?.toLowerCase() === account.toLowerCase();
  }

  private async createFor(node: string, source: string, agent: string, isNew: boolean): Promise<ProvisionDecision> {
    const { pubsub, service, store, clock, log } = this.deps;
    const created = await pubsub.createNode(service, node, agentNodeConfig(source));
    if (!created.ok && created.condition !== "conflict") {
      return { ok: false, condition: "internal-server-error", text: `could not create the node: ${created.condition}` };
    }
    if (!created.ok) {
      const current = await this.ownerOf(node);
      if (current && current !== agent)
        return { ok: false, condition: "forbidden", text: "the node has another owner" };
    }
    const aff = await pubsub.setAffiliation(service, node, agent, "owner");
    if (!aff.ok)
      return { ok: false, condition: "internal-server-error", text: `could not make you owner: ${aff.condition}` };
    // Another spelling may have been claimed (by provisioning or UDP) while this one waited on the server.
    const lookalike = isNew ? store.sources.lookalike(source) : undefined;
    if (lookalike !== undefined) {
      log.warn("provisioning refused: look-alike source", {
        node,
        agent,
        reason: `claimed meanwhile as "${lookalike}"`,
      });
      return {
        ok: false,
        condition: "forbidden",
        text: lookalikeReason(source, lookalike),
      };
    }
    store.sources.claim(source, node, agent, clock.now());
    // Its agent sends its full state next: nothing for a listing to catch up on. Not subscribed, the node
    // stays out of `adopted`, so the next adoption pass (which onIncomplete asks for) takes it up.
    if (await this.subscribe(node)) this.adopted.add(node);
    else this.deps.onIncomplete?.();
    await this.grantReaders(node);
    log.info("agent node provisioned", { source, agent, node });
    return { ok: true };
  }

  /**
   * Subscribes to the service's agent nodes not adopted yet in this session, recording owners not yet
   * known. A node whose subscription fails (an error, or no answer under load) is not counted as
   * adopted, so the next pass tries it again: a node given up on would be an agent nobody hears.
   */
  async adoptNew(): Promise<Adoption> {
    const listed = await this.list();
    if (listed === undefined) return { fresh: [], complete: false };
    const candidates = listed.filter((n) => !this.adopted.has(n));
    // Claimed before the first await, so a pass running meanwhile does not take the same nodes.
    for (const node of candidates) this.adopted.add(node);
    const fresh: string[] = [];
    let complete = true;
    for (const node of candidates) {
      const outcome = await this.adopt(node).catch((err: unknown) => {
        // One node's trouble (its source could not be recorded) is that node's alone, tried again by
        // the next pass: thrown on, it and every node listed after it stayed marked adopted, never
        // subscribed to, their agents unheard until a reconnection.
        this.deps.log.error("cannot adopt an agent node; will retry", { node, err });
        return "failed" as const;
      });
      if (outcome === "subscribed") fresh.push(node);
      if (outcome === "failed") {
        this.adopted.delete(node);
        complete = false;
      }
    }
    // Reading rights are people's view, not the bot's hearing: they are brought in step in the
    // background, one node after another, so that neither catching up nor a start waits behind them.
    this.grantInBackground(fresh);
    return { fresh, complete };
  }

  /** Nodes whose retained items could not be read: adopted again by the next pass, catch-up included. */
  forget(nodes: readonly string[]): void {
    for (const node of nodes) this.adopted.delete(node);
  }

  /** After a reconnection: every node is new again (its events while away were missed). */
  forgetAdopted(): void {
    this.adopted.clear();
  }

  /** The service's agent nodes (mauve/alerts/<source>); undefined when the service did not list them. */
  private async list(): Promise<string[] | undefined> {
    const { pubsub, service, log } = this.deps;
    const listing = await pubsub
      .listNodes(service)
      .catch((err: unknown) => ({ ok: false as const, condition: toError(err).message }));
    if (!listing.ok) {
      log.error("cannot list pubsub nodes", { service, condition: listing.condition });
      return undefined;
    }
    const ours = listing.nodes.map((n) => n.node).filter((n) => n.startsWith(NODE_PREFIX));
    for (const node of ours.filter((n) => nodeNameToSource(n) === undefined && !this.adopted.has(n))) {
      // Logged once a session: a node made outside the bot (a server that lets agents create nodes).
      this.adopted.add(node);
      log.warn("agent node ignored: its name breaks the source rule", {
        node,
        reason: sourceNameProblem(node.slice(NODE_PREFIX.length)),
      });
    }
    const listed = ours.filter((n) => nodeNameToSource(n) !== undefined);
    return [...listed, ...this.unlisted(new Set(ours))];
  }

  /**
   * Agent nodes the bot knows of (an agent account claimed their source) that the listing left
   * out. ejabberd answers disco#items with at most max_nodes_discoitems nodes (100 by default) and
   * drops the rest without a word; those agents would go unheard after a restart. They are adopted
   * all the same, and the cap is reported with what to change.
   */
  private unlisted(listed: ReadonlySet<string>): string[] {
    const { store, service, log } = this.deps;
    const missing = store.sources
      .all()
      .filter((s) => s.ownerJid !== "" && !listed.has(s.node) && nodeNameToSource(s.node) === s.source)
      .map((s) => s.node);
    if (missing.length > 0)
      log.error("the pubsub service did not list every agent node AlertBot knows; adopting them anyway", {
        service,
        listed: listed.size,
        unlisted: missing.length,
        fix: "the service caps its disco#items answer: on ejabberd raise mod_pubsub's max_nodes_discoitems above the number of agents (ejabberd/config.ts)",
      });
    return missing;
  }

  /**
   * Records the node's owner if its source is not yet known (or known without an owner, and the owner
   * is the account udp.handover names), and subscribes to it. Left alone: a node for AlertBot's own
   * source or a name reading like it, and one for a source known without an owner that another
   * account made (a server that lets accounts make nodes, such as ejabberd, lets anyone make it).
   */
  private async adopt(node: string): Promise<"subscribed" | "ignored" | "failed"> {
    const { store, clock, log } = this.deps;
    const source = nodeNameToSource(node);
    if (source === undefined) return "ignored";
    const own = ownSourceProblem(source, this.deps.botJid);
    if (own !== undefined) {
      log.warn("agent node ignored: it is AlertBot's own source", { node, reason: own });
      return "ignored";
    }
    if (!store.sources.get(source)) {
      const lookalike = store.sources.lookalike(source);
      if (lookalike !== undefined) {
        this.deps.log.warn("agent node ignored: its source reads like a known one", {
          node,
          known: lookalike,
          reason: lookalikeReason(source, lookalike),
        });
        return "ignored";
      }
    }
    const heard = store.sources.get(source);
    if (heard?.ownerJid === "") {
      const owner = await this.ownerOf(node).catch(() => undefined);
      if (owner === undefined || !this.isHeir(source, bareJid(owner))) {
        log.warn(
          "agent node ignored: its source has been heard without an account, and its owner may not speak for it",
          {
            node,
            owner: owner ?? null,
            fix: `name the source's agent account for "${source}" in udp.handover`,
          },
        );
        return "ignored";
      }
    }
    if (!(await this.subscribe(node))) return "failed";
    // The owner is asked for after the subscription: where an agent makes its own node (ejabberd)
    // and then makes the bot an owner, a listing can fall between the two, and a node subscribed
    // to with its owner unknown was never greeted (the agent waited a minute for the bot).
    const known = store.sources.get(source);
    if (!known || known.ownerJid === "") {
      // Unknown: its owner, as before. Known without one: the heir checked above (the owner asked again,
      // as it may have changed while the subscription waited).
      const owner = await this.ownerOf(node).catch(() => undefined);
      const owned = owner === undefined ? undefined : bareJid(owner);
      if (owned && (!known || this.isHeir(source, owned))) store.sources.claim(source, node, owned, clock.now());
    }
    return "subscribed";
  }

  /**
   * XEP-0060 §8.9: makes each configured person a member of `node` (members may retrieve items of
   * a whitelist node) and takes membership from anyone else; owners and publishers stay as they are.
   */
  private async grantReaders(node: string): Promise<void> {
    // A slow or lost answer costs people their view of one node, never the bot's start.
    await this.reconcileReaders(node).catch((err: unknown) =>
      this.deps.log.warn("cannot bring a node's readers in step", { node, err }),
    );
  }

  private async reconcileReaders(node: string): Promise<void> {
    const { pubsub, service, log } = this.deps;
    const affs = await pubsub.getAffiliations(service, node);
    if (!affs.ok) return log.warn("cannot read who may read a node", { node, condition: affs.condition });
    const readers = new Set(this.deps.readers().map((j) => j.toLowerCase()));
    const held = new Map(affs.affiliations.map((a) => [bareJid(a.jid).toLowerCase(), a.affiliation as string]));
    const changes: Array<[string, "member" | "none"]> = [
      ...[...readers].filter((jid) => !held.has(jid)).map((jid): [string, "member"] => [jid, "member"]),
      ...[...held]
        .filter(([jid, a]) => a === "member" && !readers.has(jid))
        .map(([jid]): [string, "none"] => [jid, "none"]),
    ];
    for (const [jid, affiliation] of changes) {
      const done = await pubsub.setAffiliation(service, node, jid, affiliation);
      if (!done.ok)
        log.warn("cannot change who may read a node", { node, jid, affiliation, condition: done.condition });
    }
  }

  /** The node's owner other than the bot (bare JID), if any. */
  private async ownerOf(node: string): Promise<string | undefined> {
    const { pubsub, service, botJid } = this.deps;
    const affs = await pubsub.getAffiliations(service, node);
    if (!affs.ok) return undefined;
    return affs.affiliations.find((a) => a.affiliation === "owner" && bareJid(a.jid) !== botJid)?.jid;
  }

  /** Whether the bot is subscribed to `node` now; a refusal or a request that timed out is logged. */
  private async subscribe(node: string): Promise<boolean> {
    const { pubsub, service, log } = this.deps;
    const sub = await pubsub
      .subscribe(service, node)
      .catch((err: unknown) => ({ ok: false as const, condition: "no-answer", text: toError(err).message }));
    if (!sub.ok)
      log.error("cannot subscribe to agent node; will retry", {
        node,
        condition: sub.condition,
        text: sub.text,
        ...(REFUSALS.has(sub.condition) ? { fix: NOT_LET_IN } : {}),
      });
    return sub.ok;
  }
}

/** Conditions with which a server refuses AlertBot a node it has no affiliation with. */
export const REFUSALS = new Set(["forbidden", "not-allowed", "not-authorized", "closed-node"]);
/** What to do when a node refuses AlertBot: said with every such refusal. */
export const NOT_LET_IN =
  "AlertBot has no affiliation with this node: its agent created it itself (a server that lets accounts create nodes, such as ejabberd's pubsub_createnode: local) and did not make AlertBot an owner. Upgrade the agent (it does so since this release), or let only AlertBot create nodes (ejabberd: pubsub_createnode allowing only the component, see ejabberd/config.ts)";

/** Retries of adoption: 2-4 s after the first failure, doubling to at most 2.5-5 min between tries. */
export const ADOPTION_RETRY_BACKOFF: BackoffOptions = { initialDelayMs: 4_000, maxDelayMs: 300_000 };

/**
 * Runs adoption again, with backoff, until a pass completes: one timer at a time, however many
 * passes came out incomplete meanwhile.
 */
export class AdoptionRetry {
  private readonly timers: BackoffTimers<"adoption">;

  constructor(
    private readonly deps: {
      clock: Clock;
      log: Logger;
      run: () => Promise<void>;
      backoff?: BackoffOptions;
      random?: () => number;
    },
  ) {
    this.timers = new BackoffTimers(deps.clock, deps.backoff ?? ADOPTION_RETRY_BACKOFF, deps.random);
  }

  /** A pass left something undone: try again later, unless a try is already waiting. */
  schedule(): void {
    const next = this.timers.schedule("adoption", () => {
      this.deps.run().catch((err: unknown) => {
        this.deps.log.error("adoption failed", { err });
        this.schedule();
      });
    });
    if (next)
      this.deps.log.warn("agent nodes left unsubscribed; adopting them again", {
        inMs: next.delayMs,
        attempt: next.attempt,
      });
  }

  /** A pass completed: the next failure starts the backoff afresh. */
  succeeded(): void {
    this.timers.succeeded("adoption");
  }

  stop(): void {
    this.timers.stop();
  }
}
