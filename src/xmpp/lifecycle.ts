// Connection lifecycle of one entity: first login, then reconnection with
// jittered exponential backoff for as long as the session is not stopped.
// A client resumes its XEP-0198 session when the server still has it, and
// otherwise starts a fresh one; the hooks tell which.
import type { Clock, TimerHandle } from "../clock/clock.js";
import { backoffDelay } from "../util/backoff.js";
import type { BackoffOptions } from "../util/backoff.js";
import { XmppIoError, toError } from "./errors.js";
import { connectProblem } from "./connect-problem.js";
import { nodeSocketOf } from "./node-socket.js";
import type { RawEntity } from "./raw-entity.js";

/** What the lifecycle reports to its session. */
export interface LifecycleHooks {
  online(resumed: boolean): void;
  /** `replacedStreak`: how many times in a row another login took the address (0: not replaced). */
  offline(reason: string, willReconnect: boolean, replacedStreak: number): void;
  reconnecting(attempt: number, delayMs: number, lastError: string): void;
  /** An entity error while online (stream errors, socket errors). */
  error(err: Error): void;
}

/** Timing of logins and retries. */
export interface LifecycleOptions {
  readonly clock: Clock;
  readonly random: () => number;
  readonly backoff: BackoffOptions | false;
  readonly connectTimeoutMs: number;
  /**
   * Addresses of the server (cluster nodes, say), tried in turn: the first login tries each before
   * giving up, and each reconnection attempt moves on to the next. Empty: the entity's own service.
   */
  readonly services?: readonly string[];
}

type State = "idle" | "connecting" | "online" | "waiting" | "stopped";

/**
 * How long a session must have lasted for its replacement to count as a new one rather than the
 * next round of the same tug of war (see `replacedStreak`).
 */
export const REPLACED_STREAK_RESET_MS = 10 * 60_000;
/** The longest wait after a replacement: a tug of war slows to a round every few minutes. */
export const REPLACED_MAX_DELAY_MS = 5 * 60_000;

/** Whether `err` is the server's stream error for a login that took this session's address. */
function isReplaced(err: unknown): boolean {
  return (err as { condition?: unknown } | null)?.condition === "conflict";
}

/** Drives connect, reconnect and stop of one xmpp.js entity. */
export class Lifecycle {
  private state: State = "idle";
  private timer: TimerHandle | undefined;
  private lastError: string | undefined;
  private closingAfterPeer = false;
  private serviceIndex = 0;
  /** The connection being lost ended because another login took its address (stream error conflict). */
  private replaced = false;
  /**
   * Replacements in a row. Two processes logging in with one address (a copied config) take it from
   * each other; each coming back at once made a tug of war several times a second, each round a
   * full state from a different host. The one replaced waits longer each time, so the other keeps
   * the address, and the log says what is going on.
   */
  private replacedStreak = 0;
  private onlineSinceMs = 0;
  /** The back-off after a replacement: the usual one, allowed to grow to REPLACED_MAX_DELAY_MS. */
  private readonly replacedBackoff: BackoffOptions | false;

