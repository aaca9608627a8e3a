import type { Clock } from "../clock/clock.js";
import type { BotConfig } from "../config/bot-config.js";
import { loadHtmlParsers } from "../codec/html.js";
import { nodeNameToSource, sourceNameProblem } from "../codec/source-name.js";
import type { Logger } from "../log.js";
import { Store, type StoreOptions } from "../store/store.js";
import { createChat } from "../xmpp/chat.js";
import { ChatBeforeSession } from "../xmpp/chat-before-session.js";
import { connectComponent } from "../xmpp/connect.js";
import { connectAdvice } from "../xmpp/connect-problem.js";
import { createAdhoc, createDisco } from "../xmpp/disco.js";
import { bareJid } from "../xmpp/jid.js";
import { createMuc } from "../xmpp/muc.js";
import { NS_COMMANDS, NS_MAUVE_AGENT, NS_MAUVE_BOT } from "../xmpp/namespaces.js";
import { createPresence } from "../xmpp/presence.js";
import { createProvisioning } from "../xmpp/provisioning.js";
import { createPubsub, type Pubsub } from "../xmpp/pubsub.js";
import { ping } from "../xmpp/ping.js";
import { logSessionErrors, type XmppSession } from "../xmpp/session.js";
import { AdoptionRetry, AgentRegistry } from "./agent-registry.js";
import { AgentProbe, AGENTS_ONLINE_KEY } from "./agent-probe.js";
import { BotCore } from "./bot-core.js";
import { offerFormCommands } from "./command-runner.js";
import { catchUpHolding } from "./catch-up.js";
import { StorageAlarm } from "./storage-alarm.js";
import { openWhenWritable } from "./storage-at-start.js";
import { handleItem } from "./item-handler.js";
import { LinkWatch } from "./link-down.js";
import { AGENT_RETURN_MS } from "./hearing.js";
import { PresenceReask } from "./presence-reask.js";
import type { IncomingItem } from "./item-handler.js";
import { LiveEventGate } from "./live-event-gate.js";
import { AuditFeed } from "./audit-feed.js";
import { WorkgroupRooms } from "./workgroup-rooms.js";
import { PromMetrics } from "../http/metrics.js";
import { startBotHttp } from "../http/bot-http.js";
import type { HttpConfig } from "../http/http-config.js";
import type { HttpListener } from "../http/listener.js";
import { WebBoard } from "../web/web-board.js";
import { PresenceTracker } from "./presence-tracker.js";
import { presenceOrigin } from "./presence-origin.js";
import { Retention } from "./retention.js";
import type { ReplicaLogListener } from "./replica-log.js";
import { catchUpGauges, storeGauges } from "./metrics-gauges.js";
import { restartOnlyChanges, Settings, settingsFromConfig, type BotSettings, type ReloadOutcome } from "./settings.js";
import { handoverFor, startUdpIngest, type UdpConfig, type UdpIngest } from "../ingest/udp-listener.js";
import type { Presence } from "../policy/delivery.js";
import { loadPatternEngine } from "../policy/matcher.js";
import { coalescingRunner } from "../util/batching.js";
import { createEmailChannel } from "../notify/email-channel.js";
import { createSmsChannel } from "../notify/sms-channel.js";
import { createXmppChannel, type Channel, type ChannelKind } from "../notify/channel.js";
import type { BackoffOptions, RetryPolicy } from "../util/backoff.js";
import type { ConfigRefusal } from "./config-refused.js";

/** A running AlertBot. */
export interface RunningBot {
  readonly core: BotCore;
  readonly store: Store;
  readonly session: XmppSession;
  /** The HTTP listener (null when the config has no `http` section); features add routes to it. */
  readonly http: HttpListener | null;
  /** The legacy Mauve UDP listener, when the config has a `udp` section. */
  readonly udp: UdpIngest | null;
  /** The web board, when the config has `http.board` (docs/web.md). */
  readonly board: WebBoard | null;
  /** Re-lists and subscribes to agent nodes and catches up on their retained items. */
  resync(): Promise<void>;
  /** How reachable a person is by chat, as far as the bot has heard. */
  reachability(jid: string): Presence;
  /**
   * Applies a reloaded config: people, workgroups, policy, channels and ack limits, at once. The
   * connection, database, log and UDP listener keep their running values (see ReloadOutcome).
   */
  reload(next: BotConfig): Promise<ReloadOutcome>;
  /**
   * A reload refused the configuration file (AlertBot's own alert is raised, /metrics says so), or
   * null: a file loaded (the alert clears).
   */
  configRefused(refusal: ConfigRefusal | null): Promise<void>;
  /** Stops listening, says goodbye, disconnects and closes the database. */
  stop(): Promise<void>;
}

