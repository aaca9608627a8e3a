// mauve-agent (the installed entry point, as a process) against a Prosody (or, in the ejabberd pass of
// scripts/run-tests.mjs, an ejabberd) that requires TLS, as in production: a certificate signed by a private CA that the agent is told to trust through Node's
// NODE_EXTRA_CA_CERTS (docs/agents.md). It logs in with STARTTLS and publishes; on a frozen link it
// cuts the TLS connection (the socket inside @xmpp/tls's wrapper) instead of closing the stream
// politely into the dead link, resumes its session once the link thaws and publishes every change in
// order; and it refuses a certificate no CA it trusts signed, saying why, keeping what it queued.
// Both servers behave alike in every case here: ejabberd offers nothing but STARTTLS before TLS, keeps
// the session of a cut link for the agent to resume (mod_stream_mgmt), and reads its certfiles anew
// at a restart.
import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { makePrivateCa, makeServerCertificate } from "../../prosody/tls.js";
import { appliedChanges, flagOf, withAgentSuite, writeStepsAgentConfig } from "../helpers/agent-steps.js";
import { startAgentProcess } from "../helpers/process-bot.js";
import { ChildRun } from "../helpers/process-child.js";
import { withProsody, type TestProsody } from "../helpers/prosody.js";
import { TcpRelay } from "../helpers/tcp-proxy.js";
import { heldConnections, plainStreamFeatures } from "../helpers/tls.js";
import { waitFor } from "../helpers/wait-for.js";

/** The environment that makes an agent trust the CA of the test server's certificate. */
function trusting(t: TestProsody): Record<string, string> {
  assert.ok(t.prosody.tlsCaFile, "the test server runs with TLS");
  return { NODE_EXTRA_CA_CERTS: t.prosody.tlsCaFile };
}

