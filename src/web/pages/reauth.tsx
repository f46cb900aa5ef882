import type { FastifyInstance, FastifyReply } from "fastify";
import { AccountError, messageOf } from "../../accounts/errors.ts";
import { reauthMethods } from "../../accounts/reauth.ts";
import { guardedReauth } from "../guarded.ts";
import { formFields, type WebContext } from "../http.ts";
import { safeNext } from "../redirects.ts";
import { Alert, CsrfField, Field } from "../views/layout.tsx";
import { CodeField } from "../views/second-factor.tsx";
import { page, pageState, toLogin, type PageState } from "./common.tsx";
import { PASSKEY_SCRIPTS } from "./passkeys.tsx";

/** GET/POST /reauth (SPEC §9): confirm it is you, by password or a second-factor code, then back to `next`. */
export function reauthRoutes(app: FastifyInstance, ctx: WebContext): void {
  async function reauthPage(reply: FastifyReply, state: PageState, next: string, status: number, error?: string) {
    const methods = await reauthMethods(ctx.deps, state.viewer!.userId);
    const hasCode = methods.includes("totp") || methods.includes("recovery_code");
    const { t } = state;
    return page(
      reply,
      status,
      state,
      t.titleReauth,
      <>
        {error ? <Alert>{error}</Alert> : null}
        <p>{t.reauthIntro}</p>
        <form method="post" action="/reauth" novalidate>
          <CsrfField token={state.csrf} />
          <input type="hidden" name="next" value={next} />
          <Field label={t.fieldPassword} name="password" type="password" autocomplete="current-password" />
          <button type="submit">{t.confirmWithPassword}</button>
        </form>
        {hasCode ? (
          <form method="post" action="/reauth" novalidate>
            <CsrfField token={state.csrf} />
            <input type="hidden" name="next" value={next} />
            <CodeField label={t.orACode} hint={t.codeFromApp} />
            <button type="submit">{t.confirmWithCode}</button>
          </form>
        ) : null}
        {methods.includes("passkey") ? <div id="passkey-reauth" hidden data-next={next} data-label={t.passkeyConfirm} data-failed={t.passkeyFailed} /> : null}
      </>,
      methods.includes("passkey") ? PASSKEY_SCRIPTS : [],
    );
  }

  app.get("/reauth", async (req, reply) => {
    const next = safeNext(ctx.deps.config, (req.query as Record<string, unknown>).next);
    const state = await pageState(req, reply, ctx);
    if (!state.viewer || state.viewer.signupAttempt) return toLogin(reply, `/reauth?next=${encodeURIComponent(next)}`);
    return reauthPage(reply, state, next, 200);
  });

  app.post("/reauth", async (req, reply) => {
    const state = await pageState(req, reply, ctx);
    const form = formFields(req.body, ["password", "code", "next"]);
    const next = safeNext(ctx.deps.config, form.next);
    if (!state.viewer || state.viewer.signupAttempt) return toLogin(reply, `/reauth?next=${encodeURIComponent(next)}`);
    try {
      await guardedReauth(ctx, req, reply, state.viewer, { password: form.password, code: form.code });
    } catch (err) {
      if (!(err instanceof AccountError) || !["invalid_credentials", "invalid_input"].includes(err.code)) throw err;
      return reauthPage(reply, state, next, err.status, messageOf(err, state.t));
    }
    return reply.redirect(next, 303);
  });
}