/** Knobs for tests and embedding. */
export interface RunBotOptions {
  /** Delivery retry timing (tests shorten it). */
  retry?: RetryPolicy;
  /** How a workgroup room is tried again (ROOM_RETRY_BACKOFF unless told; tests shorten it). */
  roomRetry?: BackoffOptions;
  /** Set by src/bot/failover.ts once this process holds the bot's JID; absent, the bot runs alone. */
  active?: ActiveRole;
  /**
   * The configuration file was refused, and `initial` is an older one (a standby taking over with
   * its start-up configuration): AlertBot's own alert alertbot-config is raised rather than cleared.
   */
  configRefused?: ConfigRefusal;
}

/** What runBot needs from failover when this process is the active of two (docs/failover.md). */
export interface ActiveRole {
  /** The replicated store, caught up with the replica log. */
  readonly store: Store;
  /** Once the session is up: opens the replica log and starts the lease; returns the wait before each send. */
  attach(session: XmppSession, pubsub: Pubsub): Promise<() => Promise<void>>;
  /** Who hears that the replica log refuses batches for longer than sends wait, and takes them again. */
  watchLog(listener: ReplicaLogListener): void;
  /** The connection holding the JID ended: this process is no longer the active. */
  lost(reason: string): void;
  /** Stops the lease and, once what was committed is in the log (or after a bound), the log: a clean stop. */
  detach(): Promise<void>;
}

/** Failover's fencing: waits before each send while this process may not send. */
type WaitToSend = () => Promise<void>;

/** `send`, waiting at `gate` first (fencing); as is without a gate. Every channel and chat line goes through it. */
function gated<A extends unknown[], R>(
  gate: WaitToSend | null,
  send: (...args: A) => Promise<R>,
): (...args: A) => Promise<R> {
  return gate ? async (...args: A) => (await gate(), send(...args)) : send;
}

/** The channel, waiting at `gate` before each send. */
function fenced(channel: Channel, gate: WaitToSend | null): Channel {
  return gate ? { name: channel.name, send: gated(gate, (to, message) => channel.send(to, message)) } : channel;
}

/** The settings the running bot reads: the loaded config, and the channels made from it. */
interface RunningSettings extends BotSettings {
  readonly config: BotConfig;
}

/** The settings a config gives: its policy and limits, and channels made from its sections (chat always). */
function runningSettings(
  config: BotConfig,
  xmppChannel: Channel,
  clock: Clock,
  gate: WaitToSend | null = null,
): RunningSettings {
  const channels = new Map<ChannelKind, Channel>([["xmpp", xmppChannel]]);
  if (config.email) channels.set("email", fenced(createEmailChannel(config.email, { clock }), gate));
  if (config.sms) channels.set("sms", fenced(createSmsChannel(config.sms, { clock }), gate));
  return { config, ...settingsFromConfig(config, channels) };
}

/**
 * The channels that work before AlertBot's own XMPP session and its database: chat through short
 * sessions of its own (`chat`), email and SMS as configured.
 */
function offlineChannels(config: BotConfig, clock: Clock, chat: ChatBeforeSession): Map<ChannelKind, Channel> {
  const channels = new Map<ChannelKind, Channel>([
    ["xmpp", createXmppChannel({ send: (jid, text) => chat.send(jid, text) })],
  ]);
  if (config.email) channels.set("email", createEmailChannel(config.email, { clock }));
  if (config.sms) channels.set("sms", createSmsChannel(config.sms, { clock }));
  return channels;
}

/**
 * The channels that work before AlertBot's own XMPP session and its database (chat through short
 * sessions of its own, email and SMS): for telling that it cannot start (start-failure.ts).
 */
export function beforeSessionChannels(config: BotConfig, clock: Clock, log: Logger): Map<ChannelKind, Channel> {
  return offlineChannels(config, clock, chatBeforeSession(config, clock, log));
}

function chatBeforeSession(config: BotConfig, clock: Clock, log: Logger): ChatBeforeSession {
  return new ChatBeforeSession({
    service: config.xmpp.service,
    domain: config.xmpp.component,
    password: config.xmpp.secret.reveal(),
    clock,
    onError: (err) => log.warn("xmpp (telling people before AlertBot's own session)", { err }),
  });
}

