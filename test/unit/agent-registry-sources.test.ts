// Nodes AlertBot did not make itself (servers that let agents create nodes, such as ejabberd's
// default): the registry adopts only those whose name follows the source rule and is no look-alike.
import assert from "node:assert/strict";
import { AdoptionRetry, AgentRegistry } from "../../src/bot/agent-registry.js";
import { FakeClock } from "../../src/clock/fake-clock.js";
import { Store } from "../../src/store/store.js";
import type { Pubsub } from "../../src/xmpp/pubsub.js";
import { LogLines } from "../helpers/spine.js";

/** A pubsub service listing `nodes`, each owned by the account named like its source; records subscriptions. */
function nodesOwnedByTheirAgents(nodes: readonly string[]): { pubsub: Pubsub; subscribed: string[] } {
  const subscribed: string[] = [];
  const pubsub = {
    listNodes: async () => ({ ok: true, nodes: nodes.map((node) => ({ node })) }),
    getAffiliations: async (_service: string, node: string) => ({
      ok: true,
      affiliations: [{ jid: `${node.split("/")[2]}@x.org`, affiliation: "owner" }],
    }),
    subscribe: async (_service: string, node: string) => (
      subscribed.push(node),
      { ok: true, jid: "bot", subscription: "subscribed" }
    ),
  } as unknown as Pubsub;
  return { pubsub, subscribed };
}

/** AlertBot's registry of agent nodes on `pubsub`, with no readers to grant. */
function registryOn(pubsub: Pubsub, store: Store, log: LogLines): AgentRegistry {
  return new AgentRegistry({
    pubsub,
    service: "pubsub.x.org",
    botJid: "alertbot.x.org",
    store,
    clock: new FakeClock(0),
    log: log.logger,
    readers: () => [],
  });
}

describe("agent registry: adopting nodes made outside AlertBot", () => {
  it("subscribes to well-named nodes only, and logs each one it ignores once", async () => {
    const nodes = [
      "mauve/alerts/web1",
      "mauve/alerts/WEB1",
      "mauve/alerts/webl",
      "mauve/alerts/web1 ",
      "mauve/alerts/w\u0435b1",
      "mauve/audit",
      "mauve/alerts/db2",
    ];
    const { pubsub, subscribed } = nodesOwnedByTheirAgents(nodes);
    const store = Store.open(":memory:");
    const log = new LogLines();
    store.sources.claim("web1", "mauve/alerts/web1", "web1@x.org", 0);
    const registry = registryOn(pubsub, store, log);
    await registry.adoptNew();
    assert.deepEqual(subscribed, ["mauve/alerts/web1", "mauve/alerts/db2"]);
    assert.deepEqual(
      store.sources.all().map((s) => [s.source, s.ownerJid]),
      [
        ["db2", "db2@x.org"],
        ["web1", "web1@x.org"],
      ],
    );
    assert.deepEqual(
      log.withMsg("agent node ignored: its name breaks the source rule").map((l) => l["node"]),
      ["mauve/alerts/web1 ", "mauve/alerts/w\u0435b1"],
    );
    assert.deepEqual(
      log.withMsg("agent node ignored: its source reads like a known one").map((l) => l["node"]),
      ["mauve/alerts/WEB1", "mauve/alerts/webl"],
    );
    await registry.adoptNew();
    assert.equal(log.withMsg("agent node ignored: its name breaks the source rule").length, 2, "logged once a session");
    store.close();
  });
});

describe("agent registry: a node never given up on", () => {
  // The bot restarted under load: a subscribe went unanswered within its deadline. The node must be
  // tried again until the bot hears its agent, or the agent goes unheard with nobody told.
  it("retries, with backoff, a listing that failed and a subscription that timed out or was refused, until every node is subscribed", async () => {
    const clock = new FakeClock(0);
    const log = new LogLines();
    const store = Store.open(":memory:");
    const subscribed: string[] = [];
    const failures: Record<string, Array<"throw" | "refuse">> = { "mauve/alerts/web2": ["throw", "refuse"] };
    let listingFails = 1;
    const pubsub = {
      listNodes: async () => {
        if (listingFails-- > 0) throw new Error("no reply to disco#items within 15000 ms");
        return { ok: true, nodes: ["mauve/alerts/web1", "mauve/alerts/web2"].map((node) => ({ node })) };
      },
      getAffiliations: async (_service: string, node: string) => ({
        ok: true,
        affiliations: [{ jid: `${node.split("/")[2]}@x.org`, affiliation: "owner" }],
      }),
      subscribe: async (_service: string, node: string) => {
        const failure = failures[node]?.shift();
        if (failure === "throw") throw new Error(`no reply to subscribe to ${node} within 15000 ms`);
        if (failure === "refuse") return { ok: false, condition: "internal-server-error" };
        subscribed.push(node);
        return { ok: true, jid: "bot", subscription: "subscribed" };
      },
    } as unknown as Pubsub;
    const registry = new AgentRegistry({
      pubsub,
      service: "pubsub.x.org",
      botJid: "alertbot.x.org",
      store,
      clock,
      log: log.logger,
      readers: () => [],
    });
    const passes: boolean[] = [];
    // As run-bot wires it: each pass says whether it completed.
    const run = async (): Promise<void> => {
      const { complete } = await registry.adoptNew();
      passes.push(complete);
      if (complete) retry.succeeded();
      else retry.schedule();
    };
    const retry = new AdoptionRetry({ clock, log: log.logger, random: () => 0.5, run });
    const settle = async (): Promise<void> => {
      for (let i = 0; i < 20; i++) await Promise.resolve();
    };
    await run();
    assert.deepEqual(passes, [false], "the listing failed");
    for (let i = 0; i < 5 && subscribed.length < 2; i++) {
      clock.advance(300_000);
      await settle();
    }
    assert.deepEqual(subscribed, ["mauve/alerts/web1", "mauve/alerts/web2"]);
    assert.deepEqual(
      passes,
      [false, false, false, true],
      "listing failed, web2 timed out, web2 refused, then all subscribed",
    );
    assert.equal(log.withMsg("cannot subscribe to agent node; will retry").length, 2);
    const delays = log.withMsg("agent nodes left unsubscribed; adopting them again").map((l) => l["inMs"]);
    assert.deepEqual(delays, [3_000, 6_000, 12_000], "backoff doubles between tries");
    clock.advance(3_600_000);
    await settle();
    assert.equal(passes.length, 4, "no retry once every node is subscribed");
    retry.stop();
    store.close();
  });
});

