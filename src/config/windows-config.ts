import type { Window } from "../policy/types.js";
import { list, object, optional, transform } from "../schema/combinators.js";
import { NAME_PATTERN } from "./common.js";
import { mapOf } from "../schema/policy-combinators.js";
import { hours, localDate, weekdays } from "./policy-scalars.js";
import type { Reader } from "../schema/reader.js";
import { timeZone } from "../schema/scalars.js";

const window: Reader<Window> = transform(
  object({
    timezone: timeZone(),
    days: optional(weekdays(), "mon-sun"),
    hours: hours(),
    holidays: optional(list(localDate(), { unique: [{ key: "", of: (d) => d }] }), []),
  }),
  (w) => ({ timezone: w.timezone, days: w.days, from: w.hours.from, until: w.hours.until, holidays: w.holidays }),
);

/** Reads `windows`: named working hours (`office: { timezone, days, hours, holidays }`); none by default. */
export const windowsSection: Reader<Readonly<Record<string, Window>>> = optional(mapOf(window, { pattern: NAME_PATTERN, what: "office" }), {});