/**
 * How the bot opens its file: the WAL is checkpointed from a thread of its own, so that no notice
 * or command reply waits for a checkpoint's copy and fsync (src/store/wal-checkpointer.ts).
 */
export function storeOptions(log: Logger, options: StoreOptions = {}): StoreOptions {
  return {
    ...options,
    checkpointInBackground: {
      onError: (message) =>
        log.warn("cannot checkpoint the database from its own thread; the bot's commits will, past a bound", {
          error: message,
        }),
    },
  };
}

/**
 * Starts AlertBot: opens the store, connects as a component, subscribes to every agent node,
 * catches up on retained items, tells people what is owed, listens for legacy UDP updates when
 * configured, then serves events and chat.
 */
export async function runBot(
  initial: BotConfig,
  clock: Clock,
  log: Logger,
  options: RunBotOptions = {},
): Promise<RunningBot> {
  // What a start that fails half way has taken, let go of in reverse: the caller may try again
  // (start-failure.ts), and a session or timers left behind would fight the next try's.
  const undo: Array<() => void | Promise<void>> = [];
  try {
    return await startBot(initial, clock, log, options, undo);
  } catch (err) {
    for (const step of undo.reverse())
      await Promise.resolve()
        .then(step)
        .catch((e: unknown) => log.warn("cannot let go of what a failed start took", { err: e }));
    throw err;
  }
}

