// The private Prosody as XMPP sees it: loopback only, SCRAM without TLS, stream management,
// the bot component as pubsub admin, restarts that keep ports, accounts and items.
import assert from "node:assert/strict";
import { stat } from "node:fs/promises";
import { createServer } from "node:net";
import { createRequire } from "node:module";
import { networkInterfaces } from "node:os";
import Database from "better-sqlite3";
import type { ProsodyHandle } from "../../prosody/launcher.js";
import { prosodySqlitePath } from "../../prosody/sqlite-journal.js";
import { withProsody } from "../helpers/prosody.js";
import type { TestProsody } from "../helpers/prosody.js";

// The @xmpp packages ship no types: the little this test uses, typed here.
interface El {
  attrs: Record<string, string | undefined>;
  is(name: string, ns?: string): boolean;
  getChild(name: string, ns?: string): El | undefined;
  getChildren(name: string, ns?: string): El[];
}
type Xml = (name: string, attrs?: Record<string, string>, ...children: unknown[]) => El;
interface Entity {
  start(): Promise<unknown>;
  stop(): Promise<unknown>;
  on(event: string, listener: (arg: El) => void): void;
  reconnect: { stop(): void };
  readonly status: string;
  iqCaller: { request(iq: El, timeoutMs?: number): Promise<El> };
}
interface ClientModule {
  client(o: object): Entity;
  xml: Xml;
}
interface ComponentModule {
  component(o: object): Entity;
  xml: Xml;
}
const clientSpecifier = "@xmpp/client"; // a variable keeps tsc from resolving the untyped module
const { client, xml } = (await import(clientSpecifier)) as ClientModule;
const { component, xml: cxml } = createRequire(import.meta.url)("@xmpp/component") as ComponentModule;

const NS_STREAMS = "http://etherx.jabber.org/streams";
const NS_PUBSUB = "http://jabber.org/protocol/pubsub";

interface Login {
  entity: Entity;
  mechanism: string;
  features: El[];
}

/** Logs in over plain TCP; returns the SASL mechanism used and every stream features element. */
async function login(p: ProsodyHandle, username: string, password: string): Promise<Login> {
  const result: Partial<Login> & { features: El[] } = { features: [] };
  const credentials = async (auth: (c: object, m: string) => Promise<void>, offered: string[]) => {
    result.mechanism = offered.find((m) => m !== "PLAIN") ?? "none";
    await auth({ username, password }, result.mechanism);
  };
  const entity = client({ service: `xmpp://127.0.0.1:${p.c2sPort}`, domain: p.domain, credentials });
  entity.reconnect.stop();
  entity.on("element", (el) => void (el.is("features", NS_STREAMS) && result.features.push(el)));
  entity.on("error", () => undefined); // failures surface as start()'s rejection
  try {
    await entity.start();
  } catch (err) {
    await entity.stop().catch(() => undefined);
    throw err;
  }
  return { entity, mechanism: result.mechanism ?? "none", features: result.features };
}

async function connectBot(t: TestProsody, secret = t.botSecret): Promise<Entity> {
  const entity = component({
    service: `xmpp://127.0.0.1:${t.prosody.componentPort}`,
    domain: t.prosody.botJid,
    password: secret,
  });
  entity.reconnect.stop();
  entity.on("error", () => undefined);
  try {
    await entity.start();
  } catch (err) {
    await entity.stop().catch(() => undefined);
    throw err;
  }
  return entity;
}

// XEP-0060 §8.1.1: create a node with the default configuration.
function createNode(x: Xml, p: ProsodyHandle, node: string, from?: string): El {
  const create = x("pubsub", { xmlns: NS_PUBSUB }, x("create", { node }));
  return x("iq", { type: "set", to: p.pubsubJid, ...(from ? { from } : {}) }, create);
}

// XEP-0060 §7.1: publish one item as the bot.
async function publishAsBot(bot: Entity, p: ProsodyHandle, node: string, id: string): Promise<void> {
  const item = cxml("item", { id }, cxml("x", { xmlns: "urn:test" }));
  const publish = cxml("pubsub", { xmlns: NS_PUBSUB }, cxml("publish", { node }, item));
  await bot.iqCaller.request(cxml("iq", { type: "set", to: p.pubsubJid, from: p.botJid }, publish));
}

// XEP-0060 §6.5: all items of a node, as a client sees them.
async function fetchItems(user: Entity, p: ProsodyHandle, node: string): Promise<El[]> {
  const get = xml("iq", { type: "get", to: p.pubsubJid }, xml("pubsub", { xmlns: NS_PUBSUB }, xml("items", { node })));
  const reply = await user.iqCaller.request(get);
  return reply.getChild("pubsub", NS_PUBSUB)?.getChild("items")?.getChildren("item") ?? [];
}

function condition(err: unknown): string | undefined {
  return (err as { condition?: string }).condition;
}

