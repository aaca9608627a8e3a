// Two AlertBots, one active (docs/failover.md). The XMPP server is the lock: whoever holds the
// component JID alertbot.<domain> is the active. Every process with a `failover` section starts as
// the standby, under its own JID: it follows the replica log into its own SQLite file and pings the
// active. When the server answers that nobody holds the JID, or the active has not answered for T
// (active-watch.ts), it catches up with the log once more and claims the JID (the server's
// `component_conflict_resolve = "kick_old"` closes a frozen holder's stream), then runs as AlertBot with fencing on: a grace G before its first send, and every send waiting for
// the lease and the log (send-gate.ts). An active that loses its connection never reconnects as
// alertbot: it ends (status 75) so that, restarted, it joins as the standby and cannot take the JID
// back from the new active.
import { rm } from "node:fs/promises";
import type { Clock, TimerHandle } from "../clock/clock.js";
import type { BotConfig } from "../config/bot-config.js";
import type { FailoverConfig } from "../config/failover-config.js";
import type { Logger } from "../log.js";
import { Store } from "../store/store.js";
import { backoffDelay, DEFAULT_BACKOFF } from "../util/backoff.js";
import { connectComponent } from "../xmpp/connect.js";
import { ping } from "../xmpp/ping.js";
import { createPubsub } from "../xmpp/pubsub.js";
import { createSnapshotClient, serveReplicaSnapshots } from "../xmpp/replica-snapshot.js";
import type { XmppSession } from "../xmpp/session.js";
import { ReplicaFollower, ReplicaPublisher, REPLICA_NODE } from "./replica-log.js";
import { ActiveWatch, type ClaimReason } from "./active-watch.js";
import { runBot, storeOptions, type ActiveRole, type RunningBot } from "./run-bot.js";
import { SendGate } from "./send-gate.js";
import { standbyLinkWatch } from "./standby-link.js";
import type { ConfigRefusal } from "./config-refused.js";
import { configAtTakeover } from "./takeover-config.js";
import { downloadSnapshot, removeLeftSnapshots, SnapshotSchemaError, SnapshotSource } from "./replica-snapshot.js";
import { PairVersionNotice } from "./pair-version.js";
import { standbyTeller } from "./standby-notice.js";

/** How often the standby pings the active, and how long it waits for each answer. */
const WATCH_EVERY_MS = 1_000;
const WATCH_TIMEOUT_MS = 5_000;
/** A standby the log no longer reaches asks the active for a snapshot this often until one comes. */
const SNAPSHOT_RETRY_MS = 30_000;
// The active answers an offer once its log has everything and its copy is made.
const SNAPSHOT_OFFER_TIMEOUT_MS = 120_000;
const SNAPSHOT_CHUNK_TIMEOUT_MS = 30_000;
/** How long a clean stop waits for the log to take what was committed. */
const DETACH_FLUSH_MS = 5_000;
/** How often the standby checks that batches still come (ReplicaFollower.check). */
const FOLLOW_CHECK_MS = 15_000;

/** A process taking part in failover: the standby until it claims, then the active. */
export interface FailoverBot {
  /** "standby", or "active" once it has claimed the JID. */
  readonly role: "standby" | "active";
  /** The running AlertBot, once active. */
  readonly bot: RunningBot | null;
  /** Stops whichever role runs. */
  stop(): Promise<void>;
}

/** Knobs beyond the config. */
export interface FailoverOptions {
  /** Called when this process was the active and lost the JID or its connection: it must end (and be restarted). */
  readonly onLost: (reason: string) => void;
  /** Reads the configuration file again; called at takeover (absent: the start-up config is used). */
  readonly readConfig?: () => BotConfig;
}

