import type { FastifyInstance } from "fastify";

const CSS = `
*{box-sizing:border-box}
[hidden]{display:none!important}
:root{color-scheme:light dark;--fg:#1d232a;--bg:#f6f7f9;--surface:#fff;--line:#dde;--input:#6b7683;--link:#1f4fb5;--accent:#2459c9;--error:#b00020;--error-bg:#fde8eb;--info-bg:#e6f0ff;--focus:#b35900;--head:#1d232a}
@media (prefers-color-scheme:dark){:root{--fg:#e6e9ee;--bg:#14171c;--surface:#1e232a;--line:#3a424d;--input:#8a95a3;--link:#9cbcff;--accent:#2f62d6;--error:#ff99a8;--error-bg:#46161f;--info-bg:#15294a;--focus:#ffb454;--head:#0b0d10}}
a{color:var(--link)}
:focus-visible{outline:3px solid var(--focus);outline-offset:2px}
pre,code,td,dd,h1{overflow-wrap:anywhere}
.error-summary{border:3px solid var(--error);padding:.75rem 1rem;margin:0 0 1.5rem;background:var(--surface)}
.error-summary h2{margin:0 0 .5rem;font-size:1.125rem}
.error-summary ul{margin:0;padding-left:1.25rem}
.error-summary a{color:var(--error);font-weight:600}
.password{display:flex;gap:.5rem}
.password input{flex:1;min-width:0}
button.secondary,.password button{background:transparent;color:var(--link);border:1px solid var(--input)}
button:disabled{opacity:.6;cursor:not-allowed}
.table-wrap{overflow-x:auto;max-width:100%;position:relative}
.visually-hidden{position:absolute!important;width:1px;height:1px;margin:-1px;padding:0;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap;border:0}
.lead{font-size:1.125rem}
.cards{display:grid;gap:1rem;grid-template-columns:repeat(auto-fit,minmax(14rem,1fr));padding:0;list-style:none}
.cards li{background:var(--surface);border:1px solid var(--line);border-radius:6px;padding:1rem}
.cards h2{margin:0 0 .25rem;font-size:1.125rem}
.mail-list{list-style:none;padding:0}
.mail-list li{border-top:1px solid var(--line);padding:.75rem 0}
.mail-list .subject{display:block;font-weight:600}
.mail-list .meta{font-size:.875rem}
.tabs{display:flex;gap:1rem;flex-wrap:wrap;margin:1rem 0}
.tabs [aria-current]{font-weight:700;text-decoration:none}
.mail-html{width:100%;height:32rem;border:1px solid var(--line);background:#fff}
.mail-meta{display:grid;grid-template-columns:auto 1fr;gap:.25rem 1rem}
.mail-meta dd{margin:0}
body{font-family:system-ui,sans-serif;line-height:1.5;margin:0;color:var(--fg);background:var(--bg)}
header{display:flex;justify-content:space-between;align-items:center;gap:1rem;padding:.75rem 1.5rem;background:var(--head);color:#fff;flex-wrap:wrap}
header a{color:#fff}
.brand{font-weight:700;text-decoration:none}
nav{display:flex;gap:1rem;align-items:center;flex-wrap:wrap}
main{max-width:34rem;margin:2rem auto;padding:0 1rem}
.field{display:flex;flex-direction:column;margin:0 0 1rem}
label{font-weight:600}
input{font:inherit;padding:.5rem;border:1px solid var(--input);border-radius:4px;color:var(--fg);background:var(--surface)}
.invalid input{border-color:var(--error)}
.error{color:var(--error)}
button{font:inherit;padding:.5rem 1rem;border-radius:4px;border:0;background:var(--accent);color:#fff;cursor:pointer}
form.inline{display:inline}
nav button{background:transparent;border:1px solid #fff;padding:.2rem .6rem}
footer{max-width:34rem;margin:2rem auto;padding:1rem;border-top:1px solid var(--line)}
footer button{background:transparent;color:var(--fg);border:1px solid var(--line);padding:.2rem .6rem;margin:0 .5rem .5rem 0}
footer button[aria-pressed=true]{font-weight:700;border-color:var(--fg)}
.alert{padding:.75rem 1rem;border-radius:4px}
.alert.error{background:var(--error-bg)}
.alert.info{background:var(--info-bg)}
pre{white-space:pre-wrap;background:var(--surface);padding:1rem;border:1px solid var(--line)}
article{border-top:1px solid var(--line);padding:1rem 0}
table{border-collapse:collapse;font-size:.875rem}
th,td{text-align:left;padding:.25rem .5rem;border-bottom:1px solid var(--line);vertical-align:top}
.switch{display:flex;gap:1rem}
.actions form{display:inline-block;margin:0 .5rem .5rem 0}
button.danger{background:#b00020}
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
select{font:inherit;padding:.5rem;border:1px solid #9aa4af;border-radius:4px;background:#fff}
form.search{display:flex;gap:1rem;align-items:flex-end;flex-wrap:wrap}
.chart{margin:0 0 1rem}
.chart svg{display:block;width:100%;height:8rem;background:var(--surface);border:1px solid var(--line)}
main:has(table){max-width:52rem}
.cohorts td:first-child{white-space:nowrap}
.chart .grid{stroke:var(--line);stroke-width:1}
.chart figcaption p{margin:.25rem 0;font-size:.875rem}
.band-0{fill:#17347a}.band-1{fill:#2459c9}.band-2{fill:#7d9ee6}.band-3{fill:#c9d6f2}
.key{display:inline-flex;align-items:center;gap:.3rem;margin-right:1rem;font-size:.875rem}
.key::before{content:"";width:.8rem;height:.8rem;background:#c9d6f2}
fieldset.events{border:1px solid var(--line);border-radius:4px;margin:0 0 1rem;padding:.5rem 1rem}
fieldset.events.invalid{border-color:var(--error)}
fieldset.events legend{font-weight:600}
fieldset.events label{display:block;font-weight:400;padding:.125rem 0}
.secret-once{border:3px solid var(--accent);background:var(--surface);padding:.75rem 1rem;margin:0 0 1.5rem}
.secret-once h2{margin:0 0 .5rem;font-size:1.125rem}
.key.band-0::before{background:#17347a}.key.band-1::before{background:#2459c9}.key.band-2::before{background:#7d9ee6}
`;

