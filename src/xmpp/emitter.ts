// A small typed event emitter whose listeners cannot break the emitter:
// an exception in a listener goes to `onListenerError`, never up the stack.

/** Removes the listener it was returned for. */
export type Unsubscribe = () => void;

/** Emits events of the map `E` (event name -> payload type). */
export class TypedEmitter<E extends object> {
  private readonly listeners = new Map<keyof E, Set<(payload: never) => void>>();

  constructor(private readonly onListenerError: (err: unknown, event: keyof E) => void) {}

  /** Adds a listener; the returned function removes it. */
  on<K extends keyof E>(event: K, listener: (payload: E[K]) => void): Unsubscribe {
    let set = this.listeners.get(event);
    if (!set) {
      set = new Set();
      this.listeners.set(event, set);
    }
    const entry = listener as (payload: never) => void;
    set.add(entry);
    return () => {
      set.delete(entry);
    };
  }

  /** Calls every listener of `event` in registration order. */
  emit<K extends keyof E>(event: K, payload: E[K]): void {
    const set = this.listeners.get(event);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        (listener as (p: E[K]) => void)(payload);
      } catch (err) {
        this.onListenerError(err, event);
      }
    }
  }

  /** How many listeners `event` has. */
  count(event: keyof E): number {
    return this.listeners.get(event)?.size ?? 0;
  }
}
