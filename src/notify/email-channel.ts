import { createTransport } from "nodemailer";
import type SMTPTransport from "nodemailer/lib/smtp-transport/index.js";
import type { Clock } from "../clock/clock.js";
import type { EmailConfig, SmtpConfig } from "./channels-config.js";
import { ellipsize, oneLine } from "../codec/text.js";
import { formatDuration } from "../util/duration.js";
import { delivered, failed, noAddress, type Channel, type DeliveryOutcome } from "./channel.js";
import { withDeadline } from "./deadline.js";
import { mailSubject, senderDomain, threadHeaders } from "./email-threading.js";
import { htmlDocument } from "./message-html.js";
import type { NotificationMessage } from "./message.js";
import { credentialForms, redactor, type Redactor } from "./redact.js";
import { smtpFailure } from "./smtp-outcome.js";

/** What the email channel needs besides its config. */
export interface EmailChannelDeps {
  readonly clock: Clock;
  /** Makes each mail's unique Message-ID part; tests pin it. */
  readonly uniqueId?: () => string;
}

/** nodemailer's SMTP options for our config: TLS mode, credentials, and every timeout. */
export function smtpTransportOptions(smtp: SmtpConfig): SMTPTransport.Options {
  return {
    host: smtp.host,
    port: smtp.port,
    secure: smtp.secure === true,
    // "starttls" must not fall back to plain text; `false` must not try to upgrade.
    requireTLS: smtp.secure === "starttls",
    ignoreTLS: smtp.secure === false,
    ...(smtp.user !== null && smtp.password !== null ? { auth: { user: smtp.user, pass: smtp.password.reveal() } } : {}),
    connectionTimeout: smtp.timeout,
    greetingTimeout: smtp.timeout,
    socketTimeout: smtp.timeout,
    // Alert text comes from the network: never let it make nodemailer read a file or fetch a URL.
    disableFileAccess: true,
    disableUrlAccess: true,
    logger: false,
  };
}

/** The email channel: one mail per recipient over SMTP, text and HTML, threaded per alert. */
export function createEmailChannel(config: EmailConfig, deps: EmailChannelDeps): Channel {
  const { smtp } = config;
  const transport = createTransport(smtpTransportOptions(smtp));
  const server = `${smtp.host}:${smtp.port}`;
  const redact: Redactor = redactor(smtp.password ? credentialForms(smtp.user ?? "", smtp.password.reveal()) : []);
  const domain = senderDomain(config.from);
  return {
    name: "email",
    async send(recipient, message): Promise<DeliveryOutcome> {
      if (!recipient.email) return noAddress("email", recipient);
      const thread = threadHeaders(message.threadKey, domain, deps.uniqueId);
      const mail = {
        from: config.from,
        to: { name: oneLine(recipient.name), address: recipient.email },
        subject: mailSubject(config.subjectPrefix, message.shortId, oneLine(message.subject)),
        text: message.text,
        ...(message.html === undefined ? {} : { html: htmlDocument(message.html) }),
        ...thread,
        // The Date header comes from the injected clock like every other time in src/.
        date: new Date(deps.clock.now()),
        headers: mauveHeaders(message),
      };
      const timedOut = (): DeliveryOutcome => failed(true, `timed out after ${formatDuration(smtp.timeout)} sending through ${server}`);
      return withDeadline(deps.clock, smtp.timeout, timedOut, async () => {
        try {
          const info = await transport.sendMail(mail);
          return delivered(ellipsize(oneLine(redact(`${server} accepted ${thread.messageId}: ${info.response}`)), 300));
        } catch (err) {
          return smtpFailure(err, server, redact);
        }
      });
    },
  };
}

// RFC 3834: tells autoresponders not to answer; X-Mauve-Alert lets people filter mail by alert.
function mauveHeaders(message: NotificationMessage): Record<string, string> {
  const headers: Record<string, string> = { "Auto-Submitted": "auto-generated", "X-Mauve-Kind": message.kind };
  if (message.shortId !== undefined) headers["X-Mauve-Alert"] = String(message.shortId);
  return headers;
}
