// A person in their Jabber client: a real c2s session that stamps every chat line it receives.
import { createChat, type Chat } from "../src/xmpp/chat.js";
import { connectClient } from "../src/xmpp/connect.js";
import { createPresence, getRoster } from "../src/xmpp/presence.js";
import type { XmppSession } from "../src/xmpp/session.js";
import { hrMs } from "./hrtime.js";

/** What a line to be echoed starts with, and its echo (see {@link PersonClient.echo}). */
export const ECHO = "echo ";
export const ECHOED = "echoed ";

/** A received chat line and when it arrived (hrMs). */
export interface Received {
  readonly from: string;
  readonly body: string;
  readonly at: number;
}

/** What the phases use of a person, wherever the client runs (this process or people-worker.ts). */
export interface PersonClient {
  readonly name: string;
  /** Chat lines received so far. */
  readonly received: number;
  /** Calls `fn` for every chat line from now on; returns the way to stop. */
  onMessage(fn: (m: Received) => void): () => void;
  /** Sends a chat line; resolves with when it was handed to the socket (hrMs, stamped where the client runs). */
  say(to: string, body: string): Promise<number>;
  /**
   * Answers every line "echo …" with "echoed …" at once, from where the client runs:
   * the other end of a round trip between two people, through the same server, without AlertBot.
   */
  echo(on: boolean): Promise<void>;
  /** Closes the session. */
  stop(): Promise<void>;
}

/**
 * The first chat line `person` receives from now on that `match` accepts, or undefined after
 * `timeoutMs`; `passedOver` sees the lines received meanwhile that it did not accept.
 */
export function nextLine(
  person: PersonClient,
  match: (m: Received) => boolean,
  timeoutMs: number,
  passedOver: (m: Received) => void = () => undefined,
): Promise<Received | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      off();
      resolve(undefined);
    }, timeoutMs);
    const off = person.onMessage((m) => {
      if (!match(m)) return passedOver(m);
      clearTimeout(timer);
      off();
      resolve(m);
    });
  });
}

/** One person's client, approving the bot's presence subscription like a user who said yes. */
export class Person implements PersonClient {
  private listeners = new Set<(m: Received) => void>();
  private echoing = false;
  received = 0;

  private constructor(
    readonly name: string,
    readonly session: XmppSession,
    private readonly chat: Chat,
  ) {
    chat.onChat((m) => {
      const r = { from: m.from, body: m.body, at: hrMs() };
      if (this.echoing && m.body.startsWith(ECHO)) {
        // Answered in another word, so that two people echoing do not bounce a line back and forth.
        chat.sendChat(m.from, `${ECHOED}${m.body.slice(ECHO.length)}`).catch(() => undefined);
        return;
      }
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

  onMessage(fn: (m: Received) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  async say(to: string, body: string): Promise<number> {
    // The stanza is serialised and written in this turn: the stamp is when it left the client.
    const at = hrMs();
    await this.chat.sendChat(to, body);
    return at;
  }

  echo(on: boolean): Promise<void> {
    this.echoing = on;
    return Promise.resolve();
  }

  stop(): Promise<void> {
    return this.session.stop();
  }
}
