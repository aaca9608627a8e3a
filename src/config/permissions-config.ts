import type { Permissions } from "../commands/authorize.js";
import { list, maybe, object, optional, transform } from "../schema/combinators.js";
import { NAME_PATTERN } from "./common.js";
import { mapOf } from "../schema/policy-combinators.js";
import type { Reader } from "../schema/reader.js";
import { str } from "../schema/scalars.js";

const names = maybe(list(str({ what: 'a person\'s name, or "*" for everyone' }), { min: 1 }));

const actions: Reader<Permissions[string]> = transform(
  object({ ack: names, clear: names, silence: names, escalate: names }),
  (a) => Object.fromEntries(Object.entries(a).filter(([, v]) => v !== null)) as Permissions[string],
);

/**
 * Reads `permissions`: per workgroup (or "*" for all), who may ack, clear, silence and escalate.
 * An action not listed is open to every configured person; no section at all is the default.
 */
export const permissionsSection: Reader<Permissions> = optional(
  mapOf(actions, { pattern: new RegExp(`^\\*$|${NAME_PATTERN.source}`, "u"), what: "ops" }),
  {},
);
