import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Clock } from "../clock/clock.js";
import { sourceToNodeName } from "../codec/node-name.js";
import type { AgentConfig } from "../config/agent-config.js";
import type { Logger } from "../log.js";
import { Outbox } from "../store/outbox.js";
import {
  NS_MAUVE_AGENT,
  agentNodeConfig,
  bareJid,
  connectClient,
  createDisco,
  createPresence,
  createProvisioning,
  createPubsub,
  jidDomain,
  jidLocal,
  DEFAULT_BACKOFF,
  backoffDelay,
  type XmppSession,
} from "../xmpp/index.js";
import { AgentCore, type PublishPort } from "./agent-core.js";
import type { AgentAlert } from "./build-update.js";
import { statusLine } from "./status-line.js";

// How long to wait before asking again for a node that could not be created or provisioned.
const NODE_RETRY_MS = 10_000;

/** A running agent. */
export interface RunningAgent {
  readonly core: AgentCore;
  /** Records changed alerts and publishes them as one update. */
  change(alerts: readonly AgentAlert[]): void;
  /** Announces unavailability, disconnects and closes the outbox (what is queued stays queued). */
  stop(): Promise<void>;
}

/**
 * Starts an agent: opens its outbox, logs in (retrying until the server answers), makes sure its
 * node exists, announces itself by presence and disco, and publishes its full state and heartbeats.
 */
export async function runAgent(config: AgentConfig, clock: Clock, log: Logger): Promise<RunningAgent> {
  mkdirSync(config.stateDir, { recursive: true });
  const outbox = new Outbox(join(config.stateDir, "outbox.sqlite"));
  const node = sourceToNodeName(config.source);
  const { pubsub: service, bot } = config.xmpp;
  const core = new AgentCore({
    clock,
    log,
    outbox,
    source: config.source,
    heartbeatMs: config.heartbeat === false ? null : config.heartbeat.interval,
  });
  const alerts = new Map<string, AgentAlert>();
  const remember = (list: readonly AgentAlert[]): void => list.forEach((a) => alerts.set(a.id, a));
  remember(config.alerts.map(fromConfig));
  core.load([...alerts.values()]);
  core.queueFullState();
  core.startHeartbeat();

  const session: XmppSession = await retryUntilConnected(clock, log, () =>
    connectClient({
      service: config.xmpp.service,
      domain: jidDomain(config.xmpp.jid),
      username: jidLocal(config.xmpp.jid),
      password: config.xmpp.password.reveal(),
      resource: "mauve-agent",
      clock,
      onError: (err) => log.error("xmpp", { err }),
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
    publish: (payload) => pubsub.publish(service, node, payload),
  };

  async function ensureNode(): Promise<boolean> {
    const created = await pubsub.createNode(service, node, agentNodeConfig(config.source));
    if (created.ok || created.condition === "conflict") return true;
    if (created.condition !== "forbidden") {
      log.error("cannot create node", { node, condition: created.condition, text: created.text });
      return false;
    }
    // Prosody lets only service admins create nodes: ask AlertBot, which is one, to create it for us.
    const provisioned = await provisioning.requestNodeProvisioning(bot, node);
    if (!provisioned.ok) log.error("AlertBot did not provision our node", { node, condition: provisioned.condition, text: provisioned.text });
    return provisioned.ok;
  }

  const announce = (): Promise<void> => presence.sendAvailable({ status: statusLine([...alerts.values()]) });

  async function online(resumed: boolean): Promise<void> {
    if (!resumed) {
      let ready = false;
      try {
        await announce();
        await presence.sendAvailable({ to: bot, status: statusLine([...alerts.values()]) });
        ready = await ensureNode();
      } catch (err) {
        log.warn("setting up the session failed", { err });
      }
      if (!ready) {
        // Keep the outbox; try again shortly (the bot may not be up yet, or the link dropped).
        clock.setTimer(NODE_RETRY_MS, () => void (session.isOnline && online(false)));
        return;
      }
    }
    core.setPort(port);
  }

  presence.onPresence((p) => {
    // AlertBot (re)appeared: it may have missed events, so give it our whole state again.
    if (bareJid(p.from) === bot && p.type === "available") {
      log.info("AlertBot is available; republishing full state");
      core.queueFullState();
    }
  });
  session.on("online", ({ resumed }) => void online(resumed).catch((err: unknown) => log.error("going online failed", { err })));
  session.on("offline", ({ reason }) => {
    core.setPort(null);
    log.warn("disconnected; queueing until reconnected", { reason, backlog: core.backlog() });
  });
  await online(false);
  log.info("mauve-agent running", { source: config.source, node, jid: session.jid, backlog: core.backlog() });

  return {
    core,
    change(list) {
      remember(list);
      core.change(list);
      if (session.isOnline) void announce().catch(() => undefined);
    },
    async stop() {
      core.stop();
      if (session.isOnline) await presence.sendUnavailable({ status: "agent stopped" }).catch(() => undefined);
      await session.stop();
      outbox.close();
    },
  };
}

function fromConfig(a: AgentConfig["alerts"][number]): AgentAlert {
  return {
    id: a.id,
    state: a.state,
    ...(a.subject !== null ? { subject: a.subject } : {}),
    ...(a.summary !== null ? { summary: a.summary } : {}),
    ...(a.detail !== null ? { detail: a.detail } : {}),
    ...(a.importance !== null ? { importance: a.importance } : {}),
  };
}

/** The first login, retried with jittered backoff: the agent works (and queues) before the server is up. */
async function retryUntilConnected(clock: Clock, log: Logger, connect: () => Promise<XmppSession>): Promise<XmppSession> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await connect();
    } catch (err) {
      const delayMs = backoffDelay(attempt, DEFAULT_BACKOFF);
      log.warn("cannot connect yet; will retry", { err, attempt: attempt + 1, delayMs });
      await new Promise<void>((resolve) => clock.setTimer(delayMs, resolve));
    }
  }
}
