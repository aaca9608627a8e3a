import type { Clock } from "../clock/clock.js";
import type { SmsConfig } from "./channels-config.js";
import { formatDuration } from "../util/duration.js";
import { failed, noAddress, type Channel, type DeliveryOutcome } from "./channel.js";
import { withDeadline } from "./deadline.js";
import { redactor } from "./redact.js";
import { buildSmsRequest, smsSecrets } from "./sms-request.js";
import { httpOutcome, networkFailure } from "./sms-outcome.js";
import { smsText } from "./sms-text.js";

/** What the SMS channel needs besides its config. */
export interface SmsChannelDeps {
  readonly clock: Clock;
  /** Node's fetch unless a test swaps it. */
  readonly fetch?: typeof fetch;
}

/** The SMS channel: one HTTP request per message to the configured gateway. */
export function createSmsChannel(config: SmsConfig, deps: SmsChannelDeps): Channel {
  const doFetch = deps.fetch ?? fetch;
  const redact = redactor(smsSecrets(config.auth));
  // Only the host: the path and query may carry the phone number or the account id.
  const gateway = new URL(buildSmsRequest(config, "", "").url).host;
  return {
    name: "sms",
    async send(recipient, message): Promise<DeliveryOutcome> {
      if (!recipient.sms) return noAddress("sms", recipient);
      const request = buildSmsRequest(config, recipient.sms, smsText(message, config.maxChars));
      const timedOut = (): DeliveryOutcome => failed(true, `${gateway} did not answer within ${formatDuration(config.timeout)}`);
      return withDeadline(deps.clock, config.timeout, timedOut, async (signal) => {
        try {
          const init = { method: request.method, headers: request.headers, redirect: "manual", signal } as const;
          const response = await doFetch(request.url, request.body === undefined ? init : { ...init, body: request.body });
          const body = await response.text();
          return httpOutcome(response.status, body, response.headers.get("retry-after"), gateway, redact);
        } catch (err) {
          return networkFailure(err, gateway, redact);
        }
      });
    },
  };
}