describe("private Prosody", function () {
  const server = withProsody();

  before(async function () {
    await server().prosody.register("alice", "alice-pw");
    await server().prosody.register("bob", "bob-pw");
  });

  it("listens on loopback-only, non-default ports with a private 0600 config", async function () {
    const { prosody } = server();
    assert.notEqual(prosody.c2sPort, prosody.componentPort);
    for (const port of [prosody.c2sPort, prosody.componentPort])
      assert.ok(port > 1024 && port !== 5222 && port !== 5347);
    assert.equal((await stat(`${prosody.runDir}/prosody.cfg.lua`)).mode & 0o777, 0o600);
    const external = Object.values(networkInterfaces())
      .flat()
      .find((i) => i && i.family === "IPv4" && !i.internal);
    if (external) {
      const reachable = await new Promise<boolean>((resolve) => {
        const s = createServer().once("error", () => resolve(false));
        s.listen(prosody.c2sPort, external.address, () => s.close(() => resolve(true)));
      });
      assert.ok(reachable, `port ${prosody.c2sPort} must still be free on ${external.address}`);
    }
  });

  it("lets a registered user log in without TLS, by SCRAM-SHA-1, with stream management offered", async function () {
    const { entity, mechanism, features } = await login(server().prosody, "alice", "alice-pw");
    await entity.stop();
    assert.equal(mechanism, "SCRAM-SHA-1");
    assert.ok(
      features.every((f) => !f.getChild("starttls", "urn:ietf:params:xml:ns:xmpp-tls")),
      "no STARTTLS",
    );
    assert.ok(features.at(-1)?.getChild("sm", "urn:xmpp:sm:3"), "XEP-0198 offered after login (mod_smacks)");
  });

  it("rejects a wrong password", async function () {
    await assert.rejects(login(server().prosody, "alice", "wrong"), (err) => condition(err) === "not-authorized");
  });

  it("re-registering an existing account resets its password", async function () {
    await server().prosody.register("carol", "first");
    await server().prosody.register("carol", "second");
    await assert.rejects(login(server().prosody, "carol", "first"));
    await (await login(server().prosody, "carol", "second")).entity.stop();
  });

  it("accepts the bot component with its secret only", async function () {
    await assert.rejects(connectBot(server(), "not-the-secret"));
    await (await connectBot(server())).stop();
  });

  it("lets a restarted bot replace an orphaned connection (kick_old)", async function () {
    const first = await connectBot(server());
    const kicked = new Promise<void>((resolve) => first.on("disconnect", () => resolve()));
    const second = await connectBot(server());
    await kicked; // the server closed the old connection for the new one
    assert.equal(second.status, "online");
    await second.stop();
    await first.stop().catch(() => undefined);
  });

  it("lets the bot component create pubsub nodes and publish with its JID exposed; a user gets forbidden", async function () {
    const { prosody } = server();
    const bot = await connectBot(server());
    const alice = await login(prosody, "alice", "alice-pw");
    try {
      await bot.iqCaller.request(createNode(cxml, prosody, "mauve/alerts/test", prosody.botJid));
      await publishAsBot(bot, prosody, "mauve/alerts/test", "1");
      const [item] = await fetchItems(alice.entity, prosody, "mauve/alerts/test");
      assert.equal(item?.attrs["publisher"], prosody.botJid);
      const attempt = alice.entity.iqCaller.request(createNode(xml, prosody, "mauve/alerts/alice"));
      await assert.rejects(attempt, (err) => condition(err) === "forbidden");
    } finally {
      await alice.entity.stop();
      await bot.stop();
    }
  });

  it("restart() keeps ports, accounts and retained items", async function () {
    const { prosody } = server();
    const bot = await connectBot(server());
    await bot.iqCaller.request(createNode(cxml, prosody, "mauve/alerts/restart", prosody.botJid));
    await publishAsBot(bot, prosody, "mauve/alerts/restart", "before-restart");
    await bot.stop();
    const ports = [prosody.c2sPort, prosody.componentPort];
    await prosody.restart();
    assert.deepEqual([prosody.c2sPort, prosody.componentPort], ports);
    const bob = await login(prosody, "bob", "bob-pw");
    const items = await fetchItems(bob.entity, prosody, "mauve/alerts/restart");
    await bob.entity.stop();
    assert.deepEqual(
      items.map((i) => i.attrs["id"]),
      ["before-restart"],
    );
  });
});

describe("private Prosody with SQLite storage", function () {
  const server = withProsody({ storage: "sql" });

  it("works with SQLite storage, across a restart", async function () {
    const t = server();
    await t.prosody.register("dave", "dave-pw");
    const bot = await connectBot(t);
    await bot.iqCaller.request(createNode(cxml, t.prosody, "mauve/alerts/sql", t.prosody.botJid));
    await publishAsBot(bot, t.prosody, "mauve/alerts/sql", "kept");
    await bot.stop();
    await t.prosody.restart();
    const dave = await login(t.prosody, "dave", "dave-pw");
    const items = await fetchItems(dave.entity, t.prosody, "mauve/alerts/sql");
    await dave.entity.stop();
    assert.deepEqual(
      items.map((i) => i.attrs["id"]),
      ["kept"],
    );
    assert.ok((await stat(`${t.prosody.runDir}/data/prosody.sqlite`)).size > 0);
  });

  it("keeps its SQLite file in WAL mode (set by the launcher; Prosody itself would use a rollback journal)", async function () {
    const t = server();
    const db = new Database(prosodySqlitePath(`${t.prosody.runDir}/data`), { readonly: true });
    try {
      assert.equal(db.pragma("journal_mode", { simple: true }), "wal");
    } finally {
      db.close();
    }
  });
});
