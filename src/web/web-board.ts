import type { Clock } from "../clock/clock.js";
import type { BoardConfig } from "../http/board-config.js";
import type { HttpRequest, HttpResponse, Route } from "../http/listener.js";
import type { Logger } from "../log.js";
import type { BotTrouble } from "../commands/types.js";
import { activeSilences, classify } from "../policy/matcher.js";
import type { Presence } from "../policy/delivery.js";
import { DELIVERY_FORM } from "../policy/delivery-codec.js";
import { HOST_DOWN_ALERT_ID } from "../policy/inhibit.js";
import type { Matcher, Person, Policy } from "../policy/types.js";
import type { Store } from "../store/store.js";
import { alertMain } from "./alert-page.js";
import { agentsMain } from "./agents-page.js";
import { BOARD_CSS, BOARD_JS } from "./assets.js";
import { boardMain } from "./board-page.js";
import { BoardViewBuilder, boardState, readBoardQuery, type BoardQuery, type BoardView } from "./board-rows.js";
import { stackedBars, type Series } from "./charts.js";
import { html, toText, type Html } from "./html.js";
import { page, plainPage, type Viewer } from "./layout.js";
import { FEED_INTERVAL_MS, LiveFeed } from "./live-feed.js";
import { onCallMain } from "./oncall-page.js";
import { ROTA_HORIZON_MS, workgroupRota } from "./rota.js";
import { Sessions, type Session } from "./sessions.js";
import { silencesMain } from "./silences-page.js";
import { fromBoardPage } from "./same-origin.js";
import { SignInLinks, type LinkRefusal } from "./sign-in.js";
import { commandLine, readAlertNumber } from "./board-actions.js";
import { eachSlice, nextTurn, VIEW_MS_PER_ALERT } from "../util/batching.js";

/** What the board needs from the running bot. */
export interface WebBoardDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly log: Logger;
  readonly config: () => BoardConfig;
  /** Where the listener is, for links when `config.url` is not set. */
  readonly address: { readonly host: string; readonly port: number };
  /** The people and policy in force now (a reload replaces them). */
  readonly policy: () => Policy & { readonly people: readonly Person[] };
  /** Runs a command for the person with this JID through the bot's one door for commands. */
  act(jid: string, line: string): Promise<{ ok: boolean; reply: string }>;
  /** A person's chat presence, as the bot has heard it. */
  presence(jid: string): Presence;
  /** The presence status an agent account last sent (its status line, with its backlog), if any. */
  agentStatus(jid: string): { readonly status: string; readonly at: number } | undefined;
  /** When a source last sent its full state since the bot started, if it has. */
  lastFullState(source: string): number | undefined;
  /** What is wrong with AlertBot itself now that no alert records (shown above the alerts). */
  troubles?(): readonly BotTrouble[];
  /** How long a board view serves, and the live feed waits, per alert the view counts (DEFAULT_VIEW_MS_PER_ALERT). */
  viewMsPerAlert?: number;
}

const COOKIE = "mauve_board";
const FLASH_MS = 15_000;
const CHART_CACHE_MS = 30_000;
/** How long a computed board view may serve other boards with the same filters, at least (the feed's own pace). */
const VIEW_REUSE_MS = 1_000;
/**
 * How long a board view serves, per alert it counts, and so how long the live feed waits between
 * two "something changed" (each makes every open board fetch itself again): VIEW_MS_PER_ALERT, as
 * the status node's board.
 */
const DEFAULT_VIEW_MS_PER_ALERT = VIEW_MS_PER_ALERT;
/** Open alerts graded per turn of the event loop while a view is built: chat and updates go in between. */
export const VIEW_SLICE = 1_000;
/** Distinct filter sets kept at once; past that the cache starts again. */
const VIEWS_KEPT = 64;
const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  // Sign-in links carry their token in the address: it must not leak to other sites.
  "referrer-policy": "no-referrer",
  "cache-control": "no-store",
};

