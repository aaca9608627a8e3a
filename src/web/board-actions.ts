/** The actions the board offers, each the chat command of the same name. */
export type BoardOp = "ack" | "unack" | "note" | "clear" | "escalate" | "silence" | "unsilence";

const OPS: readonly BoardOp[] = ["ack", "unack", "note", "clear", "escalate", "silence", "unsilence"];

/**
 * An alert's number as a form or an address writes it: decimal digits only, or null. `Number()`
 * alone took "1e0", "0x1" and " 1" for alert #1, so one alert had many addresses.
 */
export function readAlertNumber(text: string): number | null {
  return /^\d{1,15}$/.test(text) ? Number(text) : null;
}

// Form fields come from a browser: folded to one line and bounded, like a chat line.
function field(form: URLSearchParams, name: string, max = 500): string {
  return (form.get(name) ?? "").replace(/\s+/g, " ").trim().slice(0, max);
}

/**
 * The chat command a board form stands for: the board runs it through the same door as chat, so
 * the rules, permissions and replies are the same. The form's words go where a person would type
 * them; the command's own parser judges them.
 */
export function commandLine(form: URLSearchParams): { ok: true; line: string } | { ok: false; text: string } {
  const op = form.get("op") ?? "";
  if (!(OPS as readonly string[]).includes(op))
    return { ok: false, text: `The board has no action "${op.slice(0, 40)}".` };
  const id = field(form, "id", 20);
  const note = field(form, "note");
  const duration = field(form, "duration", 40);
  const because = note === "" ? "" : ` because ${note}`;
  if (op !== "silence" && readAlertNumber(id) === null)
    return { ok: false, text: "Which one? The form had no number." };
  switch (op as BoardOp) {
    case "ack":
      return { ok: true, line: `ack ${id}${duration === "" ? "" : ` for ${duration}`}${because}` };
    case "unack":
      return { ok: true, line: `unack ${id}${because}` };
    case "clear":
      return { ok: true, line: `clear ${id}${because}` };
    case "note":
      return note === "" ? { ok: false, text: "Write the note first." } : { ok: true, line: `note ${id} ${note}` };
    case "escalate":
      return { ok: true, line: `escalate ${id}` };
    case "unsilence":
      return { ok: true, line: `unsilence ${id}` };
    case "silence": {
      const matcher = field(form, "matcher");
      if (matcher === "") return { ok: false, text: "Say which alerts to silence." };
      return { ok: true, line: `silence ${matcher} for ${duration}${because}` };
    }
  }
}
