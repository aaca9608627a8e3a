import { matches } from "./matcher.js";
import type { AlertFacts } from "./matcher.js";
import type { Level, Rule } from "./types.js";

/** What the rules decided for one alert. */
export interface Classification {
  readonly level: Level;
  readonly workgroup: string;
  /** The window notifications wait for, when the rule names one. */
  readonly window?: string;
  /** Which rule matched (its index in the config's `rules` list). */
  readonly ruleIndex: number;
}

/**
 * Classifies an alert by the first rule that matches it. The config guarantees a last rule without
 * a matcher, so running off the end is a bug in whoever built the rules, and throws.
 */
export function classify(rules: readonly Rule[], alert: AlertFacts): Classification {
  const ruleIndex = rules.findIndex((rule) => matches(rule.match, alert));
  const rule = rules[ruleIndex];
  if (rule === undefined) throw new Error("policy rules have no default: the last rule must match every alert");
  const base = { level: rule.level, workgroup: rule.workgroup, ruleIndex };
  return rule.window === null ? base : { ...base, window: rule.window };
}
