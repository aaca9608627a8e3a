// mauve-agent (the installed entry point, as a process) whose link to the server stops carrying
// anything without closing: a frozen path (nothing either way), or a half-dead one (the server's
// stanzas still arrive, the agent's are lost). Its changes meanwhile wait in its outbox. It must
// notice by its keepalive, drop the link, reconnect, and publish every change, in order, once each.
// XEP-0198 acks alone did not do it: xmpp.js clears its ack timeout at any incoming element, so on
// a half-dead link the agent waited for good, and on a frozen one it waited out the ack timeout.
import assert from "node:assert/strict";
import { makeSteps, withAgentSuite, writeStepsAgentConfig } from "../helpers/agent-steps.js";
import { startAgentProcess } from "../helpers/process-bot.js";
import type { ChildRun } from "../helpers/process-child.js";
import { withProsody } from "../helpers/prosody.js";
import { PersonClient } from "../helpers/spine.js";
import { TcpRelay } from "../helpers/tcp-proxy.js";

describe("mauve-agent whose link stops carrying anything without closing", function () {
  this.timeout(300_000);
  const server = withProsody();
  const suite = withAgentSuite(server, "mauve-agent-link-frozen-");
  let alice: PersonClient | undefined;
  after(async () => {
    await alice?.stop();
  });

  /** Starts the agent for `source` and waits until the bot has its start-up state. */
  async function start(source: string, services: (relayPort: number) => string[]): Promise<ChildRun> {
    const t = server();
    const relay = await TcpRelay.start(t.prosody.c2sPort);
    suite.relay = relay;
    const path = await writeStepsAgentConfig(t, suite.dir, source, services(relay.port));
    const child = await startAgentProcess(path);
    suite.agent = child;
    await suite.botHeardFrom(source);
    return child;
  }

  // The agent reconnects (logged after `mark`), every step reaches the bot once and in order, and
  // the agent then stops cleanly.
  const reconnectsAndDeliversInOrder = async (running: ChildRun, source: string, mark: number): Promise<void> => {
    await running.waitForLog(
      "the reconnection",
      (l) => l["msg"] === "reconnected; republishing full state after the backlog",
      120_000,
      mark,
    );
    await suite.stepsArrivedInOrder(source);
    assert.equal((await running.stop()).code, 0);
    suite.agent = undefined;
  };

  it("frozen both ways: drops it by its keepalive, reconnects once it thaws, and publishes every change in order", async () => {
    const source = "web6";
    const running = await start(source, (port) => [`xmpp://127.0.0.1:${port}`]);
    await suite.stepsWhileFrozen(running, source);

    // What the agent wrote before the drop is still held by the relay and reaches the server now,
    // beside the same updates sent again: the bot applies each once.
    suite.relay!.resume();
    const mark = running.logs.length;
    await reconnectsAndDeliversInOrder(running, source, mark);
  });

  it("half dead (the server still talks to it, its own stanzas are lost): drops it, reconnects to the next address, and publishes every change in order", async () => {
    const t = server();
    const source = "web7";
    const running = await start(source, (port) => [
      `xmpp://127.0.0.1:${port}`,
      `xmpp://127.0.0.1:${t.prosody.c2sPort}`,
    ]);
    alice = await PersonClient.login(t, "alice");
    const deadAt = running.logs.length;
    suite.relay!.dropFromClients();
    // Someone keeps writing to the agent: stanzas keep arriving on its side of the dead link, each
    // of which cleared XEP-0198's ack timeout.
    let talking = true;
    const chatter = (async () => {
      while (talking) {
        await alice.say(`${source}@${t.prosody.domain}`, "are you there?").catch(() => undefined);
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    })();
    try {
      await makeSteps(running, suite.dir, source);
      const gone = await running.waitForLog(
        "the agent to drop the half-dead link",
        (l) => l["msg"] === "disconnected; queueing until reconnected",
        90_000,
        deadAt,
      );
      assert.match(String(gone["reason"]), /keepalive/);
    } finally {
      talking = false;
      await chatter;
    }
    await reconnectsAndDeliversInOrder(running, source, deadAt);
  });
});
