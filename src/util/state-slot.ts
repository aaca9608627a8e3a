// One durable text of AlertBot's own, kept across restarts (a row of the store's bot_state): what
// a component remembers without knowing where. The store gives them (PolicyStore.slot); a test
// gives a variable.

/** A text kept across restarts; load() is undefined until something was saved. */
export interface StateSlot {
  load(): string | undefined;
  save(text: string): void;
}
