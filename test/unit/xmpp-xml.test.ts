// XML building and reading in src/xmpp, without a server.
import assert from "node:assert/strict";
import { clientXml as xml } from "../../src/xmpp/connect.js";
import { buildStanzaError, parseStanzaError } from "../../src/xmpp/errors.js";
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
