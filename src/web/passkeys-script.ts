import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

/**
 * @simplewebauthn/browser's own UMD bundle, read once at start from node_modules and served by
 * the app (CSP script-src 'self'; never a CDN).
 */
export function simpleWebAuthnBrowserBundle(): string {
  const require = createRequire(import.meta.url);
  // The package exports only its entry (script/index.js); the bundle sits beside it.
  const root = dirname(dirname(require.resolve("@simplewebauthn/browser")));
  return readFileSync(join(root, "dist/bundle/index.umd.min.js"), "utf8");
}

/**
 * The pages' passkey buttons. They exist only when the browser can do WebAuthn; without
 * JavaScript the pages work by password and code. /login also offers passkeys in the address
 * field's autofill (conditional mediation) where the browser supports it.
 */
export const PASSKEYS_JS = `
(function () {
  var W = window.SimpleWebAuthnBrowser;
  if (!W || !W.browserSupportsWebAuthn()) return;
  var csrfInput = document.querySelector('input[name="_csrf"]');
  var csrf = csrfInput ? csrfInput.value : "";
  function post(url, body) {
    return fetch(url, { method: "POST", credentials: "same-origin", redirect: "manual",
      headers: { "content-type": "application/json", "x-csrf-token": csrf }, body: JSON.stringify(body || {}) })
      .then(function (r) {
        if (r.type === "opaqueredirect") { location.assign("/reauth?next=" + encodeURIComponent(location.pathname)); throw null; }
        return r.json().then(function (j) { if (!r.ok) throw j; return j; });
      });
  }
  function say(box, text) {
    var p = box.querySelector(".passkey-status");
    if (!p) { p = document.createElement("p"); p.className = "passkey-status"; p.setAttribute("role", "status"); box.appendChild(p); }
    p.textContent = text;
  }
  function fail(box) {
    return function (err) {
      if (err === null) return;
      say(box, (err && err.error && err.error.message) || box.getAttribute("data-failed") || "The passkey did not work. Try again, or use your password.");
    };
  }
  // The page puts the button's text, in its language, in the box's data-label.
  function button(box, label, onClick) {
    var b = document.createElement("button"); b.type = "button"; b.textContent = box.getAttribute("data-label") || label;
    b.addEventListener("click", onClick); box.appendChild(b); box.hidden = false; return b;
  }
  function signIn(box, base, autofill) {
    return post(base + "/options").then(function (options) {
      return W.startAuthentication({ optionsJSON: options, useBrowserAutofill: !!autofill });
    }).then(function (response) {
      return post(base, { response: response, next: box.getAttribute("data-next") || "/" });
    }).then(function (res) { location.assign(res.redirect); });
  }
  var login = document.getElementById("passkey-login");
  if (login) {
    var busy = false;
    button(login, "Sign in with a passkey", function () {
      // The button's request replaces a waiting autofill request (one ceremony at a time).
      if (W.WebAuthnAbortService) W.WebAuthnAbortService.cancelCeremony();
      busy = true;
      signIn(login, "/login/passkey", false).catch(function (err) { busy = false; fail(login)(err); });
    });
    // Autofill waits without a timeout, but a challenge lives 5 minutes: ask anew every 4.
    var autofill = function () { if (!busy) signIn(login, "/login/passkey", true).catch(function () {}); };
    W.browserSupportsWebAuthnAutofill().then(function (ok) {
      if (!ok) return;
      autofill();
      setInterval(autofill, 240000);
    });
  }
  var second = document.getElementById("passkey-second-factor");
  if (second) button(second, "Use a passkey instead", function () { signIn(second, "/login/2fa/passkey", false).catch(fail(second)); });
  var reauth = document.getElementById("passkey-reauth");
  if (reauth) button(reauth, "Confirm with a passkey", function () { signIn(reauth, "/reauth/passkey", false).catch(fail(reauth)); });
  var add = document.getElementById("passkey-add");
  if (add) {
    var name = document.getElementById("passkey-name");
    if (name) name.closest("p").hidden = false;
    button(add, "Add a passkey", function () {
      post("/profile/passkeys/options").then(function (options) {
        return W.startRegistration({ optionsJSON: options });
      }).then(function (response) {
        return post("/profile/passkeys", { response: response, name: name ? name.value : "" });
      }).then(function () { location.reload(); }).catch(fail(add));
    });
  }
})();
`;
