import type { FastifyInstance } from "fastify";

const CSS = `
*{box-sizing:border-box}
body{font-family:system-ui,sans-serif;line-height:1.5;margin:0;color:#1d232a;background:#f6f7f9}
header{display:flex;justify-content:space-between;align-items:center;gap:1rem;padding:.75rem 1.5rem;background:#1d232a;color:#fff;flex-wrap:wrap}
header a{color:#fff}
.brand{font-weight:700;text-decoration:none}
nav{display:flex;gap:1rem;align-items:center;flex-wrap:wrap}
main{max-width:34rem;margin:2rem auto;padding:0 1rem}
.field{display:flex;flex-direction:column;margin:0 0 1rem}
label{font-weight:600}
input{font:inherit;padding:.5rem;border:1px solid #9aa4af;border-radius:4px}
.invalid input{border-color:#b00020}
.error{color:#b00020}
button{font:inherit;padding:.5rem 1rem;border-radius:4px;border:0;background:#2459c9;color:#fff;cursor:pointer}
form.inline{display:inline}
nav button{background:transparent;border:1px solid #fff;padding:.2rem .6rem}
.alert{padding:.75rem 1rem;border-radius:4px}
.alert.error{background:#fde8eb}
.alert.info{background:#e6f0ff}
pre{white-space:pre-wrap;background:#fff;padding:1rem;border:1px solid #dde}
article{border-top:1px solid #ccd;padding:1rem 0}
table{border-collapse:collapse;font-size:.875rem}
th,td{text-align:left;padding:.25rem .5rem;border-bottom:1px solid #dde;vertical-align:top}
.switch{display:flex;gap:1rem}
.actions form{display:inline-block;margin:0 .5rem .5rem 0}
button.danger{background:#b00020}
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
select{font:inherit;padding:.5rem;border:1px solid #9aa4af;border-radius:4px;background:#fff}
form.search{display:flex;gap:1rem;align-items:flex-end;flex-wrap:wrap}
.chart{margin:0 0 1rem}
.chart svg{display:block;width:100%;height:8rem;background:#fff;border:1px solid #dde}
main:has(table){max-width:52rem}
.cohorts td:first-child{white-space:nowrap}
.chart .grid{stroke:#dde;stroke-width:1}
.chart figcaption p{margin:.25rem 0;font-size:.875rem}
.band-0{fill:#17347a}.band-1{fill:#2459c9}.band-2{fill:#7d9ee6}.band-3{fill:#c9d6f2}
.key{display:inline-flex;align-items:center;gap:.3rem;margin-right:1rem;font-size:.875rem}
.key::before{content:"";width:.8rem;height:.8rem;background:#c9d6f2}
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

/** Counts a "try again in …" down to zero, so the visitor knows when to retry. */
const COUNTDOWN_JS = `
(function () {
  var el = document.querySelector("[data-countdown]");
  if (!el) return;
  var left = parseInt(el.getAttribute("data-countdown"), 10);
  function show() {
    var m = Math.floor(left / 60), s = left % 60;
    el.textContent = left <= 0 ? "a moment — reload the page" : (m ? m + " min " : "") + s + " s";
    if (left-- > 0) setTimeout(show, 1000);
  }
  show();
})();
`;

export function registerStatic(app: FastifyInstance): void {
  const serve = (path: string, type: string, body: string) =>
    app.get(path, async (_req, reply) => reply.type(type).header("cache-control", "public, max-age=3600").send(body));
  serve("/static/app.css", "text/css; charset=utf-8", CSS);
  serve("/static/unconfirmed.js", "text/javascript; charset=utf-8", UNCONFIRMED_JS);
  serve("/static/countdown.js", "text/javascript; charset=utf-8", COUNTDOWN_JS);
}
