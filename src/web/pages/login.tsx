import type { FastifyInstance } from "fastify";
import { AccountError, catalogueMessage } from "../../accounts/errors.ts";
import { logout } from "../../accounts/login.ts";
import { guardedLogin } from "../guarded.ts";
import { clearSessionCookie, clientInfo, formFields, rememberNext, viewerOf, type WebContext } from "../http.ts";
import { safeNext, withNext } from "../redirects.ts";
import { Alert, CsrfField, Field, useT } from "../views/layout.tsx";
import { page, pageState } from "./common.tsx";
import { PASSKEY_SCRIPTS } from "./passkeys.tsx";

function LoginForm({ csrf, next, email = "", error, passkeys }: { csrf: string; next: string; email?: string; error?: string; passkeys: boolean }) {
  const t = useT();
  return (
    <form method="post" action="/login" novalidate>
      {error ? <Alert>{error}</Alert> : null}
      <CsrfField token={csrf} />
      <input type="hidden" name="next" value={next} />
      <Field label={t.fieldEmail} name="email" type="email" value={email} autocomplete={passkeys ? "username webauthn" : "username"} />
      <Field label={t.fieldPassword} name="password" type="password" autocomplete="current-password" />
      <button type="submit">{t.signIn}</button>
      {passkeys ? <div id="passkey-login" hidden data-next={next} data-label={t.passkeySignIn} data-failed={t.passkeyFailed} /> : null}
      <p>
        <a href="/forgot">{t.forgotPassword}</a> · <a href={withNext("/register", next)}>{t.createAnAccount}</a>
      </p>
    </form>
  );
}

export function loginRoutes(app: FastifyInstance, ctx: WebContext): void {
  const { deps } = ctx;
  // Passkey sign-in (autofill or a button) is added by script where the browser can do it.
  const passkeys = deps.config.webauthnRpId !== null;
  const scripts = passkeys ? PASSKEY_SCRIPTS : [];

  app.get("/login", async (req, reply) => {
    const state = await pageState(req, reply, ctx);
    const next = safeNext(deps.config, (req.query as Record<string, unknown>).next);
    return page(reply, 200, state, state.t.signIn, <LoginForm csrf={state.csrf} next={next} passkeys={passkeys} />, scripts);
  });

  app.post("/login", async (req, reply) => {
    const next = safeNext(deps.config, (req.body as Record<string, unknown> | undefined)?.next);
    let email = "";
    try {
      const form = formFields(req.body, ["email", "password"]);
      email = form.email;
      const result = await guardedLogin(ctx, req, reply, form);
      if (result.mfaPending) return reply.redirect(withNext("/login/2fa", next), 303);
      if (result.confirmed) return reply.redirect(next, 303);
      rememberNext(reply, deps, next);
      return reply.redirect("/unconfirmed", 303);
    } catch (err) {
      if (!(err instanceof AccountError) || !["invalid_credentials", "invalid_input"].includes(err.code)) throw err;
      const state = await pageState(req, reply, ctx);
      const message = catalogueMessage("invalid_credentials", state.t);
      return page(reply, 401, state, state.t.signIn, <LoginForm csrf={state.csrf} next={next} email={email} error={message} passkeys={passkeys} />, scripts);
    }
  });

  app.post("/logout", async (req, reply) => {
    const viewer = await viewerOf(req, deps);
    if (viewer) await logout(deps, viewer, clientInfo(req));
    clearSessionCookie(reply, deps);
    return reply.redirect("/", 303);
  });
}
