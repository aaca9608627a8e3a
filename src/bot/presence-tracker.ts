import type { PresenceUpdate } from "../xmpp/presence.js";
import { bareJid, jidResource } from "../xmpp/jid.js";

import type { Presence } from "../policy/delivery.js";

interface ResourceState {
  show: PresenceUpdate["show"] | undefined;
  priority: number;
}

/**
 * Remembers the presence of people (by bare JID) from the stanzas the bot receives. "unknown" until
 * anything was heard: a component has no roster, so the bot learns presence only from people who
 * approved its subscription.
 */
export class PresenceTracker {
  private readonly resources = new Map<string, Map<string, ResourceState>>();
  private readonly heard = new Set<string>();
  private readonly sinceMs = new Map<string, number>();

  constructor(private readonly now: () => number) {}

  /** Takes one presence stanza into account. */
  update(p: PresenceUpdate): void {
    const who = bareJid(p.from);
    const resource = jidResource(p.from);
    const before = this.status(who);
    this.heard.add(who);
    let map = this.resources.get(who);
    if (!map) this.resources.set(who, (map = new Map<string, ResourceState>()));
    if (p.type === "unavailable") {
      if (resource) map.delete(resource);
      else map.clear();
    } else {
      map.set(resource, { show: p.show, priority: p.priority ?? 0 });
    }
    if (this.status(who) !== before) this.sinceMs.set(who, this.now());
  }

  /**
   * Forgets every presence heard: AlertBot's stream to the server is gone, and with it whatever it
   * knew of who is there (chat to anyone fails until it is back, and they are asked again then).
   * Everyone is "unknown" until heard from again.
   */
  forgetAll(): void {
    const now = this.now();
    for (const who of this.heard) if (this.status(who) !== "unknown") this.sinceMs.set(who, now);
    this.resources.clear();
    this.heard.clear();
  }

  /** The person's reachability: online if any resource is plainly available, away if only away/xa/dnd. */
  status(jid: string): Presence {
    const who = bareJid(jid);
    if (!this.heard.has(who)) return "unknown";
    const states = [...(this.resources.get(who)?.values() ?? [])].filter((r) => r.priority >= 0);
    if (states.length === 0) return "offline";
    return states.some((r) => r.show === undefined || r.show === "chat") ? "online" : "away";
  }

  /** When the status last changed (ms), or undefined. */
  since(jid: string): number | undefined {
    return this.sinceMs.get(bareJid(jid));
  }
}
