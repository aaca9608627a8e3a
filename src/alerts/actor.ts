// Who did something to an alert, as acks, silences and history name them: a person's name, or a
// person's name and the door they came through ("alice (web)"). The one place that writes that
// form and reads the person back out of it: names are one word (src/config/common.ts), so the
// door's part is never part of a name.

/** The doors other than chat that a person acts through. */
export type ActorDoor = "web";

/** The actor name of `person` acting through `door`: actorThrough("alice", "web") is "alice (web)". */
export function actorThrough(person: string, door: ActorDoor): string {
  return `${person} (${door})`;
}

/** The person behind an actor name, lower-cased: "alice (web)" and "Alice" are both "alice". */
export function personOfActor(actor: string): string {
  return actor.replace(/ \([^()]*\)$/, "").toLowerCase();
}
