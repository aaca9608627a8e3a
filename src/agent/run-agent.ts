import { mkdirSync } from "node:fs";
import type { CheckScheduler } from "../checks/scheduler.js";
import type { Clock } from "../clock/clock.js";
import { sourceToNodeName } from "../codec/source-name.js";
import type { AgentConfig } from "../config/agent-config.js";
import type { Logger } from "../log.js";
import { unwrapPayload } from "../codec/payload.js";
import { connectClient } from "../xmpp/connect.js";
import { connectAdvice, connectProblem } from "../xmpp/connect-problem.js";
import { createDisco } from "../xmpp/disco.js";
import { bareJid, jidDomain, jidLocal } from "../xmpp/jid.js";
import { NS_MAUVE_AGENT } from "../xmpp/namespaces.js";
import { createPresence } from "../xmpp/presence.js";
import { createProvisioning } from "../xmpp/provisioning.js";
import { createPubsub } from "../xmpp/pubsub.js";
import { logSessionErrors, type XmppSession } from "../xmpp/session.js";
import { DEFAULT_BACKOFF, backoffDelay, type BackoffOptions } from "../util/backoff.js";
import { AddressTaken } from "./address-taken.js";
import { OutboxHealth } from "./outbox-health.js";
import { damagedOutboxAlert, openOutbox } from "./damaged-outbox.js";
import { AgentCore, type PublishPort } from "./agent-core.js";
import { createAgentChecks, startupState } from "./agent-checks.js";
import { followConfigNodes } from "./remote-checks.js";
import type { AgentAlert } from "../codec/build-update.js";
import { ensureNode } from "../xmpp/provisioning.js";
import { PublishGate } from "./publish-gate.js";
import { statusLine } from "./status-line.js";
import { outboxFile } from "./state-dir-lock.js";

/**
 * How long an agent waits before asking again for a node that could not be created or provisioned:
 * 1-2 s, doubling to at most 10-20 s, with jitter. Agents fail together (ejabberd's Mnesia aborts
 * some of many node creations at once; AlertBot may not be up yet), and a fixed delay brought them
 * back together, to fail together again.
 */
export const NODE_RETRY_BACKOFF: BackoffOptions = { initialDelayMs: 2_000, maxDelayMs: 20_000 };
const BOT_WAIT_MS = 60_000;
// XEP-0060 §7.1.3.3 (the node does not exist) and §7.1.3.1 (not a publisher: Prosody answers so
// for a node deleted and created again by someone else, or gone with our affiliation).
const NODE_GONE = new Set(["item-not-found", "forbidden"]);

/** A running agent. */
export interface RunningAgent {
  readonly core: AgentCore;
  readonly checks: CheckScheduler;
  readonly session: XmppSession;
  /** Records changed alerts and publishes them as one update. */
  change(alerts: readonly AgentAlert[]): void;
  /** Announces unavailability, disconnects and closes the outbox (what is queued stays queued). */
  stop(): Promise<void>;
}

/** Knobs for embedding and tests. */
export interface RunAgentOptions {
  /** Where checks find PATH (default: process.env); nothing else of it reaches them. */
  env?: Readonly<Record<string, string | undefined>>;
  /** How long a fresh session waits for AlertBot's presence before publishing anyway (default 60 s). */
  botWaitMs?: number;
}

/**
 * Starts an agent: opens its outbox and saved state, starts its checks (they run, and queue, before
 * the server answers), logs in (retrying until it does), makes sure its node exists, announces
 * itself by presence and disco, and publishes its full state, its changes and its heartbeats.
 */
