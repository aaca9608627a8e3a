import { ackCommand } from "./ack.js";
import { clearCommand } from "./clear.js";
import { detailCommand } from "./detail.js";
import { escalateCommand } from "./escalate.js";
import { registryWithHelp } from "./help.js";
import { historyCommand } from "./history.js";
import { noteCommand } from "./note.js";
import { onCallCommand } from "./oncall.js";
import type { Registry } from "./registry.js";
import { showCommand } from "./show.js";
import { silenceCommand } from "./silence.js";
import { silencesCommand, unsilenceCommand } from "./silences.js";
import { unackCommand } from "./unack.js";

/** Every chat command, in the order help lists them: the daily ones first, help last. */
export const defaultRegistry: Registry = registryWithHelp([
  ackCommand,
  unackCommand,
  showCommand,
  detailCommand,
  historyCommand,
  noteCommand,
  clearCommand,
  silenceCommand,
  silencesCommand,
  unsilenceCommand,
  onCallCommand,
  escalateCommand,
]);
