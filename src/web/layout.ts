import { html, type Html } from "./html.js";

/** The pages of the board, as the navigation lists them. */
export type BoardTab = "board" | "agents" | "oncall" | "silences" | "alert";

const TABS: ReadonlyArray<[BoardTab, string, string]> = [
  ["board", "/", "Board"],
  ["agents", "/agents", "Agents"],
  ["oncall", "/oncall", "On call"],
  ["silences", "/silences", "Silences"],
];

/** Who is looking, for the header and the forms. */
export interface Viewer {
  readonly person: string;
  readonly csrf: string;
}

/** A whole page: header with navigation and the live marker, then `main`. */
export function page(title: string, tab: BoardTab, viewer: Viewer, main: Html): Html {
  const nav = TABS.map(([id, href, label]) =>
    id === tab ? html`<a href="${href}" aria-current="page">${label}</a>` : html`<a href="${href}">${label}</a>`,
  );
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${title} · Mauve</title>
        <link rel="stylesheet" href="/assets/board.css" />
        <script src="/assets/board.js" defer></script>
      </head>
      <body data-live="off">
        <header>
          <span class="brand">Mauve</span>
          <nav>${nav}</nav>
          <span id="live">connecting</span>
          <span class="who">signed in as <b>${viewer.person}</b></span>
          <form method="post" action="/sign-out">${csrfField(viewer)}<button type="submit">Sign out</button></form>
        </header>
        ${main}
      </body>
    </html> `;
}

/** A page for someone not signed in (no script, no navigation). */
export function plainPage(title: string, body: Html): Html {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${title} · Mauve</title>
        <link rel="stylesheet" href="/assets/board.css" />
      </head>
      <body>
        <main class="centre">
          <h1>${title}</h1>
          ${body}
        </main>
      </body>
    </html> `;
}

/** The hidden CSRF field every form that changes something carries. */
export function csrfField(viewer: Viewer): Html {
  return html`<input type="hidden" name="csrf" value="${viewer.csrf}" />`;
}