/**
 * The web board (issue 14, docs/web.md): pages rendered on the server from the store, actions run
 * as chat commands by the signed-in person, sign-in by one-time links from the `web` command,
 * live refresh over server-sent events. It adds its routes to AlertBot's HTTP listener.
 */
export class WebBoard {
  readonly feed: LiveFeed;
  private readonly links: SignInLinks;
  private readonly sessions: Sessions;
  /**
   * What an action answered, by session, for the page it went back to (see `flash`). Kept for
   * FLASH_MS rather than shown once: the live feed refetches that page as things change.
   */
  private readonly flashes = new Map<string, { text: string; until: number; page: string }>();
  private readonly charts = new Map<
    string,
    { at: number; rows: Array<{ source: string; slot: number; count: number }> }
  >();

  /**
   * Board views, built or being built, by query: every open board fetches itself again after each
   * "something changed", and boards with the same filters share one pass over the open alerts. A
   * view serves while it is current (see `view`), and ages out, later the more alerts it counts:
   * acks and silences end with time, not by a change.
   */
  private readonly views = new Map<string, ViewEntry>();
  /** How many alerts the last view built counted: the live feed's pace follows it. */
  private alertsCounted = 0;

  constructor(private readonly deps: WebBoardDeps) {
    this.feed = new LiveFeed(deps.clock, () => Math.max(FEED_INTERVAL_MS, this.viewCostMs(this.alertsCounted)));
    this.links = new SignInLinks(() => deps.config().linkTtlMs);
    this.sessions = new Sessions(() => deps.config().sessionTtlMs, deps.store.policy.slot("web-sessions"));
  }

  /** The address of the board as people reach it. */
  get baseUrl(): string {
    const configured = this.deps.config().url;
    if (configured !== null) return configured;
    const { host, port } = this.deps.address;
    return `http://${host.includes(":") ? `[${host}]` : host}:${port}/`;
  }

  /** A one-time sign-in link for a configured person (the `web` command's answer). */
  issueLink(person: { readonly name: string }): { url: string; validMs: number } {
    const { token } = this.links.issue(person.name, this.deps.clock.now());
    return { url: `${this.baseUrl}sign-in?t=${token}`, validMs: this.deps.config().linkTtlMs };
  }

  /** Something the board shows may have changed. */
  changed(): void {
    this.feed.changed();
  }

  /** The config was reloaded: people no longer in it lose their links, sessions and live streams. */
  peopleChanged(): void {
    const allowed = (name: string): boolean => this.allowed(name);
    this.links.keepOnly(allowed);
    const ended = this.sessions.keepOnly(allowed);
    this.feed.keepOnly(allowed);
    if (ended > 0) this.deps.log.info("web board sessions ended: their people left the config", { ended });
  }

  /** Ends the live streams (the bot is stopping). */
  close(): void {
    this.feed.close();
  }

  /** Every route of the board, for the HTTP listener. */
  routes(): Route[] {
    const get = (path: string, handle: (req: HttpRequest) => HttpResponse | Promise<HttpResponse>): Route => ({
      method: "GET",
      path,
      handle,
    });
    // Every POST changes something; sign-in and sign-out have no session CSRF token to carry
    // (sign-in has no session yet), so the browser's word on where the form came from decides.
    const post = (path: string, handle: (req: HttpRequest) => HttpResponse | Promise<HttpResponse>): Route => ({
      method: "POST",
      path,
      handle: (req) => this.fromOtherSite(req) ?? handle(req),
    });
    return [
      get("/assets/board.css", () => asset(BOARD_CSS, "text/css; charset=utf-8")),
      get("/assets/board.js", () => asset(BOARD_JS, "text/javascript; charset=utf-8")),
      get("/sign-in", (req) => this.signInPage(req)),
      post("/sign-in", (req) => this.signIn(req)),
      post("/sign-out", (req) => this.signOut(req)),
      get("/", (req) => this.signedIn(req, (v) => this.boardPage(req, v))),
      get("/alert", (req) => this.signedIn(req, (v) => this.alertPage(req, v))),
      get("/agents", (req) => this.signedIn(req, (v) => this.agentsPage(v))),
      get("/oncall", (req) => this.signedIn(req, (v) => this.onCallPage(v))),
      get("/silences", (req) => this.signedIn(req, (v) => this.silencesPage(req, v))),
      get("/chart.svg", (req) => this.signedIn(req, () => this.chart(req))),
      get("/events", (req) => this.signedIn(req, (v) => ({ status: 200, stream: this.feed.stream(v.person) }))),
      post("/action", (req) => this.action(req)),
    ];
  }

