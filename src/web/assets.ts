// The board's only assets, served by the bot itself (no CDN: the board works on an isolated network).
// Plain CSS and a few lines of script: live refresh over server-sent events, nothing else.

/** The board's style sheet. */
export const BOARD_CSS = `
:root { color-scheme: light dark; --bg: #fff; --fg: #1d1d1f; --muted: #6b6b75; --line: #d9d9e0; --mauve: #7b4f9d;
  --urgent: #c62828; --normal: #ef8f00; --low: #5a7fa8; --ok: #2e7d32; }
@media (prefers-color-scheme: dark) { :root { --bg: #17161a; --fg: #ececf1; --muted: #a0a0ab; --line: #33323a; } }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.4 system-ui, sans-serif; background: var(--bg); color: var(--fg); }
header { display: flex; gap: 1.2em; align-items: center; padding: .6em 1em; border-bottom: 3px solid var(--mauve); flex-wrap: wrap; }
header .brand { font-weight: 700; color: var(--mauve); }
header nav a { margin-right: 1em; color: inherit; text-decoration: none; }
header nav a[aria-current] { font-weight: 700; border-bottom: 2px solid var(--mauve); }
header .who { margin-left: auto; color: var(--muted); }
#live::before { content: "\\25CF "; }
body[data-live="on"] #live { color: var(--ok); }
body[data-live="off"] #live { color: var(--urgent); }
main { padding: 1em; }
h1 { font-size: 1.3em; margin: .2em 0 .6em; }
h2 { font-size: 1.1em; margin: 1.2em 0 .4em; }
.counts { display: flex; gap: .8em; flex-wrap: wrap; margin-bottom: 1em; }
.counts a { display: block; padding: .5em .9em; border: 1px solid var(--line); border-radius: 6px; color: inherit; text-decoration: none; min-width: 7em; }
.counts b { display: block; font-size: 1.6em; }
.charts { display: flex; gap: 1em; flex-wrap: wrap; margin-bottom: 1em; }
.charts figure { margin: 0; }
.charts figcaption { color: var(--muted); font-size: .9em; }
form.filters { display: flex; gap: .6em; flex-wrap: wrap; align-items: end; margin-bottom: .8em; }
form.filters label { display: flex; flex-direction: column; font-size: .85em; color: var(--muted); }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .35em .5em; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: .85em; color: var(--muted); }
th a { color: inherit; }
td.num { font-variant-numeric: tabular-nums; }
.level { font-weight: 600; }
.level-urgent { color: var(--urgent); } .level-normal { color: var(--normal); } .level-low { color: var(--low); }
.state { font-size: .85em; padding: .1em .45em; border-radius: 4px; border: 1px solid var(--line); white-space: nowrap; }
.state-raised { border-color: var(--urgent); } .state-acked { border-color: var(--ok); }
.state-silenced, .state-scheduled { border-color: var(--muted); color: var(--muted); }
.pages { margin: .8em 0; display: flex; gap: 1em; align-items: center; }
.trouble { padding: .5em .8em; border-left: 4px solid var(--urgent); background: color-mix(in srgb, var(--urgent) 12%, transparent); margin-bottom: 1em; font-weight: 600; }
.flash { padding: .5em .8em; border-left: 4px solid var(--mauve); background: color-mix(in srgb, var(--mauve) 10%, transparent); margin-bottom: 1em; white-space: pre-wrap; }
.actions form { display: inline; }
.actions, .inline { display: flex; gap: .4em; flex-wrap: wrap; }
form.act { display: flex; gap: .4em; align-items: end; flex-wrap: wrap; margin: .3em 0; }
form.act fieldset { border: 1px solid var(--line); border-radius: 6px; display: flex; gap: .4em; align-items: end; flex-wrap: wrap; }
button { cursor: pointer; }
.detail { border: 1px solid var(--line); padding: .6em; border-radius: 6px; overflow: auto; max-height: 30em; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .2em 1em; }
dl.facts dt { color: var(--muted); }
.muted { color: var(--muted); }
.online { color: var(--ok); } .offline { color: var(--urgent); }
.centre { max-width: 32em; margin: 4em auto; text-align: center; }
`;

/** The board's script: refreshes <main> when the live feed says something changed, and reconnects. */
export const BOARD_JS = `"use strict";
(function () {
  var busy = false, again = false, source = null;
  function typing() {
    var a = document.activeElement;
    return a && a.closest && a.closest("form.act") && (a.tagName === "INPUT" || a.tagName === "TEXTAREA");
  }
  function refresh() {
    if (busy) { again = true; return; }
    if (typing()) { again = true; setTimeout(refresh, 1000); return; }
    busy = true;
    fetch(location.href, { credentials: "same-origin", headers: { "x-board-refresh": "1" } })
      .then(function (r) {
        if (r.status === 401) { location.reload(); return null; }
        return r.ok ? r.text() : null;
      })
      .then(function (text) {
        if (!text) return;
        var next = new DOMParser().parseFromString(text, "text/html").querySelector("main");
        var now = document.querySelector("main");
        if (next && now) now.replaceWith(next);
        document.body.dataset.refreshed = String(Date.now());
      })
      .catch(function () {})
      .then(function () { busy = false; if (again) { again = false; refresh(); } });
  }
  function connect() {
    source = new EventSource("/events");
    source.addEventListener("change", refresh);
    source.addEventListener("open", function () {
      var wasOff = document.body.dataset.live === "off";
      document.body.dataset.live = "on";
      document.getElementById("live").textContent = "live";
      if (wasOff) refresh();
    });
    source.addEventListener("error", function () {
      document.body.dataset.live = "off";
      document.getElementById("live").textContent = "reconnecting";
      if (source.readyState === EventSource.CLOSED) setTimeout(connect, 2000);
    });
  }
  connect();
})();
`;