  constructor(
    private readonly entity: RawEntity,
    private readonly options: LifecycleOptions,
    private readonly hooks: LifecycleHooks,
  ) {
    const { backoff } = options;
    this.replacedBackoff = backoff && {
      ...backoff,
      maxDelayMs: Math.max(backoff.maxDelayMs, REPLACED_MAX_DELAY_MS),
    };
    entity.on("error", (err: unknown) => {
      if (this.state !== "online") return; // a login attempt reports its own failure
      const error = toError(err);
      if (this.lastError === undefined && isReplaced(err)) {
        this.replaced = true;
        this.lastError = `replaced by another login with the same address (${error.message})`;
        hooks.error(
          new XmppIoError(
            "replaced",
            `another login took this session's address (${error.message}): is a second process (a copied config on another host?) using the same account and resource?`,
            { cause: error },
          ),
        );
        return;
      }
      // What follows a replacement (the write that fails on the closed socket) says nothing new.
      if (this.replaced) return;
      this.lastError ??= connectProblem(error); // the first error of a connection says why it ended
      hooks.error(new XmppIoError("connection", `xmpp connection: ${error.message}`, { cause: error }));
    });
    // RFC 6120 §4.4: when the peer closes the stream, close ours and the TCP link;
    // xmpp.js only detaches its parser and would leave us "online" on a dead stream.
    // Once per connection: disconnect() itself emits "close" again (xmpp.js 0.14),
    // and re-entering it looped until the heap ran out.
    entity.on("close", () => {
      if (this.state !== "online" || this.closingAfterPeer) return;
      this.closingAfterPeer = true;
      entity.disconnect().catch(() => undefined);
    });
    entity.on("disconnect", (info: { clean?: boolean; reason?: unknown } | undefined) => {
      if (this.state !== "online") return;
      this.state = "waiting";
      const reason = this.lastError ?? (info?.clean ? "connection closed" : "connection lost");
      if (this.replaced) {
        const lastedMs = options.clock.now() - this.onlineSinceMs;
        this.replacedStreak = lastedMs >= REPLACED_STREAK_RESET_MS ? 1 : this.replacedStreak + 1;
      } else this.replacedStreak = 0;
      hooks.offline(reason, options.backoff !== false, this.replacedStreak);
      this.nextService(); // the address just lost may be a node that is down: try another first
      if (options.backoff === false) return;
      if (this.replaced) this.schedule(this.replacedStreak, reason, this.replacedBackoff);
      else this.schedule(0, reason);
    });
  }

  /** Whether a session is established now. */
  get isOnline(): boolean {
    return this.state === "online";
  }

  /** Whether stop() was called (or the first login failed). */
  get isStopped(): boolean {
    return this.state === "stopped";
  }

  /**
   * First login, trying each address once; rejects (and gives up) if none answers. With
   * `keepTrying` it does not give up: it reports the session offline and retries as after a drop
   * (online once a login succeeds), and resolves false at once.
   */
  async start(keepTrying = false): Promise<boolean> {
    const tries = Math.max(1, this.options.services?.length ?? 0);
    for (let i = 1; ; i++) {
      try {
        const resumed = await this.attempt();
        this.becomeOnline(resumed);
        return true;
      } catch (err) {
        if (i < tries && this.state !== "stopped") {
          await this.forceClose(false);
          this.nextService();
          continue;
        }
        if (keepTrying && this.options.backoff !== false && !this.isStopped) {
          const reason = toError(err).message;
          this.hooks.offline(reason, true, 0);
          await this.retryLater(0, reason);
          return false;
        }
        this.state = "stopped";
        await this.forceClose(true);
        throw err;
      }
    }
  }

  /**
   * Drops a connection that is online but dead (the server stopped answering without closing it):
   * it ends as a lost one does, with `reason`, and is tried again as usual.
   */
  dropDead(reason: string): void {
    if (this.state !== "online") return;
    this.lastError ??= reason;
    // Closing the stream politely would wait for a peer that does not answer: the socket goes at once,
    // and its close is the "disconnect" handled above. Over TLS that is the socket inside the
    // wrapper, which passes its close on; the wrapper itself cannot be destroyed.
    const socket = this.nodeSocket();
    if (socket?.destroy) socket.destroy();
    else void this.entity.disconnect().catch(() => undefined);
  }

  /** Closes the stream and stops retrying. */
  async stop(): Promise<void> {
    this.state = "stopped";
    this.timer?.cancel();
    await this.forceClose(true);
  }

  private schedule(retry: number, lastError: string, backoff = this.options.backoff): void {
    if (backoff === false) return;
    const delayMs = backoffDelay(retry, backoff, this.options.random);
    this.hooks.reconnecting(retry + 1, delayMs, lastError);
    this.timer = this.options.clock.setTimer(delayMs, () => void this.retry(retry));
  }

