import type { FastifyInstance } from "fastify";
import { AccountError, type FieldErrors } from "../../accounts/errors.ts";
import { checkResetLink } from "../../accounts/recovery.ts";
import { formatDuration } from "../../mail/message.tsx";
import { guardedForgot, guardedReset } from "../guarded.ts";
import { clearSessionCookie, formFields, type WebContext } from "../http.ts";
import { Alert, CsrfField, ErrorSummary, Field, useT } from "../views/layout.tsx";
import { linkPageState, page, pageState, type PageState } from "./common.tsx";

function ResetForm({ token, csrf, errors = {} }: { token: string; csrf: string; errors?: FieldErrors }) {
  const t = useT();
  return (
    <form method="post" action={`/reset/${token}`} novalidate>
      <ErrorSummary errors={errors} />
      <CsrfField token={csrf} />
      <Field label={t.fieldNewPassword} name="password" type="password" error={errors.password} autocomplete="new-password" />
      <Field label={t.fieldRepeatNewPassword} name="confirm" type="password" error={errors.confirm} autocomplete="new-password" />
      <button type="submit">{t.setNewPassword}</button>
    </form>
  );
}

function badResetLink(reply: Parameters<typeof page>[0], state: PageState, err: AccountError) {
  const { t } = state;
  return page(
    reply,
    err.status,
    state,
    t.titleLinkBroken,
    <>
      <Alert>{err.code === "token_expired" ? t.resetLinkExpired : t.resetLinkInvalid}</Alert>
      <p>
        <a href="/forgot">{t.askNewLink}</a>.
      </p>
    </>,
  );
}

export function recoveryRoutes(app: FastifyInstance, ctx: WebContext): void {
  const { deps } = ctx;

  app.get("/forgot", async (req, reply) => {
    const state = await pageState(req, reply, ctx);
    return page(
      reply,
      200,
      state,
      state.t.resetSubject,
      <form method="post" action="/forgot" novalidate>
        <CsrfField token={state.csrf} />
        <p>{state.t.forgotIntro}</p>
        <Field label={state.t.fieldEmail} name="email" type="email" autocomplete="email" />
        <button type="submit">{state.t.emailMeALink}</button>
      </form>,
    );
  });

  // The same answer whatever the address: no account existence leaks from here.
  app.post("/forgot", async (req, reply) => {
    const { email } = formFields(req.body, ["email"]);
    await guardedForgot(ctx, req, reply, email);
    return reply.redirect("/forgot/sent", 303);
  });

  app.get("/forgot/sent", async (req, reply) => {
    const state = await pageState(req, reply, ctx);
    return page(
      reply,
      200,
      state,
      state.t.titleCheckInbox,
      <p>
        {state.t.forgotSent(formatDuration(deps.config.resetTokenTtl, state.t))} <a href="/forgot">{state.t.askAgain}</a>.
      </p>,
    );
  });

  app.get<{ Params: { token: string } }>("/reset/:token", async (req, reply) => {
    const state = await linkPageState(req, reply, ctx, "reset");
    try {
      await checkResetLink(deps, req.params.token);
    } catch (err) {
      if (!(err instanceof AccountError)) throw err;
      return badResetLink(reply, state, err);
    }
    return page(reply, 200, state, state.t.titleChooseNewPassword, <ResetForm token={req.params.token} csrf={state.csrf} />);
  });

  app.post<{ Params: { token: string } }>("/reset/:token", async (req, reply) => {
    try {
      const form = formFields(req.body, ["password", "confirm"]);
      await guardedReset(ctx, req, req.params.token, form);
    } catch (err) {
      if (!(err instanceof AccountError)) throw err;
      const state = await linkPageState(req, reply, ctx, "reset");
      if (err.code === "invalid_input") {
        return page(reply, 422, state, state.t.titleChooseNewPassword, <ResetForm token={req.params.token} csrf={state.csrf} errors={err.fields} />);
      }
      return badResetLink(reply, state, err);
    }
    ctx.mailQueued();
    // Every session of the account ended, this browser's too: sign in again with the new password.
    clearSessionCookie(reply, deps);
    return reply.redirect("/login", 303);
  });
}