describe("mauve-agent over TLS (STARTTLS required, a private CA)", function () {
  this.timeout(300_000);
  const server = withProsody({ tls: true });
  const suite = withAgentSuite(server, "mauve-agent-tls-");

  it("logs in with STARTTLS, where nothing else is let in, and its alert reaches AlertBot", async () => {
    const t = server();
    // A client that does not do TLS is offered nothing but STARTTLS: no way to log in in the clear.
    const features = await plainStreamFeatures(t.prosody.c2sPort, t.prosody.domain);
    assert.match(features, /<starttls xmlns=['"]urn:ietf:params:xml:ns:xmpp-tls['"]><required\/><\/starttls>/);
    assert.doesNotMatch(features, /<mechanisms/, `no SASL mechanism offered before TLS: ${features}`);

    const source = "tls1";
    writeFileSync(flagOf(suite.dir, source, 0), "");
    const direct = `xmpp://127.0.0.1:${t.prosody.c2sPort}`;
    const agent = await startAgentProcess(await writeStepsAgentConfig(t, suite.dir, source, [direct], 1), trusting(t));
    suite.agent = agent;
    await waitFor("c0 to reach the bot", () => suite.bot.store.alerts.find(source, "c0")?.status === "raised", 60_000);
    assert.deepEqual(
      appliedChanges(suite.bot, source, "c0").map((c) => c.kind),
      ["raised"],
    );
    assert.equal(heldConnections(agent.pid!, t.prosody.c2sPort).length, 1, "one connection to the server");
    assert.equal((await agent.stop()).code, 0);
    suite.agent = undefined;
  });

  it("frozen link: cuts the TLS connection when its keepalive finds it dead (the session stays resumable), reconnects after the thaw, and publishes every change in order", async () => {
    const t = server();
    const source = "tls2";
    const relay = await TcpRelay.start(t.prosody.c2sPort);
    suite.relay = relay;
    const path = await writeStepsAgentConfig(t, suite.dir, source, [`xmpp://127.0.0.1:${relay.port}`]);
    const running = await startAgentProcess(path, trusting(t));
    suite.agent = running;
    await suite.botHeardFrom(source);
    const pid = running.pid!;
    const links = heldConnections(pid, relay.port);
    assert.equal(links.length, 1, "one connection to the server");
    const [tlsLink] = links;

    const { frozenAt, reason } = await suite.stepsWhileFrozen(running, source);
    // Still frozen: nothing the server or the relay did closed it; the agent holds nothing of it.
    assert.deepEqual(
      heldConnections(pid, relay.port).filter((c) => c.localPort === tlsLink!.localPort),
      [],
      "the dropped TLS connection is closed",
    );

    const mark = running.logs.length;
    relay.resume();
    const back = await running.waitForLog(
      "the reconnection",
      (l) => l["msg"] === "reconnected; republishing full state after the backlog",
      120_000,
      mark,
    );
    // The dead link was cut, not closed politely. Closed politely (as it was over TLS), its
    // </stream:stream> reached the server at the thaw, which ended the session instead of keeping it
    // for the agent to resume, and XEP-0198 reported as lost what it had not acknowledged.
    assert.equal(back["resumed"], true, "the XEP-0198 session resumed");
    assert.deepEqual(
      running.logs
        .slice(frozenAt)
        .filter((l) => l["level"] === "error")
        .map((l) => (l["err"] as { message?: unknown } | undefined)?.message),
      [`xmpp connection: ${reason}; dropping it`],
      "no error but the keepalive's",
    );
    await suite.stepsArrivedInOrder(source);
    assert.equal(heldConnections(pid, relay.port).length, 1, "one connection to the server after reconnecting");
    assert.equal((await running.stop()).code, 0);
    suite.agent = undefined;
  });

  it("refuses a certificate that no CA it trusts signed, says why, and keeps what it queued", async () => {
    const t = server();
    const source = "tls3";
    const stranger = await makePrivateCa(suite.dir, "not-the-servers-ca");
    writeFileSync(flagOf(suite.dir, source, 0), "");
    const path = await writeStepsAgentConfig(t, suite.dir, source, [`xmpp://127.0.0.1:${t.prosody.c2sPort}`], 1);
    const refusing = ChildRun.start(
      "agents/mauve-agent.ts",
      ["--config", path],
      { NODE_EXTRA_CA_CERTS: stranger.certFile },
      "mauve-agent",
    );
    suite.agent = refusing;
    const refused = await refusing.waitForLog(
      "the agent to refuse the server",
      (l) => l["msg"] === "cannot connect yet; will retry",
      60_000,
    );
    const err = refused["err"] as Record<string, unknown>;
    assert.match(String(err["message"]), /certificate/, JSON.stringify(err));
    assert.equal(err["code"], "UNABLE_TO_VERIFY_LEAF_SIGNATURE");
    // And what to change, since retrying alone never mends it.
    assert.match(String(refused["fix"]), /NODE_EXTRA_CA_CERTS/, JSON.stringify(refused));

    // c0 raised then cleared while it cannot log in: both wait in its outbox.
    await refusing.waitForLog("c0 raised", (l) => l["msg"] === "check raised" && l["check"] === "c0", 30_000);
    rmSync(flagOf(suite.dir, source, 0));
    const clearedAt = refusing.logs.length;
    await refusing.waitForLog("c0 cleared", (l) => l["msg"] === "check cleared" && l["check"] === "c0", 30_000);
    await refusing.waitForLog(
      "the agent to refuse the server again",
      (l) => l["msg"] === "cannot connect yet; will retry",
      120_000,
      clearedAt,
    );
    assert.equal(refusing.withMsg("mauve-agent running").length, 0, "never logged in");
    assert.equal(suite.bot.store.alerts.find(source, "c0"), undefined, "nothing reached the bot");
    assert.equal((await refusing.stop()).code, 0);

    // Told to trust the server's CA (the same state directory): what it queued arrives, in order.
    const trusted = await startAgentProcess(path, trusting(t));
    suite.agent = trusted;
    await waitFor(
      "the queued changes to reach the bot",
      () => suite.bot.store.alerts.find(source, "c0")?.status === "cleared",
      60_000,
    );
    assert.deepEqual(
      appliedChanges(suite.bot, source, "c0").map((c) => c.kind),
      ["raised", "cleared"],
    );
    assert.equal((await trusted.stop()).code, 0);
    suite.agent = undefined;
  });

  it("a server certificate it does not trust after a restart: every try says why and what to change; put back, the agent reconnects by itself and publishes what it queued", async () => {
    const t = server();
    const source = "tls4";
    const path = await writeStepsAgentConfig(t, suite.dir, source, [`xmpp://127.0.0.1:${t.prosody.c2sPort}`], 1);
    const agent = await startAgentProcess(path, trusting(t));
    suite.agent = agent;
    await suite.botHeardFrom(source);

    // The server comes back with a certificate from another CA (a renewal gone wrong).
    const certs = dirname(t.prosody.tlsCaFile!);
    const served = [`${t.prosody.domain}.crt`, `${t.prosody.domain}.key`].map((f) => join(certs, f));
    const saved = served.map((f) => `${f}.saved`);
    served.forEach((f, i) => copyFileSync(f, saved[i]!));
    const other = await makeServerCertificate(mkdtempSync(join(suite.dir, "other-ca-")), t.prosody.domain);
    copyFileSync(other.certFile, served[0]!);
    copyFileSync(other.keyFile, served[1]!);
    const before = agent.logs.length;
    await t.prosody.restart();
    const refused = await agent.waitForLog(
      "a reconnection refused for the certificate",
      (l) =>
        l["msg"] === "will try the XMPP server again" && /UNABLE_TO_VERIFY_LEAF_SIGNATURE/.test(String(l["lastError"])),
      120_000,
      before,
    );
    assert.match(String(refused["fix"]), /NODE_EXTRA_CA_CERTS/, JSON.stringify(refused));

    // c0 raised while it cannot get in: it waits in the outbox.
    writeFileSync(flagOf(suite.dir, source, 0), "");
    await agent.waitForLog("c0 raised", (l) => l["msg"] === "check raised" && l["check"] === "c0", 30_000, before);

    // The right certificate is put back: the same process gets in and publishes it.
    served.forEach((f, i) => copyFileSync(saved[i]!, f));
    await t.prosody.restart();
    await waitFor("c0 to reach the bot", () => suite.bot.store.alerts.find(source, "c0")?.status === "raised", 120_000);
    assert.deepEqual(
      appliedChanges(suite.bot, source, "c0").map((c) => c.kind),
      ["raised"],
    );
    assert.equal((await agent.stop()).code, 0);
    suite.agent = undefined;
  });
});
