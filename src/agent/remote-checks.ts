import { checksList, type CheckSpec } from "../checks/check-config.js";
import { detailHtml } from "../checks/run-command.js";
import { object } from "../schema/combinators.js";
import { InvalidConfigError, loadYaml } from "../config/load.js";
import type { Logger } from "../log.js";
import type { Pubsub } from "../xmpp/pubsub.js";
import type { AgentAlert } from "../codec/build-update.js";
import { REJECTED_ALERT_ID } from "../codec/agent-alert-ids.js";

/** The namespace of a check config item: `<checks xmlns="urn:mauve-xmpp:config:1">YAML</checks>`. */
export const NS_MAUVE_CONFIG = "urn:mauve-xmpp:config:1";
const PAYLOAD = `{${NS_MAUVE_CONFIG}}checks`;

/** The config nodes a host reads: its own, then its groups'. */
export function configNodes(source: string, groups: readonly string[]): string[] {
  return [`mauve/config/${source}`, ...groups.map((g) => `mauve/config/group/${g}`)];
}

/** A config item as the pubsub edge hands it over. */
export interface ConfigItem {
  node: string;
  itemId: string;
  publisher?: string | undefined;
  unknownPayload?: string | undefined;
  text?: string | undefined;
}

/** Everything RemoteChecks needs, injected. */
export interface RemoteChecksDeps {
  log: Logger;
  /** The checks of the agent's own config file: they cannot be redefined remotely. */
  local: readonly CheckSpec[];
  /** Alert ids taken already (static alerts, heartbeat). */
  reserved: ReadonlySet<string>;
  publishers: readonly string[];
  /** Nodes in precedence order (the host's, then its groups'). */
  nodes: readonly string[];
  /** Remembers an accepted push (durably). */
  save(node: string, itemId: string, text: string): void;
  /** Receives the new effective check list after every accepted push. */
  apply(checks: CheckSpec[]): void;
  /** Receives the rejection alert whenever it changes. */
  report(alert: AgentAlert): void;
  /** Whether the rejection alert was raised when the agent last stopped (it stays so until judged). */
  rejectionRaised?: boolean;
}

const document = object({ checks: checksList });

/**
 * Check definitions pushed by ops to config nodes, validated and hot-reloaded. A push runs commands
 * on this host, so only configured publishers are heard; an invalid push is rejected whole, the
 * node keeps its previous checks, and the rejection is raised as an alert until a good push comes.
 */
export class RemoteChecks {
  private readonly accepted = new Map<string, readonly CheckSpec[]>();
  private readonly rejected = new Map<string, string[]>();
  private readonly lastItem = new Map<string, string>();
  private alertRaised: boolean;

  constructor(private readonly deps: RemoteChecksDeps) {
    this.alertRaised = deps.rejectionRaised ?? false;
  }

  /** Loads pushes accepted before a restart (they were valid then; one that no longer is, is dropped); see effective(). */
  restore(saved: ReadonlyArray<{ node: string; itemId: string; text: string }>): void {
    for (const s of saved) {
      if (!this.deps.nodes.includes(s.node)) continue;
      const read = this.validate(s.node, s.itemId, s.text);
      if (!read.ok) continue;
      this.accepted.set(s.node, read.checks);
      this.lastItem.set(s.node, s.itemId);
    }
  }

  /** Takes one item of a config node; says what became of it. */
  receive(item: ConfigItem): "accepted" | "rejected" | "ignored" {
    const { nodes } = this.deps;
    // The newest item is read again after every login: an item already judged changes nothing.
    if (!nodes.includes(item.node) || this.lastItem.get(item.node) === item.itemId) return "ignored";
    const outcome = this.judge(item);
    // Marked judged only once it was: one that threw (its checks could not be applied) is judged
    // again when read again, where it used to be ignored, its checks never run until a restart.
    this.lastItem.set(item.node, item.itemId);
    return outcome;
  }