  // --- sign-in -------------------------------------------------------------------------------

  private fromOtherSite(req: HttpRequest): HttpResponse | null {
    const verdict = fromBoardPage(req.headers, this.deps.config().url);
    if (verdict.ok) return null;
    this.deps.log.warn("web board request from another site refused", {
      path: req.path,
      reason: verdict.reason,
      seen: verdict.seen,
      remote: req.remote,
    });
    return htmlAnswer(
      403,
      plainPage(
        "Refused",
        html`<p id="refusal">This form came from another site, not from the board: nothing was done.</p>
          <p>Open the board, or your sign-in link, and try again there.</p>`,
      ),
    );
  }

  private allowed(name: string): boolean {
    return this.deps.policy().people.some((p) => p.name === name);
  }

  private session(req: HttpRequest): { id: string; session: Session } | null {
    const id = cookie(req, COOKIE);
    const session = this.sessions.find(id, this.deps.clock.now(), (name) => this.allowed(name));
    return session === null || id === undefined ? null : { id, session };
  }

  private signedIn(
    req: HttpRequest,
    render: (viewer: Viewer) => HttpResponse | Promise<HttpResponse>,
  ): HttpResponse | Promise<HttpResponse> {
    const found = this.session(req);
    if (found === null)
      return htmlAnswer(
        401,
        plainPage(
          "Sign in",
          html`<p>
            Say <b>web</b> to AlertBot in a direct chat: it answers with a sign-in link that works once, for you only.
          </p>`,
        ),
      );
    return render({ person: found.session.person, csrf: found.session.csrf });
  }

  private signInPage(req: HttpRequest): HttpResponse {
    const token = req.query.get("t") ?? "";
    const seen = this.links.peek(token, this.deps.clock.now());
    if (!seen.ok || !this.allowed(seen.person)) return refused(seen.ok ? "unknown" : seen.reason);
    // A button rather than signing in on GET: chat clients fetch links for previews, and that must not use it up.
    return htmlAnswer(
      200,
      plainPage(
        "Sign in to Mauve",
        html`<form method="post" action="/sign-in">
          <input type="hidden" name="t" value="${token}" />
          <p><button type="submit" id="sign-in">Sign in as ${seen.person}</button></p>
        </form>`,
      ),
    );
  }

  private signIn(req: HttpRequest): HttpResponse {
    const form = readForm(req);
    const now = this.deps.clock.now();
    const used = this.links.redeem(form?.get("t") ?? "", now);
    if (!used.ok || !this.allowed(used.person)) {
      this.deps.log.warn("web board sign-in refused", {
        reason: used.ok ? "not-configured" : used.reason,
        remote: req.remote,
      });
      return refused(used.ok ? "unknown" : used.reason);
    }
    const { id } = this.sessions.open(used.person, now);
    this.deps.log.info("web board sign-in", { person: used.person, remote: req.remote });
    const { sessionTtlMs, secureCookie } = this.deps.config();
    const attributes = `Path=/; HttpOnly; SameSite=Lax; Max-Age=${Math.floor(sessionTtlMs / 1000)}${secureCookie ? "; Secure" : ""}`;
    return redirect("/", { "set-cookie": `${COOKIE}=${id}; ${attributes}` });
  }

