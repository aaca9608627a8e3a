import { ackCommand } from "./ack.js";
import { registryWithHelp } from "./help.js";
import type { Registry } from "./registry.js";
import { showCommand } from "./show.js";

/** The spine's commands: ack, show and help. Later ones (unack, detail, history, note, ...) join this list. */
export const defaultRegistry: Registry = registryWithHelp([ackCommand, showCommand]);
