import type { Matcher, Rule } from "../policy/types.js";
import { list, maybe, object, transform } from "../schema/combinators.js";
import { name } from "./common.js";
import { check } from "../schema/policy-combinators.js";
import { importanceRange, patterns } from "./policy-scalars.js";
import type { Reader } from "../schema/reader.js";
import { enumOf } from "../schema/scalars.js";

/** The level names, as YAML spells them. */
export const level = enumOf("urgent", "normal", "low");

/** Reads a matcher (`source`, `subject`, `alert_id`, `importance`): rules and silences share it. */
export const matcherReader: Reader<Matcher> = check(
  transform(
    object({ source: maybe(patterns()), subject: maybe(patterns()), alert_id: maybe(patterns()), importance: maybe(importanceRange()) }),
    // Absent fields are left out rather than null, so a matcher built by hand looks the same.
    (m) => Object.fromEntries(Object.entries(m).filter(([, v]) => v !== null)) as Matcher,
  ),
  (m, problem) => {
    if (Object.keys(m).length === 0) problem("", "expected at least one of source, subject, alert_id, importance, got an empty mapping");
  },
);

const rule = object({
  match: maybe(matcherReader),
  level,
  workgroup: name("ops"),
  window: maybe(name("office")),
});

/**
 * Reads `rules`: first match wins, and the last rule, without `match`, is the default that catches
 * everything else; so no alert can fall through unrouted.
 */
export const rulesSection: Reader<readonly Rule[]> = transform(
  check(list(rule, { min: 1 }), (rules, problem) => {
    rules.forEach((r, i) => {
      const last = i === rules.length - 1;
      if (!last && r.match === null) problem(`[${i}].match`, "expected a match: only the last rule, the default, may leave it out");
      if (last && r.match !== null) problem(`[${i}].match`, "the last rule is the default and matches everything: remove match, or add a default rule after it");
    });
  }),
  (rules) => rules.map((r) => ({ ...r, match: r.match ?? {} })),
);
