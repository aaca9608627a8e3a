import type { AgentAlert } from "../codec/build-update.js";
import { detailHtml } from "./plugin-output.js";
import type { CheckRun, CheckSpec } from "./types.js";

/** The alert a check's run stands for: raised with the importance of its status, or cleared. */
export function checkAlert(spec: CheckSpec, run: CheckRun, state: "raised" | "cleared"): AgentAlert {
  const detail = detailHtml(run.detail);
  return {
    id: spec.id,
    state,
    ...(spec.subject !== null ? { subject: spec.subject } : {}),
    ...(run.summary !== "" ? { summary: run.summary } : {}),
    ...(detail !== "" ? { detail } : {}),
    ...(state === "raised" && run.status !== "ok" ? { importance: spec.importance[run.status] } : {}),
  };
}
