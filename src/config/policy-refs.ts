import type { Person, Rule, Window, Workgroup } from "../policy/types.js";
import { BROADCAST } from "./escalation-config.js";
import { joinPath } from "../schema/policy-combinators.js";
import type { Problem } from "../schema/policy-combinators.js";
import { INVALID } from "../schema/reader.js";
import type { Reader } from "../schema/reader.js";

/** The sections that refer to each other, as read, before defaults that need the others. */
export interface PolicySections {
  readonly people: readonly Person[];
  readonly workgroups: readonly Workgroup[] | null;
  readonly rules: readonly Rule[] | null;
  readonly windows: Readonly<Record<string, Window>>;
}

/** The same sections, with defaults filled and every name resolved. */
export type ResolvedPolicy<T extends PolicySections> = Omit<T, "workgroups" | "rules"> & {
  readonly workgroups: readonly Workgroup[];
  readonly rules: readonly Rule[];
};

function unknown(kind: string, wanted: string, known: readonly string[]): string {
  return `no ${kind} named ${JSON.stringify(wanted)} (${kind === "person" ? "people" : `${kind}s`}: ${known.length === 0 ? "none configured" : known.join(", ")})`;
}

function checkNames(policy: ResolvedPolicy<PolicySections>, problem: Problem): void {
  const people = policy.people.map((p) => p.name);
  const groups = policy.workgroups.map((w) => w.name);
  const windows = Object.keys(policy.windows);
  const person = (at: string, n: string): void => {
    if (!people.some((p) => p.toLowerCase() === n.toLowerCase())) problem(at, unknown("person", n, people));
  };
  const group = (at: string, n: string): void => void (groups.includes(n) || problem(at, unknown("workgroup", n, groups)));
  const window = (at: string, n: string | null): void => void (n === null || Object.hasOwn(policy.windows, n) || problem(at, unknown("window", n, windows)));

  policy.workgroups.forEach((w, i) => {
    const at = `workgroups[${i}]`;
    w.members.forEach((m, j) => person(`${at}.members[${j}]`, m));
    w.rotation?.shifts.forEach((s, k) => s.people.forEach((p, j) => person(`${at}.rotation.shifts[${k}].people[${j}]`, p)));
    w.overrides.forEach((o, k) => person(`${at}.overrides[${k}].person`, o.person));
    window(`${at}.working_hours`, w.workingHours);
    for (const level of ["urgent", "normal", "low"] as const) {
      w.escalation[level].steps.forEach((s, j) => {
        const stepAt = `${at}.escalation.${level}.steps[${j}]`;
        if (s.notify.kind === "person") person(`${stepAt}.notify`, s.notify.name);
        if (s.notify.kind === "workgroup") group(`${stepAt}.notify`, s.notify.name);
        window(`${stepAt}.window`, s.window);
      });
    }
  });
  policy.rules.forEach((r, i) => {
    group(`rules[${i}].workgroup`, r.workgroup);
    window(`rules[${i}].window`, r.window);
  });
}

/**
 * Fills the defaults that depend on other sections and checks every cross-reference (a rule naming
 * an unknown workgroup, a step naming an unknown person), each reported at its own key. With no
 * `workgroups`, everyone is told everything at once, as before policies existed.
 */
export function resolvePolicy<T extends PolicySections>(reader: Reader<T>): Reader<ResolvedPolicy<T>> {
  return (value, path, ctx) => {
    const read = reader(value, path, ctx);
    if (read === INVALID) return INVALID;
    const everyone: Workgroup = {
      name: "everyone",
      members: read.people.map((p) => p.name),
      timezone: "UTC",
      rotation: null,
      overrides: [],
      room: null,
      escalation: BROADCAST,
      workingHours: null,
    };
    if (read.workgroups !== null && read.rules === null) {
      ctx.report(joinPath(path, "rules"), "expected a list of rules ending with a default (without match), since workgroups are configured, got nothing");
      return INVALID;
    }
    const workgroups = read.workgroups ?? [everyone];
    const rules = read.rules ?? [{ match: {}, level: "normal", workgroup: everyone.name, window: null }];
    const resolved = { ...read, workgroups, rules };
    let ok = true;
    checkNames(resolved, (relative, text) => {
      ctx.report(joinPath(path, relative), text);
      ok = false;
    });
    return ok ? resolved : INVALID;
  };
}
