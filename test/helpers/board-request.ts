// A request to the web board's routes as the HTTP listener hands it over, for tests without sockets.
import type { IncomingHttpHeaders } from "node:http";
import type { Clock } from "../../src/clock/clock.js";
import type { BotConfig } from "../../src/config/bot-config.js";
import type { HttpRequest, HttpResponse } from "../../src/http/listener.js";
import { createLogger } from "../../src/log.js";
import type { Store } from "../../src/store/store.js";
import { WebBoard, type WebBoardDeps } from "../../src/web/web-board.js";

/** `method` on `target` (a path and query) with the session cookie, a form body and other `headers`. */
export function boardRequest(
  method: string,
  target: string,
  cookie = "",
  body = "",
  headers: IncomingHttpHeaders = {},
): HttpRequest {
  const url = new URL(target, "http://127.0.0.1");
  return {
    method,
    path: url.pathname,
    query: url.searchParams,
    headers: { cookie, "content-type": "application/x-www-form-urlencoded", ...headers },
    body: Buffer.from(body),
    remote: "127.0.0.1",
  };
}

/** The text of an answer (none for a stream). */
export const textOf = (r: HttpResponse): string => ("text" in r ? r.text : "");

/**
 * A web board over `store` for tests without sockets: silent log, nobody's presence, no agent
 * status; `deps` says what the test needs besides (its `act`, `troubles`, a view's pace).
 */
export function testWebBoard(
  store: Store,
  clock: Clock,
  config: BotConfig,
  deps: Partial<Pick<WebBoardDeps, "act" | "troubles" | "viewMsPerAlert" | "address">> = {},
): WebBoard {
  return new WebBoard({
    store,
    clock,
    log: createLogger({ level: "error", sink: () => undefined }),
    config: () => config.http!.board!,
    address: { host: "127.0.0.1", port: 9095 },
    policy: () => config,
    act: () => Promise.resolve({ ok: true, reply: "" }),
    presence: () => "offline",
    agentStatus: () => undefined,
    lastFullState: () => undefined,
    ...deps,
  });
}

/** Signs `name` in with a link the board issued (as `web` in chat hands out): the session cookie. */
export async function signedInCookie(web: WebBoard, name: string): Promise<string> {
  const token = new URL(web.issueLink({ name }).url).searchParams.get("t")!;
  const signIn = web.routes().find((r) => r.method === "POST" && r.path === "/sign-in")!;
  const answer = await signIn.handle(boardRequest("POST", "/sign-in", "", `t=${token}`));
  return /mauve_board=[^;]+/.exec(answer.headers?.["set-cookie"] ?? "")![0];
}