  // The cookie is cleared only with the session's CSRF token, or when it names no session any more:
  // a form without the token must not sign anyone out either.
  private signOut(req: HttpRequest): HttpResponse {
    const found = this.session(req);
    if (found !== null) {
      if (!Sessions.csrfMatches(found.session, readForm(req)?.get("csrf"))) {
        this.deps.log.warn("web board sign-out without its CSRF token refused", {
          person: found.session.person,
          remote: req.remote,
        });
        return staleForm();
      }
      this.sessions.close(found.id);
    }
    const signedOut = plainPage("Signed out", html`<p>Say <b>web</b> to AlertBot for a new link.</p>`);
    if (cookie(req, COOKIE) === undefined) return htmlAnswer(200, signedOut);
    return htmlAnswer(200, signedOut, { "set-cookie": `${COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0` });
  }

  // --- actions -------------------------------------------------------------------------------

  private async action(req: HttpRequest): Promise<HttpResponse> {
    const found = this.session(req);
    if (found === null)
      return htmlAnswer(
        401,
        plainPage("Signed out", html`<p>Your session has ended. Say <b>web</b> to AlertBot for a new link.</p>`),
      );
    const form = readForm(req);
    if (form === null || !Sessions.csrfMatches(found.session, form.get("csrf"))) {
      this.deps.log.warn("web board action without its CSRF token refused", {
        person: found.session.person,
        remote: req.remote,
      });
      return staleForm();
    }
    const back = safeBack(form.get("back"));
    const line = commandLine(form);
    const person = this.deps.policy().people.find((p) => p.name === found.session.person);
    let text: string;
    if (!line.ok) text = line.text;
    else if (person === undefined) text = "You are no longer in AlertBot's configuration.";
    else text = (await this.deps.act(person.jid, line.line)).reply;
    this.flashes.set(found.session.csrf, { text, until: this.deps.clock.now() + FLASH_MS, page: pageKey(back) });
    this.views.clear();
    return redirect(back);
  }

  // Only on the page the action went back to: a refusal to clear one alert, shown on the silences
  // page a moment later, read as the answer to whatever was done there.
  private flash(viewer: Viewer, req: HttpRequest): string | null {
    const f = this.flashes.get(viewer.csrf);
    if (f === undefined) return null;
    if (this.deps.clock.now() >= f.until) {
      this.flashes.delete(viewer.csrf);
      return null;
    }
    return f.page === pageKey(req) ? f.text : null;
  }

  // --- pages ---------------------------------------------------------------------------------

  private async boardPage(req: HttpRequest, viewer: Viewer): Promise<HttpResponse> {
    const now = this.deps.clock.now();
    const q = readBoardQuery(req.query);
    // The board's script says so when it fetches itself again after "something changed".
    const view = await this.view(q, now, req.headers["x-board-refresh"] === "1");
    return htmlAnswer(
      200,
      page(
        "Board",
        "board",
        viewer,
        boardMain(view, q, viewer, now, this.flash(viewer, req), this.deps.troubles?.() ?? []),
      ),
    );
  }

  /**
   * The view for `q`: one that still serves, or the one being built, or a new one. A page opened
   * or reloaded shows every change made before; a board that fetches itself again because it was
   * told of changes may be shown one that misses only changes not told of yet (see LiveFeed.current):
   * in a storm, the boards told together then share one build however many changes come meanwhile.
   */
  private view(q: BoardQuery, now: number, refresh: boolean): Promise<BoardView> {
    const key = JSON.stringify(q);
    const kept = this.views.get(key);
    if (
      kept !== undefined &&
      this.feed.current(kept.seen, refresh) &&
      (kept.alerts === null || (now >= kept.at && now - kept.at < this.reuseMs(kept.alerts)))
    )
      return kept.view;
    const seen = this.feed.changeCount;
    let entry: ViewEntry;
    const view = this.buildView(q, now).then(
      ({ view, alerts }) => {
        entry.alerts = alerts;
        this.alertsCounted = alerts;
        return view;
      },
      (err: unknown) => {
        if (this.views.get(key) === entry) this.views.delete(key);
        throw err;
      },
    );
    entry = { at: now, seen, alerts: null, view };
    if (this.views.size >= VIEWS_KEPT) this.views.clear();
    this.views.set(key, entry);
    return view;
  }

