// The notification package's public surface: channels behind one interface, messages, retry.
export type { Channel, ChannelName, DeliveryFailure, DeliveryOutcome, Recipient } from "./channel.js";
export { delivered, failed, noAddress } from "./channel.js";
export type { MessageContext, NotificationKind, NotificationMessage } from "./message.js";
export { alertName, buildMessage, KIND_WORD, threadKeyFor, wantsAck } from "./message.js";
export { buildDigest } from "./digest-message.js";
export type { DigestOptions } from "./digest-message.js";
export { deliverWithRetry, backoffDelay } from "./retry.js";
export type { AttemptNext, RetryOptions } from "./retry.js";
export { createEmailChannel, smtpTransportOptions } from "./email-channel.js";
export type { EmailChannelDeps } from "./email-channel.js";
export { createSmsChannel } from "./sms-channel.js";
export type { SmsChannelDeps } from "./sms-channel.js";
export { createXmppChannel } from "./xmpp-channel.js";
export type { ChatSender } from "./xmpp-channel.js";
export { smsText, SMS_DEFAULT_CHARS } from "./sms-text.js";
export { redact, redactor, secretForms, credentialForms, REDACTED } from "./redact.js";
export type { Redactor } from "./redact.js";
