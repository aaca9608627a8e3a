import { inspect } from "node:util";

const REDACTED = "[redacted]";

/**
 * A password or shared secret from the config. Every way of printing it (String, JSON,
 * util.inspect, template literals) gives "[redacted]", so logging a whole config never leaks it;
 * only `reveal()` hands out the value, which makes each use easy to find in review.
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  /** The secret itself, for the one call that needs it (an XMPP login, an SMTP AUTH). */
  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [Symbol.toPrimitive](): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }
}
