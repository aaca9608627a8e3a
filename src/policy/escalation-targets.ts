import { findPerson, findWorkgroup, onCall } from "./on-call.js";
import type { Person, Policy, StepTarget, Workgroup } from "./types.js";

/** Describes a step's target for people reading history: "next on call", "workgroup dba". */
export function describeTarget(target: StepTarget): string {
  switch (target.kind) {
    case "oncall":
      return "on call";
    case "next":
      return "next on call";
    case "all":
      return "everyone on call";
    case "person":
      return target.name;
    case "workgroup":
      return `workgroup ${target.name}`;
  }
}

/**
 * Who a step notifies at `now`. `oncall` is whoever is first in line now (told again if already
 * told); `next` is the first in line not yet told this round, so a handover mid-chain reaches the
 * new person; another workgroup gives its first untold person, else its first.
 */
export function resolveTarget(target: StepTarget, workgroup: Workgroup, policy: Policy, now: number, told: ReadonlySet<string>): Person[] {
  const line = (wg: Workgroup): Person[] => onCall(wg, now, policy.people);
  switch (target.kind) {
    case "oncall":
      return line(workgroup).slice(0, 1);
    case "all":
      return line(workgroup);
    case "next":
      return line(workgroup).filter((p) => !told.has(p.name)).slice(0, 1);
    case "person": {
      const person = findPerson(policy.people, target.name);
      return person === undefined ? [] : [person];
    }
    case "workgroup": {
      const other = findWorkgroup(policy.workgroups, target.name);
      const people = other === undefined ? [] : line(other);
      const pick = people.find((p) => !told.has(p.name)) ?? people[0];
      return pick === undefined ? [] : [pick];
    }
  }
}
