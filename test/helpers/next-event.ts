// Waiting for one event in tests, with a deadline.
import type { Unsubscribe } from "../../src/xmpp/emitter.js";

/** Resolves with the first event `subscribe` delivers that matches, or rejects after `ms`. */
export function nextEvent<T>(
  subscribe: (fn: (v: T) => void) => Unsubscribe,
  match: (v: T) => boolean = () => true,
  ms = 5000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no matching event within ${ms} ms`));
    }, ms);
    const off = subscribe((v) => {
      if (!match(v)) return;
      clearTimeout(timer);
      off();
      resolve(v);
    });
  });
}