  /**
   * Grades every open alert and the scheduled ones, a slice at a time with the event loop let in
   * between, then reads the page's rows whole (without their detail). An alert that moves between
   * the two reads meanwhile is counted once.
   */
  private async buildView(q: BoardQuery, now: number): Promise<{ view: BoardView; alerts: number }> {
    const { store } = this.deps;
    const builder = new BoardViewBuilder(this.deps.policy().rules, store.policy.liveSilences<Matcher>(now), now, q);
    const scheduled = store.alerts.scheduled();
    const isScheduled = new Set(scheduled.map((a) => a.shortId));
    await eachSlice(
      (after, limit) => store.alerts.raisedStandingAfter(after, limit),
      VIEW_SLICE,
      (alert) => alert.shortId,
      (slice) => {
        for (const alert of slice) if (!isScheduled.has(alert.shortId)) builder.add(alert);
      },
    );
    for (let i = 0; i < scheduled.length; i += VIEW_SLICE) {
      if (i > 0) await nextTurn();
      for (const alert of scheduled.slice(i, i + VIEW_SLICE)) builder.add(alert);
    }
    const graded = builder.finish();
    const read = new Map(store.alerts.briefEach(graded.rows.map((r) => r.alert.shortId)).map((a) => [a.shortId, a]));
    const rows = graded.rows.flatMap((r) => {
      const alert = read.get(r.alert.shortId);
      return alert === undefined ? [] : [{ ...r, alert }];
    });
    return { view: { ...graded, rows }, alerts: builder.added };
  }

  /** How long a view that counted `alerts` alerts serves. */
  private reuseMs(alerts: number): number {
    return Math.max(VIEW_REUSE_MS, this.viewCostMs(alerts));
  }

  private viewCostMs(alerts: number): number {
    return alerts * (this.deps.viewMsPerAlert ?? DEFAULT_VIEW_MS_PER_ALERT);
  }

  private alertPage(req: HttpRequest, viewer: Viewer): HttpResponse {
    const { store, clock } = this.deps;
    const now = clock.now();
    const asked = req.query.get("id") ?? "";
    const id = readAlertNumber(asked);
    if (id === null)
      return htmlAnswer(
        400,
        page(
          "Not an alert number",
          "alert",
          viewer,
          html`<main>
            <h1>"${asked.slice(0, 40)}" is not an alert number</h1>
            <p><a href="/">Back to the board</a></p>
          </main>`,
        ),
      );
    const alert = store.alerts.get(id);
    if (alert === undefined)
      return htmlAnswer(
        404,
        page(
          "No such alert",
          "alert",
          viewer,
          html`<main>
            <h1>No alert #${id}</h1>
            <p><a href="/">Back to the board</a></p>
          </main>`,
        ),
      );
    const live = store.policy.liveSilences<Matcher>(now);
    const c = classify(this.deps.policy().rules, alert);
    const deliveries = store.policy.deliveriesOf(alert.shortId, DELIVERY_FORM).map((d) => ({
      person: d.person,
      channels: d.delivery.channels,
      kind: d.delivery.kind,
      status: d.status,
      at: d.updatedAt,
    }));
    const main = alertMain(
      {
        alert,
        level: c.level,
        workgroup: c.workgroup,
        state: alert.status === "cleared" && alert.scheduledRaiseAt === null ? "cleared" : boardState(alert, live, now),
        history: store.alerts.history(alert.shortId),
        deliveries,
        silences: alert.status === "raised" ? activeSilences(alert, live, now) : [],
      },
      viewer,
      now,
      this.flash(viewer, req),
    );
    return htmlAnswer(200, page(`#${alert.shortId} ${alert.source} ${alert.alertId}`, "alert", viewer, main));
  }