describe("agent registry: a node whose adoption throws", () => {
  // Recording a new agent's source failed (an error of the database): that node, and every node
  // listed after it, stayed marked adopted, never subscribed to, their agents unheard until a reconnection.
  it("is tried again by the next pass, and the nodes listed after it are adopted in this one", async () => {
    const nodes = ["mauve/alerts/web1", "mauve/alerts/web2", "mauve/alerts/web3"];
    const { pubsub, subscribed } = nodesOwnedByTheirAgents(nodes);
    const store = Store.open(":memory:");
    const log = new LogLines();
    const claim = store.sources.claim.bind(store.sources);
    let failing = true;
    store.sources.claim = (source, node, owner, at) => {
      if (failing && source === "web2") throw new Error("database disk image is malformed");
      claim(source, node, owner, at);
    };
    const registry = registryOn(pubsub, store, log);
    const first = await registry.adoptNew();
    assert.equal(first.complete, false, "the pass goes on past it, and says it is to be tried again");
    assert.equal(log.withMsg("cannot adopt an agent node; will retry")[0]?.["node"], "mauve/alerts/web2");
    assert.ok(subscribed.includes("mauve/alerts/web3"), "web3, listed after it, is adopted");
    failing = false;
    const second = await registry.adoptNew();
    assert.deepEqual(second.fresh, ["mauve/alerts/web2"]);
    assert.equal(second.complete, true);
    assert.deepEqual(
      store.sources.all().map((s) => [s.source, s.ownerJid]),
      [
        ["web1", "web1@x.org"],
        ["web2", "web2@x.org"],
        ["web3", "web3@x.org"],
      ],
    );
    store.close();
  });
});

describe("agent registry: nodes the service does not list", () => {
  // ejabberd answers disco#items with at most max_nodes_discoitems nodes and drops the rest silently.
  it("adopts every known agent node the listing left out, and says what to change", async () => {
    const listedNodes = ["mauve/alerts/web1"];
    const subscribed: string[] = [];
    const pubsub = {
      listNodes: async () => ({ ok: true, nodes: listedNodes.map((node) => ({ node })) }),
      getAffiliations: async () => ({ ok: true, affiliations: [] }),
      subscribe: async (_service: string, node: string) => (
        subscribed.push(node),
        { ok: true, jid: "bot", subscription: "subscribed" }
      ),
    } as unknown as Pubsub;
    const store = Store.open(":memory:");
    const log = new LogLines();
    store.sources.claim("web1", "mauve/alerts/web1", "web1@x.org", 0);
    store.sources.claim("web2", "mauve/alerts/web2", "web2@x.org", 0);
    store.sources.claim("udp1", "mauve/alerts/udp1", "", 0); // heard over UDP: it has no node
    const registry = registryOn(pubsub, store, log);
    const adoption = await registry.adoptNew();
    assert.deepEqual(subscribed, ["mauve/alerts/web1", "mauve/alerts/web2"]);
    assert.deepEqual(adoption, { fresh: ["mauve/alerts/web1", "mauve/alerts/web2"], complete: true });
    const [report] = log.withMsg(
      "the pubsub service did not list every agent node AlertBot knows; adopting them anyway",
    );
    assert.equal(report?.["unlisted"], 1);
    assert.match(String(report?.["fix"]), /max_nodes_discoitems/);
    store.close();
  });
});

describe("agent registry: a node that refuses AlertBot", () => {
  // ejabberd: an agent made its own whitelist node and gave AlertBot no affiliation.
  it("says, with each refusal, that AlertBot holds no affiliation and what to change", async () => {
    const pubsub = {
      listNodes: async () => ({ ok: true, nodes: [{ node: "mauve/alerts/web1" }] }),
      getAffiliations: async () => ({ ok: false, condition: "forbidden" }),
      subscribe: async () => ({ ok: false, condition: "not-allowed", pubsubCondition: "closed-node" }),
    } as unknown as Pubsub;
    const store = Store.open(":memory:");
    const log = new LogLines();
    const registry = registryOn(pubsub, store, log);
    assert.deepEqual(await registry.adoptNew(), { fresh: [], complete: false });
    const [report] = log.withMsg("cannot subscribe to agent node; will retry");
    assert.equal(report?.["level"], "error");
    assert.match(String(report?.["fix"]), /no affiliation.*owner/);
    store.close();
  });
});