export async function runAgent(
  config: AgentConfig,
  clock: Clock,
  log: Logger,
  options: RunAgentOptions = {},
): Promise<RunningAgent> {
  mkdirSync(config.stateDir, { recursive: true });
  const { outbox, damaged } = openOutbox(outboxFile(config.stateDir), clock, log);
  const node = sourceToNodeName(config.source);
  const { pubsub: service, bot } = config.xmpp;
  const core = new AgentCore({
    clock,
    log,
    outbox,
    source: config.source,
    heartbeatMs: config.heartbeat === false ? null : config.heartbeat.intervalMs,
    fullStateEveryMs: config.fullStateEveryMs === false ? null : config.fullStateEveryMs,
    maxEntries: config.outbox.maxEntries,
  });
  let announce = (_backlog?: number): void => undefined;
  const change = (list: readonly AgentAlert[]): void => {
    // Only what waited before this change is a backlog: the change itself is on its way.
    const waiting = core.backlog();
    core.change(list);
    announce(waiting);
  };
  // A full disk: updates are kept in memory and still published, and the agent raises an alert of its own.
  const outboxHealth = new OutboxHealth({
    clock,
    log,
    path: outboxFile(config.stateDir),
    writeOut: () => outbox.writeOut(),
    change,
  });
  outbox.onStorageFailure((error) => outboxHealth.failed(error));
  const agentChecks = createAgentChecks({
    config,
    clock,
    log,
    outbox,
    agentEnv: options.env ?? process.env,
    current: () => core.current(),
    change,
  });
  const checks = agentChecks.scheduler;
  checks.onLatest((alerts) => core.refresh(alerts));
  core.load(startupState(config.alerts, agentChecks.initial, core.current(), agentChecks.kept));
  core.queueFullState();
  if (damaged) change([damagedOutboxAlert(outboxFile(config.stateDir), damaged)]);
  core.start();
  checks.setChecks(agentChecks.initial, (id) => core.current().some((a) => a.id === id && a.state === "raised"));

  const session: XmppSession = await retryUntilConnected(clock, log, () =>
    connectClient({
      service: config.xmpp.service,
      domain: jidDomain(config.xmpp.jid),
      username: jidLocal(config.xmpp.jid),
      password: config.xmpp.password.reveal(),
      resource: "mauve-agent",
      clock,
      // One round: a ping every interval, dropped when unanswered within as long (keepalive.ts).
      keepAlive: { intervalMs: config.xmpp.keepaliveMs, timeoutMs: config.xmpp.keepaliveMs },
      onError: logSessionErrors(log),
    }),
  );
  const pubsub = createPubsub(session);
  const presence = createPresence(session);
  const provisioning = createProvisioning(session);
  createDisco(session, {
    identities: [{ category: "client", type: "bot", name: `mauve-agent ${config.source}` }],
    features: [NS_MAUVE_AGENT],
  });
  const port: PublishPort = {
    async publish(payload) {
      const published = await pubsub.publish(service, node, payload);
      if (published.ok || !NODE_GONE.has(published.condition)) return published;
      // The node went while the session stayed up (an admin deleted it, the server lost it): set it
      // up again and publish the same update, so the queue keeps its order. Without this the same
      // publish was retried for ever and nothing more reached AlertBot.
      log.warn("this agent's node is gone; setting it up again", { node, condition: published.condition });
      const ready = await ensureNode(pubsub, provisioning, { service, node, source: config.source, bot }, log);
      return ready.ok ? pubsub.publish(service, node, payload) : published;
    },
  };
  // The last status sent names a backlog while the outbox had one; once drained, it is said again.
  let shown = "";
  const status = (backlog = core.backlog()): string => (shown = statusLine(core.current(), backlog));
  const gate = new PublishGate({
    clock,
    log,
    botWaitMs: options.botWaitMs ?? BOT_WAIT_MS,
    open: () => {
      core.setPort(port);
      void core
        .pump()
        .then(() => {
          if (!session.isOnline || !shown.includes("; outbox ") || core.backlog() > 0) return;
          return Promise.all([
            presence.sendAvailable({ status: status() }),
            presence.sendAvailable({ to: bot, status: status() }),
          ]);
        })
        .catch(() => undefined);
    },
    close: () => core.setPort(null),
  });
  announce = (backlog) => {
    if (session.isOnline) void presence.sendAvailable({ status: status(backlog) }).catch(() => undefined);
  };

  /**
   * AlertBot refuses an update whose sequence is not past the last it took from this source. When
   * the node's newest item is further on than the outbox (another agent published with this
   * account, or the state directory is older than the node), this agent's updates would all be
   * refused, unheard: it goes on from the node's sequence and sends its full state again.
   */
  async function goPastNodeSequence(): Promise<void> {
    // Every retained item, not only the newest: mauvesend publishes unsequenced items (sequence 0)
    // to the same node with the same account, and one of those on top hid the sequence AlertBot holds.
    const read = await pubsub.getItems(service, node);
    if (!read.ok) return;
    let newest = 0n;
    for (const item of read.items) {
      if (!item.payload) continue;
      try {
        const { sequence } = unwrapPayload(item.payload);
        if (sequence > newest) newest = sequence;
      } catch {
        // Not ours to read: nothing to go past.
      }
    }
    if (!outbox.advanceSequence(newest)) return;
    // What waits with a sequence not past the node's would be refused as stale (and AlertBot would
    // raise its refused-updates alert): it is older news than the node holds, and the full state
    // queued next says where every alert stands.
    const dropped = outbox.discardThrough(newest);
    log.warn(
      "this agent's node holds a newer update than its outbox: going on from its sequence, full state sent again",
      {
        sequence: newest,
        dropped,
        cause: "another agent on this account, or this host's clock set back since",
      },
    );
    core.queueFullState();
  }

  // A fresh session sets up presence and the node; publishing opens when the gate says so.
  let nodeRetries = 0;
  async function setUp(): Promise<void> {
    let ready = false;
    try {
      await presence.sendAvailable({ status: status() });
      // Directed presence: AlertBot answers with its own once it knows us (first contact: after provisioning).
      await presence.sendAvailable({ to: bot, status: status() });
      ready = (await ensureNode(pubsub, provisioning, { service, node, source: config.source, bot }, log)).ok;
      if (ready) await goPastNodeSequence();
      if (ready) await presence.sendAvailable({ to: bot, status: status() });
      if (ready && agentChecks.remote)
        await followConfigNodes(pubsub, service, agentChecks.nodes, agentChecks.remote, log);
    } catch (err) {
      log.warn("setting up the session failed", { err });
    }
    // Keep the outbox; try again shortly (the bot may not be up yet, or the link dropped).
    if (!ready)
      clock.setTimer(backoffDelay(nodeRetries++, NODE_RETRY_BACKOFF), () => void (session.isOnline && setUp()));
    else {
      nodeRetries = 0;
      gate.nodeIsReady();
    }
  }

  const remote = agentChecks.remote;
  if (remote) pubsub.onEvent((event) => void remote.receive(event), { services: [service] });
  presence.onPresence((p) => {
    if (bareJid(p.from) !== bot) return;
    // AlertBot (re)appeared: it may have missed events, so give it our whole state again.
    if (p.type === "available" && !gate.isOpen) log.info("AlertBot is available; republishing full state");
    if (p.type === "available") core.queueFullState();
    gate.botPresence(p.type === "available");
  });
  const addressTaken = new AddressTaken({ clock, log, jid: bareJid(config.xmpp.jid), source: config.source, change });
  // Only reconnections reach this listener (the first login is awaited above).
  session.on("online", ({ resumed }) => {
    addressTaken.online();
    log.info("reconnected; republishing full state after the backlog", { resumed, backlog: core.backlog() });
    core.queueFullState();
    gate.sessionUp(!resumed);
    if (!resumed) void setUp().catch((err: unknown) => log.error("going online failed", { err }));
  });
  // Each try that failed, with why, and what to change when retrying alone will not mend it.
  session.on("reconnecting", ({ attempt, delayMs, lastError }) => {
    const fix = connectAdvice(lastError, "password");
    log.warn("will try the XMPP server again", { attempt, delayMs, lastError, ...(fix ? { fix } : {}) });
  });
  session.on("offline", ({ reason, replacedStreak, stopped }) => {
    gate.sessionDown();
    // Stopping is no outage: what waits stays in the outbox for the next start.
    if (stopped) log.info("disconnected: stopping", { backlog: core.backlog() });
    else log.warn("disconnected; queueing until reconnected", { reason, backlog: core.backlog() });
    addressTaken.offline(replacedStreak);
  });
  gate.sessionUp(true);
  await setUp();
  log.info("mauve-agent running", {
    source: config.source,
    node,
    jid: session.jid,
    backlog: core.backlog(),
    checks: config.checks.length,
  });

  return {
    core,
    checks,
    session,
    change,
    async stop() {
      addressTaken.stop();
      outboxHealth.stop();
      checks.stop();
      gate.stop();
      core.stop();
      if (session.isOnline) await presence.sendUnavailable({ status: "agent stopped" }).catch(() => undefined);
      await session.stop();
      outbox.close();
    },
  };
}

/** The first login, retried with jittered backoff: the agent works (and queues) before the server is up. */
async function retryUntilConnected(
  clock: Clock,
  log: Logger,
  connect: () => Promise<XmppSession>,
): Promise<XmppSession> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await connect();
    } catch (err) {
      const delayMs = backoffDelay(attempt, DEFAULT_BACKOFF);
      const fix = connectAdvice(connectProblem(err), "password");
      log.warn("cannot connect yet; will retry", { err, attempt: attempt + 1, delayMs, ...(fix ? { fix } : {}) });
      await new Promise<void>((resolve) => clock.setTimer(delayMs, resolve));
    }
  }
}
