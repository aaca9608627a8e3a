import assert from "node:assert/strict";
import { DampingWindow } from "../../src/checks/scheduler.js";

// F = a failed run, P = a passing one; each run's edge in order ("." for none).
function edges(rule: { raise: number; of: number; clear: number }, runs: string, raised = false): string {
  const w = new DampingWindow(rule, raised);
  return [...runs].map((r) => ({ raise: "R", clear: "C", null: "." })[String(w.record(r === "F"))]).join("");
}

describe("checks: k-of-n flap damping", () => {
  it("without damping (1 of 1, clear after 1) follows every run", () => {
    assert.equal(edges({ raise: 1, of: 1, clear: 1 }, "FFPPFP"), "R.C.RC");
  });

  it("raises when 3 of the last 5 runs failed, not before", () => {
    assert.equal(edges({ raise: 3, of: 5, clear: 1 }, "FPFPF"), "....R");
    assert.equal(edges({ raise: 3, of: 5, clear: 1 }, "FPPPPPFPF"), ".........", "old failures leave the window");
  });

  it("clears only after 2 passes in a row; a failure in between starts the count again", () => {
    assert.equal(edges({ raise: 1, of: 1, clear: 2 }, "FPFPPP"), "R...C.");
  });

  it("starts a fresh window after a clear, so one failure does not re-raise at once", () => {
    // Without the fresh start, the window after "FFPF" would be F,P,F: two failures, raised again.
    assert.equal(edges({ raise: 2, of: 3, clear: 1 }, "FFPF"), ".RC.");
    assert.equal(
      edges({ raise: 2, of: 3, clear: 1 }, "FFPFPF"),
      ".RC..R",
      "two failures of three after the clear do raise",
    );
  });

  it("starts from a saved raised state", () => {
    assert.equal(edges({ raise: 1, of: 1, clear: 2 }, "FPP", true), "..C");
  });
});