/** Starts as the standby; takes over when the active has been gone for T. */
export async function runFailover(
  config: BotConfig & { readonly failover: FailoverConfig },
  clock: Clock,
  log: Logger,
  options: FailoverOptions,
): Promise<FailoverBot> {
  const f = config.failover;
  removeLeftSnapshots(config.database);
  // Replaced, with the journal and the follower, when a snapshot of the active's file is swapped in.
  let store = Store.open(config.database, storeOptions(log, { replicated: true }));
  let journal = store.replica!;
  const standbyLog = log.child({ role: "standby" });
  // A file last written as the active may hold writes the log never got: it is not followed until
  // it is rebuilt, from the log when the log still reaches batch 1, else from the active's snapshot.
  // With neither (no active, the log long rolled) it is the best copy there is: never wiped then.
  let unclean = !journal.clean;
  if (unclean)
    standbyLog.warn("this database was last written as the active and may hold writes the log never got", {
      seq: journal.seq,
    });
  // Not connected yet counts as cut off: a standby started while the server is away tells people too.
  const link = standbyLinkWatch({ clock, log: standbyLog, config, jid: f.standbyComponent });
  link.offline("not connected yet");
  const session = await connectPersistently(config, f.standbyComponent, clock, standbyLog);
  link.online();
  session.on("online", () => link.online());
  session.on("offline", (o) => {
    if (o.willReconnect) link.offline(o.reason);
  });
  const pubsub = createPubsub(session);
  const service = config.xmpp.pubsub;
  const versions = new PairVersionNotice({
    log: standbyLog,
    tell: standbyTeller({ clock, log: standbyLog, config }),
    standbyJid: f.standbyComponent,
    activeJid: config.xmpp.component,
  });
  const newFollower = (): ReplicaFollower =>
    new ReplicaFollower({ pubsub, service, journal, clock, log: standbyLog, onMismatch: (m) => versions.observe(m) });
  let follower = newFollower();
  pubsub.onEvent(
    (e) => {
      if (e.node === REPLICA_NODE && !unclean) follower.onItem(e);
    },
    { services: [service] },
  );
  const follow = (): void => {
    void (async () => {
      if (unclean) settleUnclean(await logRange());
      if (!unclean) await follower.start();
    })().catch((err: unknown) => standbyLog.warn("replica log: cannot follow yet", { err }));
  };

  /** The first and newest batch the log holds now, or null when it holds none. */
  async function logRange(): Promise<{ first: number; newest: number } | null> {
    const got = await pubsub.getItems(service, REPLICA_NODE);
    if (!got.ok) {
      if (got.condition === "item-not-found") return null;
      throw new Error(`cannot read the replica log: ${got.condition}`);
    }
    const ids = got.items.map((i) => Number(i.itemId)).filter((n) => Number.isSafeInteger(n) && n > 0);
    return ids.length === 0 ? null : { first: Math.min(...ids), newest: Math.max(...ids) };
  }

  /** An unclean file the log can rebuild whole is emptied, to be rebuilt from batch 1. */
  function settleUnclean(range: { first: number; newest: number } | null): void {
    if (!unclean || range?.first !== 1) return;
    journal.wipe();
    unclean = false;
    standbyLog.warn(
      "this database was last written as the active and may hold writes the log never got: rebuilt from the log",
      { newest: range.newest },
    );
  }
  session.on("online", follow);
  follow();

  let role: "standby" | "active" = "standby";
  let bot: RunningBot | null = null;
  let stopped = false;
  const watch = new ActiveWatch({ clock, takeoverAfterMs: f.takeoverAfterMs, everyMs: WATCH_EVERY_MS });
  // A drop and a quick reconnection between two pings is this standby's outage, not the active's.
  session.on("offline", () => watch.ownLinkLost());
  // Said once per spell of this standby's own link being down, and once when it is back.
  let ownDownSaid = false;
  // When the log no longer reaches this file: a snapshot asked for at most once per SNAPSHOT_RETRY_MS.
  let nextSnapshotAt = 0;
  // Since when this standby has been ready to take over with its own file, and the log's newest
  // batch then (null: not so). No active means nothing is added to the log meanwhile: read once.
  let ownFile: { since: number; newest: number } | null = null;
  standbyLog.info("standby running", {
    jid: f.standbyComponent,
    watching: config.xmpp.component,
    seq: journal.seq,
    takeoverAfterMs: f.takeoverAfterMs,
  });

  // Nothing in the watch may end the process: a standby that cannot reach the server (a restart,
  // an outage longer than T) keeps trying, and says so once per spell.
  let failingSince: number | null = null;
  const watching = (async () => {
    while (!stopped && role === "standby") {
      try {
        if (await watchOnce()) return;
        if (failingSince !== null) standbyLog.info("standby: watching again", { afterMs: clock.now() - failingSince });
        failingSince = null;
      } catch (err) {
        if (stopped) return;
        // claim() sets the role before its first await: a failure after that is the active's.
        if ((role as FailoverBot["role"]) === "active") {
          log.child({ role: "active" }).error("the claim failed", { err });
          options.onLost(`the claim failed: ${err instanceof Error ? err.message : String(err)}`);
          return;
        }
        if (failingSince === null) {
          failingSince = clock.now();
          standbyLog.warn("standby: cannot reach the server or the log; will keep trying", { err });
        }
        await new Promise<void>((resolve) => clock.setTimer(WATCH_EVERY_MS, resolve));
      }
    }
  })();

  // When the standby next checks that batches still come.
  let nextFollowCheckAt = clock.now() + FOLLOW_CHECK_MS;

  /** One ping and what follows from it; true once this process has claimed the JID. */
  async function watchOnce(): Promise<boolean> {
    await restoreIfBehind();
    if (!unclean && clock.now() >= nextFollowCheckAt) {
      nextFollowCheckAt = clock.now() + FOLLOW_CHECK_MS;
      // Not awaited: a slow read must not delay the pings that time the active's silence.
      void follower.check();
    }
    // Our own JID, routed back to this connection by the server, beside it: when neither answers,
    // the silence is this standby's own link (active-watch.ts), not the active's.
    const [outcome, own] = await Promise.all([
      ping(session, config.xmpp.component, WATCH_TIMEOUT_MS),
      ping(session, f.standbyComponent, WATCH_TIMEOUT_MS),
    ]);
    if (stopped) return true;
    const seenBefore = watch.seenActive;
    const verdict = watch.observe(outcome, own === "no-answer" ? "down" : "up");
    if (!seenBefore && watch.seenActive) standbyLog.info("active seen", { jid: config.xmpp.component });
    if (watch.ownLinkDown !== ownDownSaid) {
      ownDownSaid = watch.ownLinkDown;
      if (ownDownSaid)
        standbyLog.warn("standby: its own link is down: the active's silence is not counted", {
          jid: f.standbyComponent,
        });
      else
        standbyLog.info("standby: the server answers again: the active's silence is counted from now", {
          takeoverAfterMs: f.takeoverAfterMs,
        });
    }
    if (!verdict.claim) {
      ownFile = null;
      await new Promise<void>((resolve) => clock.setTimer(verdict.nextPingInMs, resolve));
      return false;
    }
    // Once per spell: with no active the log gains nothing, so what it held then still holds.
    if (unclean && ownFile === null) settleUnclean(await logRange());
    if (!unclean) await follower.catchUp();
    if (behind()) await restoreIfBehind();
    if (behind()) {
      // Nothing can bring this file up to date and no active answers: take over with it as it
      // stands rather than leave the bus silent. A file that lacks batches the log has seen waits
      // another T first, so that a bot holding them, started meanwhile, is the one that claims.
      const first = ownFile === null;
      ownFile ??= { since: clock.now(), newest: (await logRange())?.newest ?? 0 };
      const { since, newest } = ownFile;
      const lacking = journal.seq < newest;
      if (lacking && first)
        standbyLog.error(
          "no active, and nothing can bring this database up to date: taking over with it as it stands unless an active appears",
          { seq: journal.seq, newest, inMs: f.takeoverAfterMs },
        );
      if (lacking && clock.now() - since < f.takeoverAfterMs) {
        await new Promise<void>((resolve) => clock.setTimer(WATCH_EVERY_MS, resolve));
        return false;
      }
      standbyLog.error(
        "taking over with this database as it stands: what another AlertBot decided after its batch, if anything, is missing",
        {
          seq: journal.seq,
          newest,
          unclean,
        },
      );
      journal.skipPast(newest);
      unclean = false;
    }
    await claim(verdict.goneForMs, verdict.reason);
    return true;
  }

  /** Whether this file cannot simply follow the log (it needs a snapshot, or is its own last copy). */
  function behind(): boolean {
    return unclean || follower.state().gap;
  }

  /** Replaces this file with a snapshot of the active's when the log no longer reaches it. */
  async function restoreIfBehind(): Promise<void> {
    // An active of another version: its snapshot could not be followed by its log either.
    if (!behind() || follower.state().mismatch || clock.now() < nextSnapshotAt) return;
    nextSnapshotAt = clock.now() + SNAPSHOT_RETRY_MS;
    const startedAt = clock.now();
    standbyLog.info("asking the active for a snapshot: the log no longer reaches this file", {
      seq: journal.seq,
      active: config.xmpp.component,
    });
    let got;
    try {
      const client = createSnapshotClient(session, config.xmpp.component, {
        offerTimeoutMs: SNAPSHOT_OFFER_TIMEOUT_MS,
        chunkTimeoutMs: SNAPSHOT_CHUNK_TIMEOUT_MS,
      });
      got = await downloadSnapshot(client, config.database, journal.schema);
    } catch (err) {
      if (err instanceof SnapshotSchemaError)
        versions.observe({ activeSchema: err.activeSchema, ownSchema: err.ownSchema, seq: journal.seq + 1 });
      standbyLog.error("no snapshot from the active; will ask again", { err, retryInMs: SNAPSHOT_RETRY_MS });
      return;
    }
    if (stopped || role !== "standby") {
      await rm(got.path, { force: true });
      return;
    }
    // Synchronous from here to the reopen: no item is applied to a closed file.
    follower.stop();
    store.close();
    try {
      Store.replaceWithSnapshot(got.path, config.database);
    } finally {
      store = Store.open(config.database, storeOptions(log, { replicated: true }));
      journal = store.replica!;
      follower = newFollower();
    }
    unclean = !journal.clean;
    versions.observe(null);
    standbyLog.info("rebuilt from the active's snapshot", {
      seq: journal.seq,
      sizeBytes: got.offer.sizeBytes,
      tookMs: clock.now() - startedAt,
    });
    await follower.start();
  }

  async function claim(goneForMs: number, reason: ClaimReason): Promise<void> {
    role = "active";
    const claimedAt = clock.now();
    standbyLog.warn("the active is gone: taking over", { goneForMs, reason, seq: journal.seq });
    // From here the bot's own link alert follows the connection (link-down.ts).
    link.stop();
    versions.tookOver();
    await session.stop();
    // A SIGHUP could not be applied to the standby: the file is read as it is now.
    let refused: ConfigRefusal | undefined;
    const activeConfig = configAtTakeover(config, options.readConfig, standbyLog, (r) => (refused = r));
    const activeLog = log.child({ role: "active" });
    let gate: SendGate | null = null;
    let publisher: ReplicaPublisher | null = null;
    let snapshots: SnapshotSource | null = null;
    let lostAlready = false;
    const activeRole: ActiveRole = {
      store,
      async attach(activeSession, activePubsub) {
        publisher = new ReplicaPublisher({
          pubsub: activePubsub,
          service,
          journal,
          clock,
          log: activeLog,
          standbyJid: f.standbyComponent,
          retainedItems: f.logItems,
        });
        await publisher.start();
        const p = publisher;
        const source = new SnapshotSource({
          store,
          databasePath: config.database,
          flushed: () => p.flushed(),
          clock,
          log: activeLog,
        });
        snapshots = source;
        serveReplicaSnapshots(activeSession, f.standbyComponent, {
          offer: () => source.offer(),
          chunk: (id, offset) => source.chunk(id, offset),
        });
        gate = new SendGate({
          clock,
          log: activeLog,
          leaseMs: f.leaseMs,
          graceMs: Math.max(0, f.graceMs - (clock.now() - claimedAt)),
          probe: async (timeoutMs) => (await ping(activeSession, config.xmpp.component, timeoutMs)) === "answered",
          flushed: () => p.flushedOrStuck(),
        });
        gate.start();
        const g = gate;
        return () => g.ready();
      },
      watchLog(listener) {
        publisher?.listen(listener);
      },
      lost(reason) {
        if (lostAlready || stopped) return;
        lostAlready = true;
        gate?.stop();
        publisher?.stop();
        void snapshots?.stop();
        activeLog.error("no longer the active: the connection holding the bot's JID ended", { reason });
        options.onLost(reason);
      },
      async detach() {
        lostAlready = true; // a clean stop: its "offline" is no loss
        gate?.stop();
        // What was committed goes to the log before letting go, so the file is left clean and,
        // restarted as the standby, needs no rebuild. Bounded: with the server gone the file stays
        // unclean and is rebuilt instead.
        const p = publisher;
        if (p) {
          let timer: TimerHandle | undefined;
          await Promise.race([
            p.flushed(),
            new Promise<void>((resolve) => (timer = clock.setTimer(DETACH_FLUSH_MS, resolve))),
          ]);
          timer?.cancel();
        }
        publisher?.stop();
        void snapshots?.stop();
        journal.stopCapture();
      },
    };
    bot = await runBot(activeConfig, clock, activeLog, {
      active: activeRole,
      ...(refused ? { configRefused: refused } : {}),
    });
    activeLog.warn("took over: now the active", {
      jid: config.xmpp.component,
      takeoverMs: goneForMs + (clock.now() - claimedAt),
      reason,
      firstSendAfterMs: f.graceMs,
    });
  }

  return {
    get role() {
      return role;
    },
    get bot() {
      return bot;
    },
    async stop() {
      stopped = true;
      link.stop();
      if (bot) {
        await bot.stop(); // closes the store too
        return;
      }
      await session.stop();
      await watching.catch(() => undefined);
      // A claim may have started meanwhile.
      const running = bot as RunningBot | null;
      if (running) await running.stop();
      else store.close();
    },
  };
}

/** Connects as `jid`, retrying with backoff while the server refuses (another standby holds it) or is down. */
async function connectPersistently(config: BotConfig, jid: string, clock: Clock, log: Logger): Promise<XmppSession> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await connectComponent({
        service: config.xmpp.service,
        domain: jid,
        password: config.xmpp.secret.reveal(),
        clock,
        keepAlive: { intervalMs: config.xmpp.keepaliveMs, timeoutMs: config.xmpp.keepaliveMs },
        onError: (err) => log.warn("xmpp", { err }),
      });
    } catch (err) {
      const delayMs = backoffDelay(attempt, DEFAULT_BACKOFF);
      log.warn("cannot connect as the standby yet; will retry", { jid, err, delayMs });
      await new Promise<void>((resolve) => clock.setTimer(delayMs, resolve));
    }
  }
}