  private judge(item: ConfigItem): "accepted" | "rejected" {
    const { log, publishers } = this.deps;
    const where = { node: item.node, itemId: item.itemId, publisher: item.publisher };
    let problems: string[];
    if (item.publisher === undefined)
      problems = ["the server does not say who published it (Prosody: expose_publisher = true)"];
    else if (!publishers.includes(item.publisher))
      problems = [`${item.publisher} may not push checks (remote_checks.publishers)`];
    else if (item.unknownPayload !== PAYLOAD)
      problems = [`expected a <checks xmlns="${NS_MAUVE_CONFIG}"> payload, got ${item.unknownPayload ?? "an update"}`];
    else {
      const read = this.validate(item.node, item.itemId, item.text ?? "");
      if (read.ok) {
        this.accepted.set(item.node, read.checks);
        try {
          this.deps.save(item.node, item.itemId, item.text ?? "");
        } catch (err) {
          // Applied all the same: after a restart the node's newest item (this one) is read again.
          // Thrown on, the push was never applied, and its checks never ran until a restart.
          log.warn("check config accepted but not saved: a restart reads it again from its node", {
            ...where,
            err,
          });
        }
        log.info("check config accepted", { ...where, checks: read.checks.length });
        this.setRejected(item.node, null);
        this.deps.apply(this.effective());
        return "accepted";
      }
      problems = read.problems;
    }
    log.warn("check config rejected; keeping the previous one", { ...where, problems });
    this.setRejected(item.node, problems);
    return "rejected";
  }

  /**
   * Every node's newest item has been read (after a login): a rejection raised before a restart
   * that no node's newest item bears out any more is cleared.
   */
  judged(): void {
    if (this.rejected.size === 0 && this.alertRaised) this.setRejected(null, null);
  }

  /** The local checks followed by those of each node, in node order. */
  effective(): CheckSpec[] {
    return [...this.deps.local, ...this.deps.nodes.flatMap((n) => this.accepted.get(n) ?? [])];
  }

  private validate(
    node: string,
    itemId: string,
    text: string,
  ): { ok: true; checks: readonly CheckSpec[] } | { ok: false; problems: string[] } {
    let checks: readonly CheckSpec[];
    try {
      checks = loadYaml(text, document, { file: `${node} item ${itemId}` }).checks;
    } catch (err) {
      if (err instanceof InvalidConfigError) return { ok: false, problems: err.message.split("\n") };
      throw err;
    }
    // One id names one alert: ids taken locally or by another node are refused, so no push can hijack an alert.
    const problems: string[] = [];
    checks.forEach((c, i) => {
      const owner =
        this.deps.reserved.has(c.id) || this.deps.local.some((l) => l.id === c.id)
          ? "the agent's own config"
          : this.deps.nodes.find((n) => n !== node && this.accepted.get(n)?.some((o) => o.id === c.id));
      if (owner) problems.push(`${node} item ${itemId}: checks[${i}].id: "${c.id}" is already used by ${owner}`);
    });
    return problems.length > 0 ? { ok: false, problems } : { ok: true, checks };
  }

  private setRejected(node: string | null, problems: string[] | null): void {
    if (node !== null && problems) this.rejected.set(node, problems);
    else if (node !== null) this.rejected.delete(node);
    if (this.rejected.size === 0 && !this.alertRaised) return;
    this.alertRaised = this.rejected.size > 0;
    const [first] = [...this.rejected.entries()];
    this.deps.report(
      first
        ? {
            id: REJECTED_ALERT_ID,
            state: "raised",
            summary: `check config from ${first[0]} rejected: ${first[1][0] ?? ""}`.slice(0, 1024),
            detail: detailHtml([...this.rejected.values()].flat().join("\n")),
          }
        : { id: REJECTED_ALERT_ID, state: "cleared", summary: "check config accepted" },
    );
  }
}

/**
 * After a fresh login: subscribes to each config node (ops create them; a missing one is fine) and
 * reads its newest item, which may have been published while the agent was away. Later pushes
 * arrive as events.
 */
export async function followConfigNodes(
  pubsub: Pubsub,
  service: string,
  nodes: readonly string[],
  remote: RemoteChecks,
  log: Logger,
): Promise<void> {
  let unread = 0;
  for (const node of nodes) {
    const subscribed = await pubsub.subscribe(service, node);
    if (!subscribed.ok) {
      const fields = { node, condition: subscribed.condition, text: subscribed.text };
      if (subscribed.condition === "item-not-found") log.debug("no check config node", fields);
      else {
        log.warn("cannot subscribe to a check config node", fields);
        unread++;
      }
      continue;
    }
    const items = await pubsub.getItems(service, node, 1);
    if (!items.ok) {
      log.warn("cannot read a check config node", { node, condition: items.condition });
      unread++;
      continue;
    }
    for (const item of items.items) remote.receive({ ...item, node });
  }
  // A node that could not be read may still hold the push rejected before: judged at the next login.
  if (unread === 0) remote.judged();
}
