/** The commands package's public surface, for the bot's wiring. */
export { defaultRegistry } from "./default-registry.js";
export { ackCommand, type AckArgs } from "./ack.js";
export { alertLine, alertName, IMPORTANCE_BANDS, importanceLabel } from "./format.js";
export { helpCommand, registryWithHelp, type HelpArgs } from "./help.js";
export { parseCommand, splitCommandLine, type ParseResult } from "./parse.js";
export { recognisePerson, type Person } from "./person.js";
export { createRegistry, unknownCommandMessage, type Registry } from "./registry.js";
export { runCommand, type CommandOutcome } from "./run.js";
export { SHOW_MAX_LINES, showCommand, type ShowArgs } from "./show.js";
export type { AckOutcome, AlertFilter, ArgsResult, Command, CommandAlerts, CommandContext } from "./types.js";
