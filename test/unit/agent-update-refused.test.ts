// An update the server refuses for good is dropped, but not in silence: the agent raises its own
// alert and sends where each alert stands again without texts, clears the alert once a full state
// with texts goes through, and never loops when the server refuses everything.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AgentCore, type PublishPort, type PublishResult } from "../../src/agent/agent-core.js";
import { FakeClock } from "../../src/clock/fake-clock.js";
import { UPDATE_REFUSED_ALERT_ID } from "../../src/codec/agent-alert-ids.js";
import { unwrapPayload } from "../../src/codec/payload.js";
import type { Alert, AlertUpdate } from "../../src/codec/types.js";
import { Outbox } from "../../src/store/outbox.js";
import { LogLines } from "../helpers/spine.js";

const TOO_BIG: PublishResult = { ok: false, condition: "not-acceptable", text: "payload-too-big" };

/** A server that refuses, for good, every payload longer than `maxChars` of base64 (ejabberd's max_payload_size). */
class LimitedPort implements PublishPort {
  readonly attempts: AlertUpdate[] = [];
  readonly published: AlertUpdate[] = [];
  constructor(
    public maxChars: number,
    private readonly refusal: PublishResult = TOO_BIG,
  ) {}
  async publish(payload: { data: string; text: string }): Promise<PublishResult> {
    const update = unwrapPayload(payload);
    this.attempts.push(update);
    if (payload.data.length > this.maxChars) return this.refusal;
    this.published.push(update);
    return { ok: true };
  }
}

const find = (u: AlertUpdate | undefined, id: string): Alert | undefined => u?.alerts.find((a) => a.id === id);
const isRaised = (a: Alert | undefined): boolean => a !== undefined && a.raiseTimeS > 0 && a.clearTimeS === 0;
const isCleared = (a: Alert | undefined): boolean => a !== undefined && a.clearTimeS > 0;
const noDetails = (u: AlertUpdate): boolean => u.alerts.every((a) => a.detail === "");
const noTexts = (u: AlertUpdate): boolean => u.alerts.every((a) => a.summary === "" && a.detail === "");
const BIG = "x".repeat(5_000);

