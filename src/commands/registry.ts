import type { Command } from "./types.js";

/** The commands the bot understands, found by name or alias. */
export interface Registry {
  /** In the order help lists them. */
  readonly commands: readonly Command<unknown>[];
  find(word: string): Command<unknown> | undefined;
}

/** Builds a registry; a word claimed twice is a programming error and throws. */
export function createRegistry(commands: readonly Command<unknown>[]): Registry {
  const byWord = new Map<string, Command<unknown>>();
  for (const command of commands) {
    for (const word of [command.name, ...command.aliases]) {
      const key = word.toLowerCase();
      if (byWord.has(key)) throw new Error(`command word "${key}" is registered twice`);
      byWord.set(key, command);
    }
  }
  return { commands, find: (word) => byWord.get(word.toLowerCase()) };
}

/** The reply to a word that names no command, with a suggestion when it looks like a typo. */
export function unknownCommandMessage(word: string, registry: Registry): string {
  const names = registry.commands.map((c) => c.name);
  const close = registry.commands.find((c) => [c.name, ...c.aliases].some((w) => isTypo(word.toLowerCase(), w)));
  const guess = close === undefined ? "" : ` Did you mean "${close.name}"?`;
  return `I don't know "${word}".${guess} Try: ${names.join(", ")}`;
}

// One letter wrong, missing, extra, or two neighbours swapped ("akc", "shw", "hepl").
function isTypo(a: string, b: string): boolean {
  if (a === b || Math.abs(a.length - b.length) > 1 || Math.min(a.length, b.length) < 2) return false;
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  const [ra, rb] = [a.slice(i), b.slice(i)];
  const swapped = ra.length > 1 && ra[0] === rb[1] && ra[1] === rb[0] && ra.slice(2) === rb.slice(2);
  return swapped || ra.slice(1) === rb.slice(1) || ra.slice(1) === rb || ra === rb.slice(1);
}
