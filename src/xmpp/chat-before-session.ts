// Chat while AlertBot cannot start (its database cannot be opened: src/bot/storage-at-start.ts).
// Its own session comes only once the database opens, so a person told only by chat heard nothing
// of a bot waiting on a full disk. Each message goes through a short component session of its
// own, under AlertBot's own JID: the server keeps it for a person who is offline (XEP-0160).
import { createChat } from "./chat.js";
import { connectComponent, type ComponentOptions } from "./connect.js";

/** Sends chat as the component before its own session exists; closed once that session is to start. */
export class ChatBeforeSession {
  /** Sends one at a time: the server takes a single connection per component JID. */
  private queue: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(private readonly options: ComponentOptions) {}

  /**
   * Connects, sends `body` to `toJid` and disconnects; rejects when the server cannot be reached
   * or refuses the component, and once {@link close} was called (AlertBot's own session sends).
   */
  send(toJid: string, body: string): Promise<void> {
    if (this.closed) return Promise.reject(new Error("AlertBot's own XMPP session has taken over chat"));
    const sent = this.queue.then(() => this.sendOnce(toJid, body));
    this.queue = sent.catch(() => undefined);
    return sent;
  }

  /** No send is taken after this; resolves once those taken have ended. */
  async close(): Promise<void> {
    this.closed = true;
    await this.queue;
  }

  private async sendOnce(toJid: string, body: string): Promise<void> {
    // Once, not retried here: the caller retries a send that failed, as for any channel.
    const session = await connectComponent({ ...this.options, reconnect: false, keepTrying: false });
    try {
      await createChat(session).sendChat(toJid, body);
    } finally {
      // The server reads the stream in order: the message is taken before the stream's end.
      await session.stop();
    }
  }
}