/**
 * Polls /unconfirmed/status so the "check your inbox" tab moves on by itself when the address
 * is confirmed elsewhere (a phone). Without JavaScript the page's plain link does the same.
 */
const UNCONFIRMED_JS = `
(function () {
  var delay = 3000;
  function check() {
    fetch("/unconfirmed/status", { credentials: "same-origin", headers: { accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (s) {
        if (s && s.confirmed) { location.assign("/profile"); return; }
        delay = Math.min(delay * 1.25, 15000);
        setTimeout(check, delay);
      })
      .catch(function () { setTimeout(check, 15000); });
  }
  setTimeout(check, delay);
})();
`;

/**
 * Counts each "try again in …" down to zero, so the visitor knows when to retry; a button
 * waiting for it (data-wait, disabled) is enabled at zero. The page gives the words in its
 * language: data-min, data-sec (units), data-format, data-done.
 */
const COUNTDOWN_JS = `
(function () {
  document.querySelectorAll("[data-countdown]").forEach(function (el) {
    var left = parseInt(el.getAttribute("data-countdown"), 10);
    var form = el.closest("form");
    var button = form && form.querySelector("button[data-wait]");
    function show() {
      var m = Math.floor(left / 60), s = left % 60;
      if (left <= 0) {
        var done = el.getAttribute("data-done");
        el.textContent = done === null ? "a moment — reload the page" : done;
        if (button) button.disabled = false;
        return;
      }
      var min = el.getAttribute("data-min") || "min", sec = el.getAttribute("data-sec") || "s";
      el.textContent = (el.getAttribute("data-format") || "%").replace("%", (m ? m + " " + min + " " : "") + s + " " + sec);
      left--;
      setTimeout(show, 1000);
    }
    show();
  });
})();
`;

/**
 * Show/hide for password fields (progressive enhancement: without JavaScript they stay plain
 * password inputs). The button says what it will do and exposes its state with aria-pressed.
 * Its words come from the page's <body> (data-show, data-hide, data-show-label, data-hide-label).
 */
const PASSWORD_TOGGLE_JS = `
(function () {
  var d = document.body ? document.body.dataset : {};
  var SHOW = d.show || "Show", HIDE = d.hide || "Hide";
  var SHOW_LABEL = d.showLabel || "Show password", HIDE_LABEL = d.hideLabel || "Hide password";
  document.querySelectorAll("input[type=password]").forEach(function (input) {
    var wrap = document.createElement("span");
    wrap.className = "password";
    input.parentNode.insertBefore(wrap, input);
    wrap.appendChild(input);
    var button = document.createElement("button");
    button.type = "button";
    button.textContent = SHOW;
    button.setAttribute("aria-pressed", "false");
    button.setAttribute("aria-controls", input.id);
    button.setAttribute("aria-label", SHOW_LABEL);
    button.addEventListener("click", function () {
      var shown = input.type === "password";
      input.type = shown ? "text" : "password";
      button.textContent = shown ? HIDE : SHOW;
      button.setAttribute("aria-pressed", String(shown));
      button.setAttribute("aria-label", shown ? HIDE_LABEL : SHOW_LABEL);
    });
    wrap.appendChild(button);
  });
  // Before the form is sent, hide the passwords again (so no browser keeps them as plain text).
  document.addEventListener("submit", function (e) {
    e.target.querySelectorAll(".password input").forEach(function (i) { i.type = "password"; });
  }, true);
})();
`;

/** The key of Latchkey, as a tab icon. */
const FAVICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" fill="#2459c9"/><circle cx="12" cy="16" r="6" fill="none" stroke="#fff" stroke-width="3"/><path d="M18 16h10M24 16v5M28 16v4" stroke="#fff" stroke-width="3" stroke-linecap="round"/></svg>`;

export function registerStatic(app: FastifyInstance): void {
  const serve = (path: string, type: string, body: string) =>
    app.get(path, async (_req, reply) => reply.type(type).header("cache-control", "public, max-age=3600").send(body));
  serve("/static/app.css", "text/css; charset=utf-8", CSS);
  serve("/static/unconfirmed.js", "text/javascript; charset=utf-8", UNCONFIRMED_JS);
  serve("/static/countdown.js", "text/javascript; charset=utf-8", COUNTDOWN_JS);
  serve("/static/password-toggle.js", "text/javascript; charset=utf-8", PASSWORD_TOGGLE_JS);
  serve("/static/favicon.svg", "image/svg+xml", FAVICON_SVG);
  // Browsers and tools ask for /favicon.ico whatever the page links to.
  serve("/favicon.ico", "image/svg+xml", FAVICON_SVG);
}
