// XML building and reading in src/xmpp, without a server.
import assert from "node:assert/strict";
import { clientXml as xml } from "../../src/xmpp/connect.js";
import { buildStanzaError, parseStanzaError, type XmppBadInputError } from "../../src/xmpp/errors.js";
import type { RawEntity } from "../../src/xmpp/raw-entity.js";
import { MAX_STANZA_DEPTH, nestsDeeperThan, refuseDeepStanzas } from "../../src/xmpp/stanza-depth.js";
import { NS_PUBSUB_ERRORS, NS_STANZAS } from "../../src/xmpp/namespaces.js";
import { buildNodeConfigForm, parseNodeConfigForm } from "../../src/xmpp/pubsub.js";
import { agentNodeConfig } from "../../src/xmpp/provisioning.js";
import { NS_MAUVE_UPDATE } from "../../src/codec/payload.js";
import { buildUpdate, readItemContent } from "../../src/xmpp/payload.js";
import { readItem } from "../../src/xmpp/pubsub.js";

describe("xmpp payload XML", () => {
  it("builds the update element the wire format names", () => {
    assert.equal(
      buildUpdate(xml, { data: "AAEC", text: "web1: <disk> & co" }).toString(),
      `<update xmlns="${NS_MAUVE_UPDATE}"><data>AAEC</data><text>web1: &lt;disk&gt; &amp; co</text></update>`,
    );
  });

  it("reads our payload, someone else's, a malformed one and none", () => {
    const item = (...children: ReturnType<typeof xml>[]) =>
      xml("item", { id: "1", publisher: "web1@example.org/agent" }, ...children);
    assert.deepEqual(readItemContent(item(buildUpdate(xml, { data: " AAEC\n", text: "t" }))), {
      payload: { data: "AAEC", text: "t" },
    });
    assert.deepEqual(readItemContent(item(xml("update", { xmlns: NS_MAUVE_UPDATE }, xml("data", {}, "AA==")))), {
      payload: { data: "AA==", text: "" },
    });
    assert.deepEqual(readItemContent(item(xml("entry", { xmlns: "http://www.w3.org/2005/Atom" }))), {
      unknownPayload: "{http://www.w3.org/2005/Atom}entry",
    });
    assert.deepEqual(readItemContent(item(xml("update", { xmlns: "urn:mauve-xmpp:update:2" }))), {
      unknownPayload: "{urn:mauve-xmpp:update:2}update",
    });
    assert.deepEqual(readItemContent(item(xml("update", { xmlns: NS_MAUVE_UPDATE }, xml("text", {}, "t")))), {
      unknownPayload: `{${NS_MAUVE_UPDATE}}update without <data/>`,
    });
    assert.deepEqual(readItemContent(item()), {});
    assert.deepEqual(readItem(item()), { itemId: "1", publisher: "web1@example.org" });
  });
});

describe("xmpp stanza errors", () => {
  it("reads condition, type, text and the pubsub condition", () => {
    const stanza = xml(
      "iq",
      { type: "error", id: "x" },
      xml(
        "error",
        { type: "cancel" },
        xml("conflict", { xmlns: NS_STANZAS }),
        xml("text", { xmlns: NS_STANZAS }, "Field does not match"),
        xml("precondition-not-met", { xmlns: NS_PUBSUB_ERRORS }),
      ),
    );
    assert.deepEqual(parseStanzaError(stanza), {
      ok: false,
      condition: "conflict",
      type: "cancel",
      text: "Field does not match",
      pubsubCondition: "precondition-not-met",
    });
    assert.deepEqual(parseStanzaError(xml("iq", { type: "error" })), {
      ok: false,
      condition: "undefined-condition",
      text: "error stanza without <error/>",
    });
    assert.deepEqual(
      parseStanzaError(
        xml("iq", { type: "error" }, xml("error", { type: "bogus" }, xml("made-up", { xmlns: NS_STANZAS }))),
      ),
      { ok: false, condition: "undefined-condition" },
    );
  });

  it("builds errors with the RFC 6120 type of each condition", () => {
    assert.equal(
      buildStanzaError(xml, { ok: false, condition: "forbidden", text: "no" }).toString(),
      `<error type="auth"><forbidden xmlns="${NS_STANZAS}"/><text xmlns="${NS_STANZAS}">no</text></error>`,
    );
    assert.equal(buildStanzaError(xml, { ok: false, condition: "bad-request" }).attrs.type, "modify");
  });
});

