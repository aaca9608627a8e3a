import type { AlertSemantics } from "../alerts/semantics.js";
import type { Permissions } from "../commands/authorize.js";
import type { Channel, ChannelName, Recipient } from "../notify/channel.js";
import type { Policy } from "../policy/types.js";

/** What the running bot works by, and what a config reload replaces whole. */
export interface BotSettings {
  /** People, workgroups, rules, windows, storm limits (the loaded BotConfig is one). */
  readonly policy: Policy & { readonly people: readonly Recipient[] };
  readonly channels: ReadonlyMap<ChannelName, Channel>;
  readonly semantics?: AlertSemantics;
  /** How long an ack lasts when none is asked for, and the longest allowed. */
  readonly ackDefaultMs: number;
  readonly ackMaxMs: number;
  /** Who may ack, clear, silence, escalate, per workgroup; default: every configured person. */
  readonly permissions?: Permissions;
  /** Updates whose transmission_time is further than this from our clock are logged; default 1h. */
  readonly maxClockSkewMs?: number;
}

/** Reacts to new settings; `previous` is what was current before. */
export type SettingsListener<T> = (next: T, previous: T) => void | Promise<void>;

/** The read side of a settings holder, as consumers take it. */
export interface SettingsSource<T> {
  current(): T;
  onChange(listener: SettingsListener<T>): void;
}

/**
 * The one holder of the bot's current settings. Consumers read `current()` when they need a value
 * instead of keeping copies, so a reload reaches them all by replacing it here; the few that must
 * act on a change (look again at raised alerts, join rooms, ask people for presence) subscribe.
 */
export class Settings<T> implements SettingsSource<T> {
  private readonly listeners: Array<SettingsListener<T>> = [];

  constructor(private value: T) {}

  current(): T {
    return this.value;
  }

  /** Subscribers run in the order they subscribed, each awaited, after the value is replaced. */
  onChange(listener: SettingsListener<T>): void {
    this.listeners.push(listener);
  }

  /**
   * Makes `next` current at once for every reader, then lets the subscribers act on it. A subscriber
   * that throws stops the ones after it and rejects: the reload reports it as failed.
   */
  async replace(next: T): Promise<void> {
    const previous = this.value;
    this.value = next;
    for (const listener of this.listeners) await listener(next, previous);
  }
}
