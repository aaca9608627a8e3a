import { rotationTurn } from "./rotation.js";
import type { Person, Workgroup } from "./types.js";

/**
 * Who answers for a workgroup at `at` (ms), in priority order: people standing in by override
 * (in listed order), then whoever's turn it is under the rotation, then the members list.
 * Each person appears once; names unknown to `people` are skipped (the config rejects them).
 */
export function onCall(workgroup: Workgroup, at: number, people: readonly Person[]): Person[] {
  const names: string[] = [];
  for (const o of workgroup.overrides) if (o.from <= at && at < o.until) names.push(o.person);
  if (workgroup.rotation !== null) {
    const turn = rotationTurn(workgroup.rotation, workgroup.timezone, at);
    if (turn !== null) names.push(turn.person);
  }
  names.push(...workgroup.members);
  const found: Person[] = [];
  for (const name of names) {
    const person = findPerson(people, name);
    if (person !== undefined && !found.includes(person)) found.push(person);
  }
  return found;
}

/** Finds a person by name, ignoring case as the config's uniqueness check does. */
export function findPerson(people: readonly Person[], name: string): Person | undefined {
  const wanted = name.toLowerCase();
  return people.find((p) => p.name.toLowerCase() === wanted);
}

/** Finds a workgroup by name. */
export function findWorkgroup(workgroups: readonly Workgroup[], name: string): Workgroup | undefined {
  return workgroups.find((w) => w.name === name);
}