  private agentsPage(viewer: Viewer): HttpResponse {
    const { store, clock } = this.deps;
    const now = clock.now();
    const down = store.sources.down();
    const raised = new Map(store.alerts.raisedPerSource(HOST_DOWN_ALERT_ID).map((r) => [r.source, r]));
    const rows = store.sources.all().map((s) => ({
      source: s.source,
      owner: s.ownerJid,
      downSince: down.get(s.source) ?? null,
      firstSeenAt: s.firstSeenAt,
      lastSeenAt: s.lastSeenAt,
      lastSequence: s.lastSequence.toString(),
      hostDown: raised.get(s.source)?.raisedAlertId ?? false,
      raised: raised.get(s.source)?.raised ?? 0,
      lastFullAt: this.deps.lastFullState(s.source) ?? null,
      status: s.ownerJid === "" ? null : (this.deps.agentStatus(s.ownerJid)?.status ?? null),
    }));
    return htmlAnswer(200, page("Agents", "agents", viewer, agentsMain(rows, now)));
  }

  private onCallPage(viewer: Viewer): HttpResponse {
    const now = this.deps.clock.now();
    const policy = this.deps.policy();
    const rotas = policy.workgroups.map((w) => workgroupRota(w, policy.people, now, ROTA_HORIZON_MS));
    const presence = (name: string): Presence => {
      const p = policy.people.find((x) => x.name === name);
      return p === undefined ? "unknown" : this.deps.presence(p.jid);
    };
    return htmlAnswer(200, page("On call", "oncall", viewer, onCallMain(rotas, presence, now)));
  }

  private silencesPage(req: HttpRequest, viewer: Viewer): HttpResponse {
    const now = this.deps.clock.now();
    const silences = this.deps.store.policy.liveSilences<Matcher>(now);
    return htmlAnswer(
      200,
      page("Silences", "silences", viewer, silencesMain(silences, viewer, now, this.flash(viewer, req))),
    );
  }

  private chart(req: HttpRequest): HttpResponse {
    const week = req.query.get("span") === "7d";
    const slotMs = week ? 6 * 3_600_000 : 3_600_000;
    const slots = week ? 28 : 24;
    const now = this.deps.clock.now();
    const since = (Math.floor(now / slotMs) - (slots - 1)) * slotMs;
    const key = `${since}/${slotMs}`;
    let cached = this.charts.get(key);
    if (cached === undefined || now - cached.at > CHART_CACHE_MS) {
      this.charts.clear();
      cached = { at: now, rows: this.deps.store.alerts.raisesPerSlot(since, slotMs) };
      this.charts.set(key, cached);
    }
    const only = req.query.get("source");
    const perSource = new Map<string, number[]>();
    for (const r of cached.rows) {
      if (only !== null && r.source !== only) continue;
      const counts = perSource.get(r.source) ?? new Array<number>(slots).fill(0);
      if (r.slot >= 0 && r.slot < slots) counts[r.slot] = (counts[r.slot] ?? 0) + r.count;
      perSource.set(r.source, counts);
    }
    const ranked = [...perSource].sort((a, b) => sum(b[1]) - sum(a[1]));
    const series: Series[] = ranked.slice(0, 5).map(([name, counts]) => ({ name, counts }));
    if (ranked.length > 5) {
      const other = new Array<number>(slots).fill(0);
      for (const [, counts] of ranked.slice(5)) counts.forEach((n, i) => (other[i]! += n));
      series.push({ name: `${ranked.length - 5} other sources`, counts: other });
    }
    const label = (slot: number): string => {
      const d = new Date(since + slot * slotMs).toISOString();
      return week ? d.slice(5, 10) : `${d.slice(11, 13)}h`;
    };
    const small = req.query.get("small") === "1";
    const svg = stackedBars(
      only === null ? `Raises across the fleet, last ${week ? "7 days" : "24 hours"}` : `Raises of ${only}`,
      series,
      slots,
      label,
      small ? { width: 240, height: 60 } : undefined,
    );
    return {
      status: 200,
      text: svg,
      contentType: "image/svg+xml; charset=utf-8",
      headers: { ...SECURITY_HEADERS, "cache-control": "private, max-age=30" },
    };
  }
}

