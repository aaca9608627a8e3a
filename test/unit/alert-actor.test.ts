// Actor names: the web board's "(web)" is written and read in one place, and reading it back gives
// the person whatever door they came through.
import assert from "node:assert/strict";
import { actorThrough, personOfActor } from "../../src/alerts/actor.js";

describe("alert actors: a person and the door they came through", () => {
  it("names a person acting through the web board as history shows it", () => {
    assert.equal(actorThrough("alice", "web"), "alice (web)");
  });

  it("gives back the person, lower-cased, from a door's name or a plain one", () => {
    for (const [actor, person] of [
      [actorThrough("alice", "web"), "alice"],
      [actorThrough("Zoë.K", "web"), "zoë.k"],
      ["bob", "bob"],
      ["Bob", "bob"],
      ["", ""],
    ] as const)
      assert.equal(personOfActor(actor), person, actor);
  });
});