describe("xmpp node configuration form", () => {
  it("submits only the options given, and reads them back", () => {
    const form = buildNodeConfigForm(xml, agentNodeConfig("web1"));
    const vars = form.getChildren("field").map(
      (f) =>
        `${f.attrs.var}=${f
          .getChildren("value")
          .map((v) => v.text())
          .join(",")}`,
    );
    assert.deepEqual(vars, [
      "FORM_TYPE=http://jabber.org/protocol/pubsub#node_config",
      "pubsub#title=Mauve alerts from web1",
      `pubsub#type=${NS_MAUVE_UPDATE}`,
      "pubsub#access_model=whitelist",
      "pubsub#publish_model=publishers",
      "pubsub#persist_items=1",
      "pubsub#max_items=20",
      "pubsub#deliver_notifications=1",
      "pubsub#deliver_payloads=1",
      "pubsub#notify_retract=0",
      "pubsub#send_last_published_item=never",
      "pubsub#itemreply=publisher",
    ]);
    assert.equal(form.attrs.type, "submit");
    assert.deepEqual(parseNodeConfigForm(form), agentNodeConfig("web1"));
  });
});

describe("xmpp stanza depth", () => {
  const nested = (depth: number) => {
    const root = xml("iq", { type: "get", id: "d" });
    let at = root;
    for (let i = 1; i < depth; i++) {
      const child = xml("a");
      at.append(child);
      at = child;
    }
    return root;
  };

  it("measures depth with its own stack: 200,000 levels do not overflow it", () => {
    assert.equal(nestsDeeperThan(nested(MAX_STANZA_DEPTH), MAX_STANZA_DEPTH), false);
    assert.equal(nestsDeeperThan(nested(MAX_STANZA_DEPTH + 1), MAX_STANZA_DEPTH), true);
    assert.equal(nestsDeeperThan(nested(200_000), MAX_STANZA_DEPTH), true);
  });

  it("refuses a too-deep IQ with bad-request and without its payload, and passes a shallow one on", () => {
    const passed: string[] = [];
    const sent: Array<ReturnType<typeof xml>> = [];
    const refused: Error[] = [];
    const entity = {
      _onElement: (el: ReturnType<typeof xml>) => void passed.push(el.attrs.id ?? ""),
      send: (el: ReturnType<typeof xml>) => (sent.push(el), Promise.resolve()),
    };
    refuseDeepStanzas(entity as unknown as RawEntity, xml, (e) => void refused.push(e));
    const onElement = (entity as unknown as { _onElement(el: unknown): void })._onElement.bind(entity);
    const shallow = xml("iq", { type: "get", id: "ok", from: "a@b/c" }, xml("ping", { xmlns: "urn:xmpp:ping" }));
    onElement(shallow);
    const deep = nested(5_000);
    deep.attrs.from = "mallory@b/x";
    onElement(deep);
    assert.deepEqual(passed, ["ok"]);
    assert.equal(refused.length, 1);
    assert.equal((refused[0] as XmppBadInputError).from, "mallory@b/x");
    assert.equal(sent.length, 1);
    const reply = sent[0]!;
    assert.deepEqual(
      [reply.name, reply.attrs.type, reply.attrs.to, reply.attrs.id],
      ["iq", "error", "mallory@b/x", "d"],
    );
    assert.ok(reply.getChild("error")?.getChild("bad-request", NS_STANZAS));
    assert.equal(reply.getChildElements().length, 1, "the payload is not echoed");
  });
});
