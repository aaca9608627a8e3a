import { ellipsize, oneLine } from "../codec/text.js";
import { delivered, failed, type DeliveryOutcome } from "./channel.js";
import type { Redactor } from "./redact.js";

const MAX_BODY = 200;
const MAX_ERROR = 300;

/**
 * Maps the gateway's answer to an outcome: 2xx delivered; 5xx, 429 and 408 recoverable (the
 * gateway is busy or down); other 4xx and redirects not, as the request itself is wrong.
 */
export function httpOutcome(status: number, body: string, retryAfter: string | null, gateway: string, redact: Redactor): DeliveryOutcome {
  if (status >= 200 && status < 300) return delivered(`HTTP ${status} from ${gateway}`);
  // Scrub before cutting: a cut through a secret would leave a prefix that no longer matches it.
  const snippet = body.trim() === "" ? "" : `: ${ellipsize(oneLine(redact(body)), MAX_BODY)}`;
  const error = ellipsize(`HTTP ${status} from ${gateway}${snippet}`, MAX_ERROR);
  if (status >= 300 && status < 400) return failed(false, `${error} (redirects are not followed: check the url)`);
  const recoverable = status >= 500 || status === 429 || status === 408;
  return failed(recoverable, error, recoverable ? retryAfterMs(retryAfter) : undefined);
}

/** Maps a fetch rejection (no answer at all: refused, reset, DNS) to a recoverable outcome. */
export function networkFailure(err: unknown, gateway: string, redact: Redactor): DeliveryOutcome {
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err;
  const code = (cause as { code?: unknown } | null)?.code;
  const why = typeof code === "string" ? code : cause instanceof Error ? cause.message : String(cause);
  return failed(true, ellipsize(oneLine(redact(`cannot reach ${gateway}: ${why}`)), MAX_ERROR));
}

// Only the delta-seconds form (RFC 9110 §10.2.3): an HTTP date would need the wall clock.
function retryAfterMs(header: string | null): number | undefined {
  return header !== null && /^\d{1,6}$/.test(header.trim()) ? Number(header.trim()) * 1000 : undefined;
}
