// Who may speak for what: AlertBot's own source and the alerts it raises in a sender's source are
// nobody else's, and a source heard without an account goes to no account but the one udp.handover names.
import assert from "node:assert/strict";
import { AgentRegistry } from "../../src/bot/agent-registry.js";
import { raiseChannelFailing } from "../../src/bot/channel-health.js";
import { raiseHostsDown } from "../../src/bot/host-down.js";
import { raiseLinkDown, LINK_DOWN_ALERT_ID } from "../../src/bot/link-down.js";
import { FakeClock } from "../../src/clock/fake-clock.js";
import { sourceToNodeName } from "../../src/codec/source-name.js";
import { ingestUpdate, type IngestOptions, type UpdateOrigin } from "../../src/ingest/ingest-update.js";
import { BOT_ALERT_IDS } from "../../src/ingest/reserved-names.js";
import { HOST_DOWN_ALERT_ID } from "../../src/policy/inhibit.js";
import { Store } from "../../src/store/store.js";
import type { Pubsub } from "../../src/xmpp/pubsub.js";
import { LogLines } from "../helpers/spine.js";
import { alert, pubsubOrigin, update } from "../helpers/updates.js";

const SELF = "alertbot.x.org";
const NOW = Date.UTC(2026, 0, 5, 9, 0, 0);
const sec = (ms: number): number => Math.floor(ms / 1000);
const UDP: UpdateOrigin = { via: "udp" };
const OPTIONS: IngestOptions = { ownSource: SELF };

function fakePubsub(owner: (node: string) => string | undefined, subscribed: string[] = []): Pubsub {
  return {
    listNodes: async () => ({ ok: true, nodes: [{ node: "mauve/alerts/web1" }, { node: `mauve/alerts/${SELF}` }] }),
    getAffiliations: async (_s: string, node: string) => ({
      ok: true,
      affiliations: owner(node) === undefined ? [] : [{ jid: owner(node), affiliation: "owner" }],
    }),
    subscribe: async (_s: string, node: string) => (
      subscribed.push(node),
      { ok: true, jid: SELF, subscription: "subscribed" }
    ),
    createNode: async () => ({ ok: false, condition: "conflict" }),
    setAffiliation: async () => ({ ok: true }),
    getSubscriptions: async () => ({ ok: true, subscriptions: [] }),
  } as unknown as Pubsub;
}

function registry(store: Store, pubsub: Pubsub, log: LogLines, handover: Record<string, string> = {}): AgentRegistry {
  return new AgentRegistry({
    pubsub,
    service: "pubsub.x.org",
    botJid: SELF,
    store,
    clock: new FakeClock(NOW),
    log: log.logger,
    readers: () => [],
    handoverOf: (source) => handover[source.toLowerCase()],
  });
}