describe("agent: an update the server refuses for good", () => {
  let dir: string;
  let clock: FakeClock;
  let logs: LogLines;
  let outbox: Outbox;
  const make = (): AgentCore => new AgentCore({ clock, log: logs.logger, outbox, source: "web1", heartbeatMs: null });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "mauve-agent-refused-"));
    clock = new FakeClock();
    logs = new LogLines();
    outbox = new Outbox(join(dir, "outbox.sqlite"));
  });
  afterEach(() => {
    outbox.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("raises its own alert and sends every alert's state and summary again, without details, at once", async () => {
    const core = make();
    const port = new LimitedPort(3_000);
    core.setPort(port);
    core.change([{ id: "disk", state: "raised", summary: "disk 97% full" }]);
    await core.pump();
    core.change([{ id: "report", state: "raised", summary: "big report", detail: BIG }]);
    await core.pump();

    assert.equal(port.attempts.length, 4, "disk, report (refused), the alert, the states");
    const [own, states] = port.published.slice(1);
    const alert = find(own, UPDATE_REFUSED_ALERT_ID);
    assert.ok(isRaised(alert));
    assert.match(alert!.summary, /refused an update for good \(not-acceptable: payload-too-big\)/);
    assert.equal(states?.replace, true);
    assert.ok(noDetails(states), "no details, so the server takes it");
    assert.ok(isRaised(find(states, "report")), "AlertBot hears that report is raised");
    assert.equal(find(states, "report")?.summary, "big report", "and what it says");
    assert.ok(isRaised(find(states, "disk")));
    assert.ok(isRaised(find(states, UPDATE_REFUSED_ALERT_ID)));
    assert.equal(core.backlog(), 0);
    const said = logs.lines.filter((l) => l["level"] === "error").map((l) => l["msg"]);
    assert.deepEqual(said, [
      "server refused an update for good; dropping it, sending the alerts' states again without their details and raising mauve-agent-update-refused",
    ]);
  });

  it("keeps its alert raised while full states are refused, and clears it once one is taken", async () => {
    const core = make();
    const port = new LimitedPort(3_000);
    core.setPort(port);
    core.change([{ id: "report", state: "raised", summary: "big report", detail: BIG }]);
    await core.pump();
    const raisedAt = port.published.length;

    core.queueFullState(); // the report is still too big
    await core.pump();
    const after = port.published.slice(raisedAt);
    assert.equal(after.length, 1, "only the states again: the alert is already raised");
    assert.ok(noDetails(after[0]!));
    assert.ok(after.every((u) => !isCleared(find(u, UPDATE_REFUSED_ALERT_ID))));

    core.change([{ id: "report", state: "cleared", summary: "report fine" }]);
    await core.pump();
    assert.ok(!isCleared(find(port.published.at(-1), UPDATE_REFUSED_ALERT_ID)), "a small change is no full state");
    core.queueFullState();
    await core.pump();
    const [full, cleared] = port.published.slice(-2);
    assert.equal(full?.replace, true);
    assert.equal(find(full, UPDATE_REFUSED_ALERT_ID)?.summary.startsWith("the XMPP server refused"), true);
    assert.ok(isCleared(find(cleared, UPDATE_REFUSED_ALERT_ID)), "cleared once a full state with texts got through");
    assert.ok(logs.lines.some((l) => String(l["msg"]).startsWith("the server took a full state with its texts again")));

    // Refused again later: raised again.
    core.change([{ id: "report", state: "raised", summary: "big again", detail: BIG }]);
    await core.pump();
    assert.ok(isRaised(find(port.published.at(-2), UPDATE_REFUSED_ALERT_ID)));
  });

  it("sends the states once for refusals queued before them", async () => {
    const core = make();
    const port = new LimitedPort(3_000);
    core.change([{ id: "a", state: "raised", detail: BIG }]);
    core.change([{ id: "b", state: "raised", detail: BIG }]);
    core.setPort(port);
    await core.pump();
    assert.equal(port.attempts.length, 4, "a and b refused; then the alert and the states, once");
    assert.ok(isRaised(find(port.published[1], "a")) && isRaised(find(port.published[1], "b")));
    assert.ok(logs.lines.some((l) => String(l["msg"]).endsWith("(the states sent after it cover it)")));
  });

  it("sends the states without any text when the server refuses them with their summaries", async () => {
    const core = make();
    const port = new LimitedPort(1_000);
    const many = Array.from({ length: 12 }, (_, i) => ({
      id: `svc${i}`,
      state: "raised" as const,
      summary: "s".repeat(80),
    }));
    core.change(many);
    core.setPort(port);
    await core.pump();
    assert.equal(port.attempts.length, 4, "the change (refused), the alert, the summaries (refused), the bare states");
    const bare = port.published.at(-1);
    assert.ok(noTexts(bare!) && bare!.replace);
    assert.equal(bare!.alerts.filter(isRaised).length, 13, "the twelve and the agent's own");
    assert.ok(
      logs.lines.some((l) => String(l["msg"]).startsWith("server refused the alerts' states with their summaries")),
    );
  });

  it("does not loop when the server refuses everything", async () => {
    const core = make();
    const port = new LimitedPort(0, { ok: false, condition: "policy-violation" });
    core.setPort(port);
    core.change([{ id: "a", state: "raised", summary: "one" }]);
    await core.pump();
    clock.advance(60_000);
    await core.pump();
    assert.equal(port.attempts.length, 4, "the change, the alert, the summaries, the bare states: then nothing more");
    assert.equal(core.backlog(), 0);
    assert.ok(
      logs.lines.some((l) => l["msg"] === "server refused even the alerts' states without their texts; dropping them"),
    );
  });
});
