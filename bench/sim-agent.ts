// A simulated agent: a real c2s session with its own account and node, speaking the agent's
// protocol (presence to the bot, disco#info with the agent feature, node provisioning through the
// bot, updates with a per-source sequence), without the real agent's outbox and process.
import { ensureNode } from "../src/xmpp/provisioning.js";
import { buildUpdate, heartbeatAlert } from "../src/codec/build-update.js";
import { wrapPayload } from "../src/codec/payload.js";
import type { Alert } from "../src/codec/types.js";
import { sourceToNodeName } from "../src/codec/source-name.js";
import type { Logger } from "../src/log.js";
import { connectClient } from "../src/xmpp/connect.js";
import { createDisco } from "../src/xmpp/disco.js";
import { NS_MAUVE_AGENT } from "../src/xmpp/namespaces.js";
import { createPresence } from "../src/xmpp/presence.js";
import { createProvisioning } from "../src/xmpp/provisioning.js";
import { createPubsub, type Pubsub } from "../src/xmpp/pubsub.js";
import type { XmppSession } from "../src/xmpp/session.js";
import { NODE_RETRY_BACKOFF } from "../src/agent/run-agent.js";
import { backoffDelay } from "../src/util/backoff.js";
import { hrMs, sleep } from "./hrtime.js";

/** Where the simulated agents connect. */
export interface SimTarget {
  readonly service: string;
  readonly domain: string;
  readonly pubsub: string;
  readonly bot: string;
  readonly password: string;
}

/** One confirmed (or refused) publish, timed on the monotonic clock. */
export interface PublishRecord {
  readonly ok: boolean;
  readonly transmissionId: string;
  readonly sentAt: number;
  readonly confirmedAt: number;
  readonly condition?: string;
}

/** A logger that keeps quiet (thousands of agents) but counts and keeps the first errors. */
export class QuietLog {
  errors = 0;
  readonly first: string[] = [];
  readonly logger: Logger = {
    debug: () => undefined,
    info: () => undefined,
    warn: () => undefined,
    error: (msg, fields) => {
      this.errors++;
      if (this.first.length < 5) this.first.push(`${msg} ${JSON.stringify(fields ?? {})}`);
    },
    child: () => this.logger,
  };
}

/** One simulated agent; `source` is also its account's localpart. */
export class SimAgent {
  private sequence = 0n;
  private readonly pubsub: Pubsub;
  private heartbeat: NodeJS.Timeout | undefined;
  readonly node: string;
  /** Times the node could not be made ready and was tried again. */
  nodeRetries = 0;

  private constructor(
    readonly source: string,
    readonly session: XmppSession,
    private readonly target: SimTarget,
    private readonly log: QuietLog,
    /** How long the login took (TCP, SCRAM-SHA-1, bind, stream management), ms. */
    readonly loginMs: number,
  ) {
    this.pubsub = createPubsub(session);
    this.node = sourceToNodeName(source);
  }

  /** Logs in as `source@domain` (the account must exist). */
  static async connect(source: string, target: SimTarget, log: QuietLog): Promise<SimAgent> {
    const t0 = hrMs();
    const session = await connectClient({
      service: target.service,
      domain: target.domain,
      username: source,
      password: target.password,
      resource: "mauve-agent",
      onError: (err) => log.logger.error("xmpp", { source, err: err.message }),
    });
    return new SimAgent(source, session, target, log, hrMs() - t0);
  }

  /**
   * What the real agent does once online: presence (broadcast and to the bot) and disco#info naming
   * the agent feature (left out only by the no-first-contact-resync experiment).
   */
  async announce(agentFeature = true): Promise<void> {
    const features = agentFeature ? [NS_MAUVE_AGENT] : [];
    createDisco(this.session, {
      identities: [{ category: "client", type: "bot", name: `mauve-agent ${this.source}` }],
      features,
    });
    const presence = createPresence(this.session);
    await presence.sendAvailable({ status: "OK" });
    await presence.sendAvailable({ to: this.target.bot, status: "OK" });
  }

  /**
   * Makes sure the node exists, with the real agent's code: create, or ask the bot to provision it;
   * like the real agent, tries again after NODE_RETRY_BACKOFF when that failed (ejabberd's Mnesia
   * aborts some of many node creations at once with "Database failure"), at most `attempts` times.
   */
  async ensureNode(attempts = 4): Promise<boolean> {
    const target = { service: this.target.pubsub, node: this.node, source: this.source, bot: this.target.bot };
    for (let attempt = 1; ; attempt++) {
      const result = await ensureNode(this.pubsub, createProvisioning(this.session), target, this.log.logger);
      // As the real agent: presence to AlertBot again once the node is there, since a bot that
      // finds nodes by listing them (an agent that created its own, on ejabberd) may have looked
      // before it existed.
      if (result.ok) await createPresence(this.session).sendAvailable({ to: this.target.bot, status: "OK" });
      if (result.ok || attempt >= attempts) return result.ok;
      await sleep(backoffDelay(this.nodeRetries++, NODE_RETRY_BACKOFF));
    }
  }

  /** Publishes one update of `alerts` (the changes of one moment); the item id is the transmission id. */
  async publish(alerts: Alert[], replace = false): Promise<PublishRecord> {
    const update = buildUpdate(this.source, alerts, {
      replace,
      nowSec: Math.floor(Date.now() / 1000),
      sequence: ++this.sequence,
    });
    const transmissionId = update.transmissionId.toString();
    const { data, text } = wrapPayload(update);
    const sentAt = hrMs();
    try {
      const r = await this.pubsub.publish(this.target.pubsub, this.node, { data, text }, transmissionId);
      const confirmedAt = hrMs();
      return r.ok
        ? { ok: true, transmissionId, sentAt, confirmedAt }
        : { ok: false, transmissionId, sentAt, confirmedAt, condition: r.condition };
    } catch (err) {
      return {
        ok: false,
        transmissionId,
        sentAt,
        confirmedAt: hrMs(),
        condition: err instanceof Error ? err.message : String(err),
      };
    }
  }

  /** The heartbeat alert as the real agent sends it: clear now, raise after three missed intervals. */
  heartbeatAlert(intervalMs: number): Alert {
    return heartbeatAlert(this.source, Math.floor(Date.now() / 1000), Math.ceil((3 * intervalMs) / 1000));
  }

  /** Heartbeats every `intervalMs`, the first after `firstInMs` (spread agents over the interval). */
  startHeartbeat(intervalMs: number, firstInMs: number, onResult: (r: PublishRecord) => void): void {
    const beat = (): void => {
      void this.publish([this.heartbeatAlert(intervalMs)]).then(onResult);
      this.heartbeat = setTimeout(beat, intervalMs);
    };
    this.heartbeat = setTimeout(beat, firstInMs);
  }

  /** Stops heartbeating and closes the session. */
  async stop(): Promise<void> {
    clearTimeout(this.heartbeat);
    await this.session.stop().catch(() => undefined);
  }
}
