// XEP-0198 counters under load right after login, against Prosody's mod_smacks.
import assert from "node:assert/strict";
import { withProsody } from "../helpers/prosody.js";
import { connectClient } from "../../src/xmpp/connect.js";
import { createDisco } from "../../src/xmpp/disco.js";
import { createPresence } from "../../src/xmpp/presence.js";
import { createPubsub } from "../../src/xmpp/pubsub.js";

describe("xmpp stream management on Prosody", function () {
  this.timeout(60_000);
  const server = withProsody();

  it("keeps the session when stanzas arrive together with <enabled/> (xmpp.js counter race)", async function () {
    const { prosody } = server();
    await prosody.register("busy", "pw-busy");
    const dropped: string[] = [];
    const errors: string[] = [];
    for (let i = 0; i < 8; i++) {
      const session = await connectClient({
        service: `xmpp://127.0.0.1:${prosody.c2sPort}`,
        domain: prosody.domain,
        username: "busy",
        password: "pw-busy",
        resource: `r${i}`,
        onError: (e) => void errors.push(e.message),
      });
      session.on("offline", (o) => void (o.reason === "stopped" || dropped.push(o.reason)));
      // Traffic at once, as an agent sends presence and IQs as soon as it is online: the
      // server's replies share TCP chunks with <enabled/> and its <r/> requests.
      await createPresence(session).sendAvailable({ status: "starting" });
      await Promise.all([1, 2, 3].map(() => createDisco(session).discoInfo(prosody.domain)));
      // Pauses that shape the traffic, not waits for an event: they let the server's <r/> requests
      // and our <a/> answers fall between the bursts, as they do for an agent.
      await new Promise((resolve) => setTimeout(resolve, 100));
      await Promise.all([1, 2, 3].map(() => createPubsub(session).listNodes(prosody.pubsubJid)));
      await new Promise((resolve) => setTimeout(resolve, 100));
      // A round trip after the last pause: a stream the server closed over a wrong count does not answer it.
      assert.ok((await createDisco(session).discoInfo(prosody.domain)).ok, `session r${i} still serves`);
      await session.stop();
    }
    assert.deepEqual(dropped, []);
    assert.deepEqual(errors, []);
  });
});