  private async retry(retry: number): Promise<void> {
    if (this.state !== "waiting") return;
    try {
      const resumed = await this.attempt();
      this.becomeOnline(resumed);
    } catch (err) {
      // stop() may run at any await; the getter re-reads the state TypeScript narrowed.
      if (this.isStopped) return;
      await this.retryLater(retry + 1, connectProblem(err));
    }
  }

  /** After a failed login: closes what is left of it and schedules try `retry` on the next address. */
  private async retryLater(retry: number, lastError: string): Promise<void> {
    this.state = "waiting";
    await this.forceClose(false);
    this.nextService();
    if (!this.isStopped) this.schedule(retry, lastError);
  }

  private nextService(): void {
    const count = this.options.services?.length ?? 0;
    if (count > 1) this.serviceIndex = (this.serviceIndex + 1) % count;
  }

  private becomeOnline(resumed: boolean): void {
    if (this.state === "stopped") return;
    this.state = "online";
    this.lastError = undefined;
    this.replaced = false;
    this.onlineSinceMs = this.options.clock.now();
    this.hooks.online(resumed);
  }

  // Opens socket and stream and waits until the session is usable: "online" for a
  // fresh session, the stream-management "resumed" event for a resumed one.
  private attempt(): Promise<boolean> {
    this.state = "connecting";
    this.closingAfterPeer = false;
    const { entity } = this;
    const sm = entity.streamManagement;
    const service = this.options.services?.[this.serviceIndex] ?? entity.options.service ?? "";
    entity.options.service = service; // xmpp.js reads it again while the stream opens
    const { domain, lang } = entity.options;
    // xmpp.js gives up on a silent server after its own 2 s, before our connect timeout (mauvesend's
    // --timeout): while logging in it waits as long as we do. Its close keeps the short wait.
    const closeTimeoutMs = entity.timeout;
    entity.timeout = this.options.connectTimeoutMs;
    return new Promise<boolean>((resolve, reject) => {
      const onOnline = (): void => finish(undefined, false);
      const onResumed = (): void => finish(undefined, true);
      const onError = (err: unknown): void => finish(toError(err));
      const onDisconnect = (): void => finish(new XmppIoError("connection", "connection closed during login"));
      const timer = this.options.clock.setTimer(this.options.connectTimeoutMs, () =>
        finish(new XmppIoError("timeout", `no session within ${this.options.connectTimeoutMs} ms`)),
      );
      let settled = false;
      const finish = (err: Error | undefined, resumed = false): void => {
        if (settled) return;
        settled = true;
        timer.cancel();
        entity.timeout = closeTimeoutMs;
        entity.removeListener("online", onOnline);
        entity.removeListener("error", onError);
        entity.removeListener("disconnect", onDisconnect);
        sm?.removeListener("resumed", onResumed);
        if (err) reject(err);
        else resolve(resumed);
      };
      entity.on("online", onOnline);
      entity.on("error", onError);
      entity.on("disconnect", onDisconnect);
      sm?.on("resumed", onResumed);
      entity
        .connect(service)
        .then(() => entity.open({ ...(domain ? { domain } : {}), ...(lang ? { lang } : {}) }))
        .catch(onError);
    });
  }

  // What a dead or abandoned connection is destroyed through: the Node socket, inside @xmpp/tls's
  // wrapper over TLS (the wrapper itself has no destroy).
  private nodeSocket(): { destroy?(): unknown } | null {
    return nodeSocketOf(this.entity.socket) ?? this.entity.socket;
  }

  // Ends whatever is left of the connection; never throws. Only a final close goes
  // through stop(): its "offline" status makes stream management forget the
  // session, which a retry after a failed attempt may still resume.
  private async forceClose(final: boolean): Promise<void> {
    const socket = this.nodeSocket();
    try {
      await (final ? this.entity.stop() : this.entity.disconnect());
    } catch {
      // stop() of a half-open connection can fail in several ways; the socket is destroyed below.
    }
    socket?.destroy?.();
  }
}