async function startBot(
  initial: BotConfig,
  clock: Clock,
  log: Logger,
  options: RunBotOptions,
  undo: Array<() => void | Promise<void>>,
): Promise<RunningBot> {
  // Agents load these only when they need them; AlertBot needs them from its first notice.
  loadHtmlParsers();
  loadPatternEngine();
  // Failover: opened replicated. Otherwise a disk that is full at start is waited for, and told.
  const chatBefore = chatBeforeSession(initial, clock, log);
  let store: Store;
  try {
    store =
      options.active?.store ??
      (await openWhenWritable({
        clock,
        log,
        open: () => Store.open(initial.database, storeOptions(log)),
        policy: initial,
        ownSource: initial.xmpp.component,
        channels: () => offlineChannels(initial, clock, chatBefore),
      }));
  } finally {
    // Its sessions and AlertBot's own would take the component's JID from each other.
    await chatBefore.close();
  }
  undo.push(() => store.close());
  // Sources stored before the source rule keep their alerts (shown, acked, cleared by hand); only new
  // updates for them are refused, so the admin is told once here which senders need a new name.
  for (const { source } of store.sources.all()) {
    const problem = sourceNameProblem(source);
    if (problem !== undefined)
      log.warn("stored source breaks the source rule: its alerts are kept, new updates for it are refused", {
        source,
        reason: problem,
      });
  }
  // Sources stored before the rule read them alike ("web1" and "web1-") both go on as they were; the
  // admin is told which, since a person may take one for the other.
  for (const sources of store.sources.readAlike())
    log.warn("stored sources read alike: both are kept, and a new source reading like them is refused", {
      sources,
    });
  // HTTP and /metrics (off unless the config has an `http` section): counters made before the core
  // that bumps them; the listener starts once the bot runs (see below).
  // The UDP listener starts later, once the bot runs.
  let udpCounts = (): { held: number; dropped: number } => ({ held: 0, dropped: 0 });
  const metrics = initial.http?.metrics
    ? new PromMetrics({
        ...storeGauges(store, clock),
        ...catchUpGauges(() => liveEvents, clock),
        databaseWritable: () => !storage.active,
        configRefused: () => refusedConfig !== null,
        udp: () => udpCounts(),
      })
    : undefined;

  const service = initial.xmpp.pubsub;
  // One round: a ping every interval, dropped when unanswered within the timeout (keepalive.ts).
  const keepAlive = { intervalMs: initial.xmpp.keepaliveMs, timeoutMs: initial.xmpp.keepaliveMs };
  const botJid = initial.xmpp.component;
  const session = await connectComponent({
    service: initial.xmpp.service,
    domain: botJid,
    password: initial.xmpp.secret.reveal(),
    clock,
    keepAlive,
    onError: logSessionErrors(log),
    // Failover: an active never reconnects as the bot; it ends and comes back as the standby.
    // Otherwise a server that does not answer at start is tried until it does, as after a drop:
    // meanwhile the bot stores what UDP and HTTP bring, tells people by email and SMS, and raises
    // its own alert past the grace (a bot that ended here was restarted in a loop, telling nobody).
    ...(options.active ? { reconnect: false as const } : { keepTrying: true }),
  });
  undo.push(() => session.stop());
  if (!session.isOnline)
    log.error("cannot reach the XMPP server; will keep trying (email and SMS still go)", {
      service: initial.xmpp.service,
      reason: session.offlineReason,
    });
  const pubsub = createPubsub(session);
  // Failover: as the active of two, every send waits at the gate (fencing, docs/failover.md).
  const gate = options.active ? await options.active.attach(session, pubsub) : null;
  if (options.active) {
    const active = options.active;
    session.on("offline", (o) => active.lost(o.reason));
  }
  const rawChat = createChat(session);
  const chat = { ...rawChat, sendChat: gated(gate, (to: string, body: string) => rawChat.sendChat(to, body)) };
  const presence = createPresence(session);
  const disco = createDisco(session, {
    identities: [{ category: "component", type: "generic", name: "Mauve AlertBot" }],
    features: [NS_MAUVE_BOT, NS_COMMANDS],
  });
  const provisioning = createProvisioning(session);
  const people = new PresenceTracker(() => clock.now());
  const xmppChannel = createXmppChannel({ send: (to, body) => chat.sendChat(to, body) });
  // The one source of the current settings: everything below reads it when it needs a value, and
  // a reload replaces it here.
  const settings = new Settings(runningSettings(initial, xmppChannel, clock, gate));
  const config = (): BotConfig => settings.current().config;
  const core: BotCore = new BotCore({
    settings,
    store,
    clock,
    log,
    inputs: {
      presence: (name) => people.status(config().people.find((p) => p.name === name)?.jid ?? ""),
      down: () => store.sources.down(),
    },
    ...(options.retry ? { retry: options.retry } : {}),
    roomPost: gated(gate, (workgroup: string, line: () => string) => rooms.post(workgroup, line)),
    metrics,
    ownSource: botJid,
    handoverOf: (source) => handoverFor(config().udp, source),
    troubles: () => storage.troubles(),
  });
  undo.push(() => core.stop());
  // It heard nobody before now: what fell due meanwhile is not its senders' silence (hearing.ts).
  // No agent is heard until their nodes are read again (resync), connected or not.
  core.startedHearing();
  core.cannotHearAgents();
  const rooms: WorkgroupRooms = new WorkgroupRooms(
    createMuc(session, { clock }),
    core.commands,
    log,
    (effects) => core.applyEffects(effects),
    { clock, ...(options.roomRetry ? { backoff: options.roomRetry } : {}) },
  );
  undo.push(() => rooms.stop());
  offerFormCommands(createAdhoc(session, { clock, disco }), core.commands, (effects) => core.applyEffects(effects));
  const registry = new AgentRegistry({
    pubsub,
    service,
    botJid,
    store,
    clock,
    log,
    handoverOf: (source) => handoverFor(config().udp, source),
    onIncomplete: () => adoptRetry.schedule(),
    readers: () => config().people.map((p) => p.jid),
  });

  // Live events wait while a resync catches up on retained items (see live-event-gate.ts).
  // An update published live is word that its agent is there (hearing.ts); one read back from its node is not.
  const liveEvents = new LiveEventGate<IncomingItem>(
    (event) =>
      handleItem(core, log, event).then(async () => {
        if (!core.awaitingAgents) return;
        const source = nodeNameToSource(event.node);
        if (source !== undefined) await core.publishedLive(source);
      }),
    (err) => log.error("cannot apply a held event", { err }),
    (event) => event.node,
  );
  // Once stopping, events are left on their nodes for whoever reads them next (this bot restarted,
  // or the standby taking over): applied now, with nobody left to tell, they would only be writes
  // the replica log may never get.
  let stopping = false;
  pubsub.onEvent((event) => (stopping ? undefined : liveEvents.offer(event)), { services: [service] });
  provisioning.onProvisionRequest((req) => registry.provision(req));
  chat.onChat(async (msg) => {
    const answer = (reply: string): Promise<void> => chat.sendChat(msg.from, reply);
    // A private message through a workgroup room comes from room/nick: the person is the occupant's
    // real JID where the bot secured the room (non-anonymous, its own); elsewhere nobody is known.
    const occupant = rooms.occupant(msg.from);
    if (occupant === undefined) await core.handleChat(msg.from, msg.body, answer, { direct: true, sentAt: msg.sentAt });
    else if (occupant.kind === "person")
      await core.handleChat(occupant.realJid, msg.body, answer, { direct: false, sentAt: msg.sentAt });
    else if (occupant.kind === "hidden") {
      const reply = core.commands.decline(
        msg.from,
        msg.body,
        `I can't tell who you are from here: message me directly at ${botJid}.`,
      );
      if (reply !== null) await answer(reply);
    }
  });
  const isPerson = (jid: string): boolean => config().people.some((p) => p.jid === bareJid(jid));
  presence.onSubscription(async (s) => {
    const from = bareJid(s.from);
    // A component has no roster: remember who lets us see their presence.
    if (s.type === "subscribed" || s.type === "unsubscribed") {
      if (!isPerson(from)) return;
      store.policy.setPresenceApproved(from, s.type === "subscribed", clock.now());
      if (s.type === "subscribed") reask.approved(from);
      return;
    }
    // RFC 6121 §4.3.2: a person's server probes us when they log in; without an answer their
    // client shows AlertBot offline. Strangers hold no subscription to us: say so.
    if (s.type === "probe") {
      if (isPerson(from)) await presence.sendAvailable({ to: from, status: "Watching alerts" });
      else await presence.sendSubscription(from, "unsubscribed");
      return;
    }
    // Approve configured people (so their client shows the bot), refuse others.
    if (s.type !== "subscribe") return;
    const known = isPerson(s.from);
    await presence.sendSubscription(bareJid(s.from), known ? "subscribed" : "unsubscribed");
    if (known) await presence.sendAvailable({ to: bareJid(s.from), status: "Watching alerts" });
  });
  // An agent that died without closing its stream keeps its presence while the server waits for it
  // to resume: pinged, it does not answer (agent-probe.ts).
  const probe = new AgentProbe({
    clock,
    log: log.child({ probe: "agents" }),
    everyMs: () => settings.current().policy.hostDown.probeEveryMs,
    // Whether an agent answers is a question of network time, not of the (simulated) policy time.
    ping: (jid, timeoutMs) => ping(session, jid, timeoutMs, { onNetworkTime: true }),
    pingServer: (timeoutMs) => ping(session, botJid, timeoutMs, { onNetworkTime: true }),
    gone: (jid, since) => core.agentAway(bareJid(jid), since),
    back: (jid) => core.agentBack(bareJid(jid)),
    isAgent: (bare) => store.sources.hasOwner(bare),
    remembered: store.policy.slot(AGENTS_ONLINE_KEY),
  });
  undo.push(() => probe.stop());
  // The web board shows what each agent last said in its presence status (its backlog: "; outbox 12").
  const agentStatus = new Map<string, { status: string; at: number }>();
  presence.onPresence(async (p) => {
    const origin = presenceOrigin(p, { isPerson, isRoom: (jid) => rooms.occupant(jid) !== undefined });
    if (origin === "room") return;
    if (origin === "person") {
      const person = bareJid(p.from);
      reask.heard(person);
      const before = people.status(person);
      people.update(p);
      // Which channel a notice takes hangs on this: "why an email, not a chat?" is answered here.
      const now = people.status(person);
      if (now !== before) log.info("a person's reachability by chat changed", { person, from: before, to: now });
      return;
    }
    const agent = bareJid(p.from);
    if (p.status !== undefined) agentStatus.set(agent, { status: p.status, at: clock.now() });
    if (p.type !== "available") {
      probe.left(p.from);
      if (store.sources.hasOwner(agent)) await core.agentAway(agent);
      return;
    }
    if (!store.sources.hasOwner(agent)) return maybeNewAgent(p.from);
    probe.seen(p.from);
    await core.agentBack(agent);
    // A known agent is back: show ourselves so it republishes its full state.
    await presence.sendAvailable({ to: p.from, status: "AlertBot" });
  });

  async function maybeNewAgent(jid: string): Promise<void> {
    const info = await disco.discoInfo(jid);
    if (info.ok && info.features.includes(NS_MAUVE_AGENT)) {
      log.info("agent seen; looking for new nodes", { agent: jid });
      await adoptNewNodes();
      if (store.sources.hasOwner(bareJid(jid))) probe.seen(jid);
    }
  }

  // Newcomers that arrive while the service's nodes are being listed share the next listing: a
  // listing per newcomer, each as long as the fleet, made a whole fleet arriving at once quadratic.
  const adoptNewNodes = coalescingRunner(() => adoptNodes(false));
  const adoptRetry = new AdoptionRetry({ clock, log, run: () => adoptNewNodes() });

  /** Asks a person for presence: a subscription request until they approve it, then a probe for their current state. */
  async function askForPresence(jid: string): Promise<void> {
    // A probe before approval would be answered "unsubscribed", cancelling the pending request.
    if (store.policy.presenceApproved(jid)) {
      await presence.sendProbe(jid);
      reask.expect(jid); // their server answers for them, online or not: silence means it was lost
    } else await presence.sendSubscription(jid, "subscribe");
    await presence.sendAvailable({ to: jid, status: "Watching alerts" });
  }
  // Unanswered, bounced or not sent: asked again (a cluster node that does not know AlertBot's route yet).
  const reask = new PresenceReask({ clock, log, ask: askForPresence });
  async function watchPeople(): Promise<void> {
    await reask.askAll(config().people.map((p) => p.jid));
  }
  presence.onBounce((b) => {
    if (isPerson(b.from)) reask.bounced(bareJid(b.from), b.condition);
  });

  /** Subscribes to and catches up on the nodes not looked at yet; greets their owners, or every agent. */
  async function adoptNodes(greetAll: boolean): Promise<void> {
    let caught: Awaited<ReturnType<typeof catchUpHolding>>;
    try {
      // Live events wait while retained items are read, and each node's join its catch-up (live-event-gate.ts).
      caught = await catchUpHolding(liveEvents, { core, log, pubsub, service, now: () => clock.now() }, () =>
        registry.adoptNew(),
      );
    } finally {
      // Every node read again, or tried: each agent's grace to be heard from (and its held raises')
      // runs from now, before it is greeted. Reading a thousand nodes may take longer than the
      // grace; that is AlertBot's delay, not their silence (hearing.ts).
      if (greetAll && session.isOnline) await core.hearingAgents();
    }
    const { fresh, complete, unread } = caught;
    registry.forget(unread);
    for (const s of store.sources.all()) {
      if (s.ownerJid && (greetAll || fresh.includes(s.node)))
        await presence.sendAvailable({ to: s.ownerJid, status: "AlertBot" }).catch(() => undefined);
    }
    if (complete && unread.length === 0) adoptRetry.succeeded();
    else adoptRetry.schedule();
  }

  /** At start and after a reconnection: every node again (events were missed), every agent greeted. */
  async function resync(): Promise<void> {
    registry.forgetAdopted();
    await adoptNodes(true);
  }

  let fileGone = false;
  // The database cannot be written (disk full, say): people are told at once, and once it can,
  // what was refused is read again from the nodes and what fell due is run.
  const storage = new StorageAlarm({
    clock,
    log,
    probe: () => store.probeWrite(clock.now()),
    tell: (kind, subject, text) => core.tellDirectly(kind, subject, text),
    recovered: async () => {
      // What came meanwhile was refused (read again from the nodes, sent again over UDP and HTTP),
      // and presence changes were not kept: a fresh grace for every sender and agent (hearing.ts).
      core.startedHearing();
      if (session.isOnline) {
        core.cannotHearAgents(); // until the nodes are read again
        await resync();
      }
      await core.tick();
    },
    changed: () => core.changed(),
    checkFile: () => {
      if (fileGone) return;
      const change = store.checkFile();
      if (change !== null) {
        fileGone = true;
        log.error(
          "AlertBot's database file is gone from under it: it takes no more updates; put the file back, then restart AlertBot",
          { database: initial.database, change },
        );
        return;
      }
      const lock = store.checkLock();
      if (lock?.kind === "retaken")
        log.warn("AlertBot's lock file was removed or replaced under it: taken again", {
          database: initial.database,
          change: lock.reason,
          why: "while it is gone, a second AlertBot can start on this database",
        });
      if (lock?.kind !== "taken") return;
      fileGone = true;
      log.error(
        "another AlertBot took this database's lock: this one takes no more updates; stop one of the two, then restart this one",
        { database: initial.database, change: lock.reason },
      );
    },
  });
  store.onStorageFailure((error) => {
    core.cannotHearAnyone();
    storage.failed(error);
  });
  storage.watchFile();
  undo.push(() => storage.stop());

  session.on("online", () => {
    log.info("connected", { jid: session.jid });
    watchPeople().catch((err: unknown) => log.warn("cannot ask people for presence", { err }));
    resync().catch((err: unknown) => {
      log.error("resync failed", { err });
      adoptRetry.schedule();
    });
  });
  // Cut off past the host-down grace, or flapping that long, AlertBot raises an alert of its own
  // (email and SMS still go).
  const link = new LinkWatch({
    clock,
    log,
    graceMs: () => settings.current().policy.hostDown.graceMs,
    // Steady once up for two keepalive rounds: a dead link is dropped within one, plus a second
    // ping (keepalive.ts), so a link that keeps dropping never looks steady between its drops. At
    // most the grace: whoever wants to hear of a cut within seconds hears of its end as fast.
    settleMs: () =>
      Math.min(2 * (keepAlive.intervalMs + keepAlive.timeoutMs), settings.current().policy.hostDown.graceMs),
    raise: (since, reason, drops) => core.linkDown(botJid, since, reason, drops),
    clear: () => core.linkUp(botJid),
  });
  session.on("online", () => link.online());
  session.on("online", () => probe.online());
  session.on("offline", (o) => {
    // Stopping is no outage: said as such, not as a warning.
    if (o.stopped) log.info("disconnected: stopping");
    else log.warn("disconnected", { reason: o.reason, willReconnect: o.willReconnect });
    // Chat cannot reach anyone now: notices take the next channel at once instead of retrying chat
    // for the length of the outage. Each person's presence is asked for again once back online.
    people.forgetAll();
    // No agent is heard now: their silence does not count until the link is back (hearing.ts).
    core.cannotHearAgents();
    probe.offline();
    if (o.willReconnect) link.offline(o.reason);
  });
  // Each try that failed, with why: a secret changed on one side reads "not-authorized" here.
  session.on("reconnecting", ({ attempt, delayMs, lastError }) => {
    const fix = connectAdvice(lastError, "secret");
    log.warn("will try the XMPP server again", { attempt, delayMs, lastError, ...(fix ? { fix } : {}) });
  });

  const audit = new AuditFeed({ store, clock, log, pubsub, service, readers: initial.people.map((p) => p.jid) });
  /** What needs the server once, at the first login: the rooms and the audit feed's nodes. */
  async function firstOnline(): Promise<void> {
    await rooms.join(config().workgroups, config().people);
    await audit.start();
  }
  if (session.isOnline) {
    await watchPeople();
    await resync();
    await core.start();
    link.online(); // connected now: an alert left raised by a run that ended cut off clears
    probe.online();
    await firstOnline();
  } else {
    // The "online" listeners above ask for presence and resync once the server answers.
    await core.start();
    link.offline(session.offlineReason ?? "not connected");
    const off = session.on("online", () => {
      firstOnline().then(off, (err: unknown) =>
        log.error("cannot join the rooms or start the audit feed; will try again at the next login", { err }),
      );
    });
  }
  const retention = new Retention({
    store,
    clock,
    log: log.child({ retention: true }),
    config: () => config().retention,
    sendsNeededMs: () => Math.max(config().storm.quietDigestEveryMs, config().storm.limit.perMs),
  });
  retention.start();
  undo.push(() => retention.stop());
  // The file read at start loaded (or AlertBot would not run): an alert about one refused clears.
  // Unless the file was refused and this runs with an older one (a standby taking over).
  let refusedConfig: ConfigRefusal | null = options.configRefused ?? null;
  if (refusedConfig)
    await core
      .configRefused(refusedConfig)
      .catch((err: unknown) => log.error("cannot raise AlertBot's own alert about its configuration", { err }));
  else
    await core
      .configLoaded()
      .catch((err: unknown) => log.warn("cannot clear AlertBot's own alert about its configuration", { err }));
  // Failover: a replica log refused for longer than sends wait is one of AlertBot's own alerts. A
  // lone AlertBot has no log: an alert about one, from when it had a standby, clears.
  const logFlowing = (): void =>
    void core
      .replicaLogFlowing()
      .catch((err: unknown) => log.warn("cannot clear AlertBot's own alert about its replica log", { err }));
  if (options.active)
    options.active.watchLog({
      stuck: (since, condition) =>
        void core
          .replicaLogStuck({ since, condition })
          .catch((err: unknown) => log.error("cannot raise AlertBot's own alert about its replica log", { err })),
      flowing: logFlowing,
    });
  else logFlowing();
  const udp = initial.udp ? await listenUdp(initial.udp) : null;
  if (udp) udpCounts = () => udp.stats();
  // HTTP: Alertmanager's webhook and JSON updates go down the same path as UDP; every later
  // "online" of the session is a reconnection.
  const http = initial.http ? await listenHttp(initial.http) : null;
  // The web board (docs/web.md): routes on the HTTP listener, the live feed, `web` links.
  const board = http && initial.http?.board ? openBoard(http, initial.http.board) : null;
  function openBoard(listener: HttpListener, boardConfig: NonNullable<HttpConfig["board"]>): WebBoard {
    const web = new WebBoard({
      store,
      clock,
      log: log.child({ web: "board" }),
      config: () => config().http?.board ?? boardConfig,
      address: listener.address,
      policy: () => config(),
      act: (jid, line) => core.handleBoard(jid, line),
      presence: (jid) => people.status(jid),
      agentStatus: (jid) => agentStatus.get(jid),
      lastFullState: (source) => core.lastFullState(source),
      troubles: () => storage.troubles(),
    });
    for (const route of web.routes()) listener.addRoute(route);
    core.watch(() => web.changed());
    core.commands.offerSignIn((person) => web.issueLink(person));
    settings.onChange(() => web.peopleChanged());
    log.info("web board", { url: web.baseUrl });
    return web;
  }
  if (metrics) session.on("online", () => metrics.xmppReconnected());
  // What a reload must act on beyond the values read live (the core looks again at raised alerts).
  settings.onChange(async ({ config: next }) => {
    audit.setReaders(next.people.map((p) => p.jid));
    await registry.updateReaders();
    await rooms.join(next.workgroups, next.people);
    await watchPeople();
  });
  warnShortGrace(initial.hostDown.graceMs);
  settings.onChange(({ config: next }) => warnShortGrace(next.hostDown.graceMs));
  log.info("AlertBot running", {
    jid: botJid,
    pubsub: service,
    people: initial.people.length,
    sources: store.sources.all().length,
    xmpp: session.isOnline ? "connected" : "not connected yet",
  });

  // After AlertBot reconnects agents get at least AGENT_RETURN_MS (hearing.ts); an agent whose own
  // link drops while AlertBot stays connected (a network cut, the restart of its node in a cluster)
  // gets the grace as set, and may be paged before its next try.
  function warnShortGrace(graceMs: number): void {
    if (graceMs < AGENT_RETURN_MS)
      log.warn("host_down.grace is shorter than the agents' reconnection backoff", {
        graceMs,
        backoffMs: AGENT_RETURN_MS,
        why: "an agent whose own link to the server drops (a network cut, the restart of its node in a cluster) may be paged host-down before its next try",
      });
  }

  // Legacy Mauve UDP ingest: datagrams go down the same path as pubsub updates. Its address is
  // bound for the bot's life; its `handover` list is read live. A port it cannot bind stops the bot.
  async function listenUdp(udpConfig: UdpConfig): Promise<UdpIngest> {
    try {
      return await startUdpIngest(udpConfig, {
        apply: (update) => core.applyUpdate(update, { via: "udp" }),
        refused: (source, reason) => core.refusedUpdate(source, "udp", reason),
        log: log.child({ ingest: "udp" }),
        clock,
      });
    } catch (err) {
      await shutDown();
      throw err;
    }
  }

  // The HTTP listener, bound for the bot's life like UDP; a port it cannot bind stops the bot.
  async function listenHttp(httpConfig: HttpConfig): Promise<HttpListener> {
    try {
      return await startBotHttp(httpConfig, {
        apply: (update) => core.applyUpdate(update, { via: "http" }),
        clock,
        log: log.child({ ingest: "http" }),
        metrics,
        refused: (source, reason) => core.refusedUpdate(source, "http", reason),
      });
    } catch (err) {
      await udp?.close();
      await shutDown();
      throw err;
    }
  }

  async function shutDown(): Promise<void> {
    undo.length = 0;
    stopping = true;
    storage.stop();
    adoptRetry.stop();
    reask.stop();
    probe.stop(); // before the store closes: what it has not stored yet is stored now
    rooms.stop();
    link.stop();
    audit.stop();
    retention.stop();
    core.stop();
    await core.idle();
    await retention.idle();
    for (const p of config().people) await presence.sendUnavailable({ to: p.jid }).catch(() => undefined);
    await options.active?.detach();
    await session.stop();
    store.close();
  }

  return {
    core,
    store,
    session,
    http,
    udp,
    board,
    resync,
    reachability: (jid) => people.status(jid),
    async reload(next) {
      const running = config();
      const needsRestart = restartOnlyChanges(running, next);
      const { xmpp, database, log: logConfig } = running;
      await settings.replace(runningSettings({ ...next, xmpp, database, log: logConfig }, xmppChannel, clock, gate));
      return { needsRestart };
    },
    async configRefused(refusal) {
      const file = refusedConfig?.file;
      refusedConfig = refusal;
      if (refusal) await core.configRefused(refusal);
      else await core.configLoaded(file);
    },
    async stop() {
      board?.close();
      await http?.close();
      await udp?.close();
      await shutDown();
    },
  };
}