describe("AlertBot's own source is nobody else's", () => {
  it("refuses every sender its own source and every name reading like it; its own alerts stay as it left them", () => {
    const store = Store.open(":memory:");
    store.transaction(() => {
      raiseLinkDown(store, { source: SELF, since: NOW, reason: "connection reset", importance: 90 }, NOW);
      raiseChannelFailing(
        store,
        { source: SELF, person: "alice", channel: "sms", failures: 5, lastError: "HTTP 401", importance: 90 },
        NOW,
      );
    });
    const tries: Array<[string, UpdateOrigin]> = [
      [SELF, UDP],
      [SELF, { via: "http" }],
      [SELF, pubsubOrigin(SELF, "x.org")],
      ["ALERTBOT.x.org", UDP],
      ["alertbot.x.org.", UDP],
      ["-alertbot.x.org", UDP],
      ["aIertbot.x.org", UDP],
      ["alertbot..x.org", UDP],
    ];
    for (const [source, origin] of tries) {
      const clear = update(source, [alert(LINK_DOWN_ALERT_ID, { clearTimeS: sec(NOW) + 1 })], { replace: true });
      const r = ingestUpdate(store, clear, origin, NOW + 1000, OPTIONS);
      assert.equal(r.status, "rejected", `${source} via ${origin.via}`);
      if (r.status === "rejected") assert.match(r.reason, /AlertBot's own/);
    }
    assert.deepEqual(
      store.alerts
        .list("all")
        .map((a) => [a.source, a.alertId, a.status])
        .sort(),
      [
        [SELF, "notify-sms-alice", "raised"],
        [SELF, LINK_DOWN_ALERT_ID, "raised"],
      ],
    );
    assert.deepEqual(store.sources.all(), [], "no sender claimed it");
    // Other sources go on as before.
    assert.equal(ingestUpdate(store, update("web1", [alert("disk")]), UDP, NOW, OPTIONS).status, "applied");
    store.close();
  });

  it("refuses to provision AlertBot's own node or a look-alike of it, and adopts no such node made by an account", async () => {
    const store = Store.open(":memory:");
    const log = new LogLines();
    const subscribed: string[] = [];
    const reg = registry(
      store,
      fakePubsub(() => "mallory@x.org", subscribed),
      log,
    );
    for (const source of [SELF, "AlertBot.x.org", "alertbot.x.org_"]) {
      const r = await reg.provision({ from: "mallory@x.org/r", node: `mauve/alerts/${source}` });
      assert.equal(r.ok ? "ok" : r.condition, "forbidden", source);
    }
    assert.equal(log.withMsg("provisioning refused: AlertBot's own source").length, 3);
    await reg.adoptNew();
    assert.deepEqual(subscribed, ["mauve/alerts/web1"]);
    assert.equal(log.withMsg("agent node ignored: it is AlertBot's own source").length, 1);
    assert.equal(store.sources.get(SELF), undefined);
    store.close();
  });
});

describe("the alerts AlertBot raises inside a sender's source", () => {
  const downFor = (store: Store): void => {
    store.sources.claim("web1", "mauve/alerts/web1", "web1@x.org", NOW);
    ingestUpdate(
      store,
      update("web1", [alert("heartbeat", { clearTimeS: sec(NOW) })]),
      pubsubOrigin("web1", "x.org"),
      NOW,
    );
    store.sources.markDown("web1@x.org", NOW);
    store.transaction(() =>
      raiseHostsDown(store, { graceMs: 60_000, importance: 90, probeEveryMs: null }, NOW + 3_600_000),
    );
    assert.equal(store.alerts.find("web1", HOST_DOWN_ALERT_ID)?.status, "raised");
  };

  it("are listed where ingest keeps senders off them", () => {
    assert.ok(BOT_ALERT_IDS.has(HOST_DOWN_ALERT_ID));
  });

  it("survive the sender's replace, which stands for the sender's own alerts only", () => {
    const store = Store.open(":memory:");
    downFor(store);
    const t = NOW + 3_700_000;
    const r = ingestUpdate(
      store,
      update("web1", [alert("backup", { clearTimeS: sec(t) })], { replace: true }),
      pubsubOrigin("web1", "x.org"),
      t,
    );
    assert.equal(r.status, "applied");
    assert.equal(store.alerts.find("web1", HOST_DOWN_ALERT_ID)?.status, "raised");
    assert.ok(r.status === "applied" && r.changes.every((c) => c.after.alertId !== HOST_DOWN_ALERT_ID));
    store.close();
  });

  it("cannot be named by any sender, in any letter case, with a reason saying why", () => {
    const store = Store.open(":memory:");
    downFor(store);
    const t = NOW + 3_700_000;
    for (const [id, origin] of [
      [HOST_DOWN_ALERT_ID, pubsubOrigin("web1", "x.org")],
      [HOST_DOWN_ALERT_ID, UDP],
      ["Mauve-Host-Down", { via: "http" }],
    ] as Array<[string, UpdateOrigin]>) {
      const r = ingestUpdate(store, update("web1", [alert(id, { clearTimeS: sec(t) })]), origin, t, OPTIONS);
      assert.deepEqual(
        r.status === "rejected" ? r.reason : r.status,
        `alert id ${JSON.stringify(id)} is AlertBot's own (it raises it when a source's agent is gone): no sender may name it`,
      );
    }
    assert.equal(store.alerts.find("web1", HOST_DOWN_ALERT_ID)?.status, "raised");
    store.close();
  });
});

describe("a source heard without an account", () => {
  const heardOverUdp = (): Store => {
    const store = Store.open(":memory:");
    assert.equal(ingestUpdate(store, update("web1", [alert("heartbeat")]), UDP, NOW).status, "applied");
    assert.equal(store.sources.get("web1")?.ownerJid, "");
    return store;
  };
  const fromXmpp = (publisher: string) => ({ via: "pubsub" as const, node: sourceToNodeName("web1"), publisher });

  it("takes pubsub updates only from the account udp.handover names, which then owns it", () => {
    const store = heardOverUdp();
    const handoverOf = (s: string): string | undefined => (s === "web1" ? "Heir@x.org" : undefined);
    const clear = (n: number) => update("web1", [alert("heartbeat", { clearTimeS: sec(NOW) + n })]);
    const refused = ingestUpdate(store, clear(1), fromXmpp("mallory@x.org"), NOW, { handoverOf });
    assert.equal(refused.status, "rejected");
    if (refused.status === "rejected") assert.match(refused.reason, /only the account udp.handover names/);
    assert.equal(
      ingestUpdate(store, clear(2), fromXmpp("mallory@x.org"), NOW).status,
      "rejected",
      "no handover at all",
    );
    assert.equal(store.alerts.find("web1", "heartbeat")?.status, "raised");
    assert.equal(ingestUpdate(store, clear(3), fromXmpp("heir@x.org"), NOW, { handoverOf }).status, "applied");
    assert.equal(store.sources.get("web1")?.ownerJid, "heir@x.org");
    store.close();
  });

  it("is not adopted from a node another account made, nor provisioned to the node's owner: only to the account udp.handover names", async () => {
    const store = heardOverUdp();
    const log = new LogLines();
    const subscribed: string[] = [];
    const mallorys = registry(
      store,
      fakePubsub(() => "mallory@x.org", subscribed),
      log,
    );
    await mallorys.adoptNew();
    assert.deepEqual(subscribed, []);
    assert.equal(
      log.withMsg(
        "agent node ignored: its source has been heard without an account, and its owner may not speak for it",
      ).length,
      1,
    );
    const asked = await mallorys.provision({ from: "mallory@x.org/r", node: "mauve/alerts/web1" });
    assert.equal(asked.ok ? "ok" : asked.condition, "forbidden", "owning the node is not enough");
    assert.equal(store.sources.get("web1")?.ownerJid, "");

    // The heir, named in any letter case, made the node itself (ejabberd): adopted, and the source is its.
    const heirs = registry(
      store,
      fakePubsub(() => "heir@x.org", subscribed),
      log,
      { web1: "HEIR@x.org" },
    );
    await heirs.adoptNew();
    assert.deepEqual(subscribed, ["mauve/alerts/web1"]);
    assert.equal(store.sources.get("web1")?.ownerJid, "heir@x.org");
    store.close();
  });
});
