import { randomUUID } from "node:crypto";

/** The headers that put every mail about one alert into one thread in mail clients (RFC 5322 §3.6.4). */
export interface ThreadHeaders {
  readonly messageId: string;
  readonly inReplyTo?: string;
  readonly references?: string;
}

/**
 * Message-ID-style references for a mail. Each mail gets its own Message-ID (clients drop
 * duplicates as the same message); mails with a thread key also point at one root reference per
 * alert. The root is never sent as a Message-ID itself, so a re-raise can't collide with it, and
 * clients thread on the shared reference alone.
 */
export function threadHeaders(threadKey: string | undefined, domain: string, unique: () => string = randomUUID): ThreadHeaders {
  const id = unique();
  if (threadKey === undefined) return { messageId: `<${id}@${domain}>` };
  const root = `<${threadKey}@${domain}>`;
  return { messageId: `<${threadKey}.${id}@${domain}>`, inReplyTo: root, references: root };
}

/** The domain of a sender address (`Mauve <alerts@example.org>` → `example.org`), which names our Message-IDs. */
export function senderDomain(from: string): string {
  const address = /<([^<>]+)>\s*$/.exec(from)?.[1] ?? from;
  const domain = address.slice(address.lastIndexOf("@") + 1).trim().toLowerCase();
  return /^[a-z0-9.-]+$/.test(domain) && domain !== "" ? domain : "mauve-xmpp.invalid";
}

/** The mail subject: the alert id goes inside a bracketed prefix (`[mauve #42] RAISED …`), else after it. */
export function mailSubject(prefix: string, shortId: number | undefined, subject: string): string {
  if (shortId === undefined) return `${prefix} ${subject}`;
  const bracketed = /^\[(.*)\]$/.exec(prefix);
  return bracketed ? `[${bracketed[1]} #${shortId}] ${subject}` : `${prefix} #${shortId} ${subject}`;
}