/** A board view, built or being built (`alerts` null until it is). */
interface ViewEntry {
  /** When it was begun, and the live feed's change count then. */
  readonly at: number;
  readonly seen: number;
  alerts: number | null;
  readonly view: Promise<BoardView>;
}

function sum(counts: readonly number[]): number {
  return counts.reduce((a, b) => a + b, 0);
}

function asset(text: string, contentType: string): HttpResponse {
  return {
    status: 200,
    text,
    contentType,
    headers: { "cache-control": "public, max-age=300", "x-content-type-options": "nosniff" },
  };
}

function htmlAnswer(status: number, body: Html, headers: Readonly<Record<string, string>> = {}): HttpResponse {
  return {
    status,
    text: toText(body),
    contentType: "text/html; charset=utf-8",
    headers: { ...SECURITY_HEADERS, ...headers },
  };
}

function redirect(to: string, headers: Readonly<Record<string, string>> = {}): HttpResponse {
  return {
    status: 303,
    text: "",
    contentType: "text/plain; charset=utf-8",
    headers: { ...SECURITY_HEADERS, location: to, ...headers },
  };
}

const REFUSALS: Readonly<Record<LinkRefusal, string>> = {
  unknown: "This sign-in link is not valid here.",
  expired: "This sign-in link has expired.",
  used: "This sign-in link has been used already: each link works once.",
};

function refused(reason: LinkRefusal): HttpResponse {
  return htmlAnswer(
    403,
    plainPage(
      "Cannot sign in",
      html`<p id="refusal">${REFUSALS[reason]}</p>
        <p>Say <b>web</b> to AlertBot in a direct chat for a new one.</p>`,
    ),
  );
}

function staleForm(): HttpResponse {
  return htmlAnswer(
    403,
    plainPage(
      "Refused",
      html`<p>This form is out of date or did not come from the board. Go back, reload, and try again.</p>`,
    ),
  );
}

function readForm(req: HttpRequest): URLSearchParams | null {
  const type = String(req.headers["content-type"] ?? "");
  if (!type.startsWith("application/x-www-form-urlencoded")) return null;
  return new URLSearchParams(req.body.toString("utf8"));
}

function cookie(req: HttpRequest, name: string): string | undefined {
  const header = req.headers.cookie ?? "";
  for (const part of header.split(";")) {
    const [key, ...value] = part.trim().split("=");
    if (key === name) return value.join("=");
  }
  return undefined;
}

/**
 * A page as a flash names it: a path and query (`back`) or a request, both through one parser, so
 * that the page the action redirected to and the browser's request for it give the same key
 * however each encodes its characters.
 */
function pageKey(target: string | HttpRequest): string {
  const url = new URL(
    typeof target === "string" ? target : `${target.path}?${target.query.toString()}`,
    "http://board.invalid",
  );
  return `${url.pathname}?${url.searchParams.toString()}`;
}

// Only a path of the board itself: never another site ("//evil", "https:", "\\"), and visible ASCII
// only, since it becomes the Location header and Node refuses anything else there ("/?source=€").
function safeBack(back: string | null): string {
  return back !== null && /^\/(?![/\\])[\x21-\x7e]*$/.test(back) ? back : "/";
}
