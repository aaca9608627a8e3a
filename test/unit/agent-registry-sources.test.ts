// Nodes AlertBot did not make itself (servers that let agents create nodes, such as ejabberd's
// default): the registry adopts only those whose name follows the source rule and is no look-alike.
import assert from "node:assert/strict";
import { AgentRegistry } from "../../src/bot/agent-registry.js";
import { FakeClock } from "../../src/clock/fake-clock.js";
import { Store } from "../../src/store/store.js";
import type { Pubsub } from "../../src/xmpp/index.js";
import { LogLines } from "../helpers/spine.js";

describe("agent registry: adopting nodes made outside AlertBot", () => {
  it("subscribes to well-named nodes only, and logs each one it ignores once", async () => {
    const nodes = ["mauve/alerts/web1", "mauve/alerts/WEB1", "mauve/alerts/web1 ", "mauve/alerts/w\u0435b1", "mauve/audit", "mauve/alerts/db2"];
    const subscribed: string[] = [];
    const pubsub = {
      listNodes: async () => ({ ok: true, nodes: nodes.map((node) => ({ node })) }),
      getAffiliations: async (_service: string, node: string) => ({ ok: true, affiliations: [{ jid: `${node.split("/")[2]}@x.org`, affiliation: "owner" }] }),
      subscribe: async (_service: string, node: string) => (subscribed.push(node), { ok: true, jid: "bot", subscription: "subscribed" }),
    } as unknown as Pubsub;
    const store = Store.open(":memory:");
    const log = new LogLines();
    store.sources.claim("web1", "mauve/alerts/web1", "web1@x.org", 0);
    const registry = new AgentRegistry({ pubsub, service: "pubsub.x.org", botJid: "alertbot.x.org", store, clock: new FakeClock(0), log: log.logger });
    await registry.adoptNew();
    assert.deepEqual(subscribed, ["mauve/alerts/web1", "mauve/alerts/db2"]);
    assert.deepEqual(store.sources.all().map((s) => [s.source, s.ownerJid]), [["db2", "db2@x.org"], ["web1", "web1@x.org"]]);
    assert.deepEqual(log.withMsg("agent node ignored: its name breaks the source rule").map((l) => l["node"]), ["mauve/alerts/web1 ", "mauve/alerts/w\u0435b1"]);
    assert.deepEqual(log.withMsg("agent node ignored: its source differs only in letter case from a known one").map((l) => l["node"]), ["mauve/alerts/WEB1"]);
    await registry.adoptNew();
    assert.equal(log.withMsg("agent node ignored: its name breaks the source rule").length, 2, "logged once a session");
    store.close();
  });
});
