// A person in their Jabber client: a real c2s session that stamps every chat line it receives.
import { createChat, type Chat } from "../src/xmpp/chat.js";
import { connectClient } from "../src/xmpp/connect.js";
import { createPresence, getRoster } from "../src/xmpp/presence.js";
import type { XmppSession } from "../src/xmpp/session.js";
import { hrMs } from "./hrtime.js";

/** A received chat line and when it arrived (hrMs). */
export interface Received {
  readonly from: string;
  readonly body: string;
  readonly at: number;
}

/** One person's client, approving the bot's presence subscription like a user who said yes. */
export class Person {
  private listeners = new Set<(m: Received) => void>();
  received = 0;

  private constructor(
    readonly name: string,
    readonly session: XmppSession,
    private readonly chat: Chat,
  ) {
    chat.onChat((m) => {
      const r = { from: m.from, body: m.body, at: hrMs() };
      this.received++;
      for (const l of this.listeners) l(r);
    });
  }

  /** Logs in as `name@domain` and becomes available. */
  static async login(options: { service: string; domain: string; name: string; password: string }): Promise<Person> {
    const session = await connectClient({
      service: options.service,
      domain: options.domain,
      username: options.name,
      password: options.password,
      resource: "phone",
    });
    const person = new Person(options.name, session, createChat(session));
    const presence = createPresence(session);
    presence.onSubscription(async (s) => {
      if (s.type === "subscribe") await presence.sendSubscription(s.from, "subscribed");
    });
    await getRoster(session); // a resource gets subscription requests only after fetching its roster
    await presence.sendAvailable({ status: "on call" });
    return person;
  }

  /** Calls `fn` for every chat line from now on; returns the way to stop. */
  onMessage(fn: (m: Received) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Sends a chat line. */
  say(to: string, body: string): Promise<void> {
    return this.chat.sendChat(to, body);
  }

  /** Closes the session. */
  stop(): Promise<void> {
    return this.session.stop();
  }
}
