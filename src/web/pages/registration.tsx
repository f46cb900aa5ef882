import type { FastifyInstance, FastifyReply } from "fastify";
import { AccountError, messageOf, type FieldErrors } from "../../accounts/errors.ts";
import { guardedAddressFix, guardedRegister, guardedResend } from "../guarded.ts";
import { applyErrorHeaders, auditRateLimited, formFields, rememberNext, takeNext, viewerOf, type WebContext } from "../http.ts";
import { apiCatalogue } from "../locale.ts";
import { safeNext, withNext } from "../redirects.ts";
import { Alert, CsrfField, ErrorSummary, Field, useT } from "../views/layout.tsx";
import { humanDuration } from "../views/time.ts";
import { page, pageState, toLogin, type PageState } from "./common.tsx";

function RegisterForm({ csrf, next, email = "", errors = {} }: { csrf: string; next: string; email?: string; errors?: FieldErrors }) {
  const t = useT();
  return (
    <form method="post" action="/register" novalidate>
      <ErrorSummary errors={errors} />
      <CsrfField token={csrf} />
      {next !== "/" ? <input type="hidden" name="next" value={next} /> : null}
      <Field label={t.fieldEmail} name="email" type="email" value={email} error={errors.email} autocomplete="email" />
      <Field label={t.fieldPassword} name="password" type="password" error={errors.password} autocomplete="new-password" hint={t.passwordHint} />
      <Field label={t.fieldRepeatPassword} name="confirm" type="password" error={errors.confirm} autocomplete="new-password" />
      <button type="submit">{t.createAccount}</button>
      <p>
        {t.alreadyHaveAccount} <a href={withNext("/login", next)}>{t.signIn}</a>.
      </p>
    </form>
  );
}

export interface UnconfirmedProps {
  readonly state: PageState;
  readonly error?: string | undefined;
  /**
   * Seconds until a refused resend may be asked again: the button waits and counts down. Only
   * from a refusal (the flow's own answer), never worked out on GET: what the page shows must
   * not differ between a new account and a sign-up attempt on a taken address.
   */
  readonly retryAfter?: number | undefined;
  /** Field errors of the "Wrong address?" form, and what was typed in it. */
  readonly fix?: { readonly email: string; readonly errors: FieldErrors };
}

/** "Check your inbox": the address, the code field, resend, and a no-JS way on. */
export function renderUnconfirmed(reply: FastifyReply, status: number, { state, error, retryAfter, fix }: UnconfirmedProps) {
  const wait = retryAfter ?? 0;
  const { t } = state;
  return page(
    reply,
    status,
    state,
    t.titleCheckInbox,
    <>
      {error ? <Alert>{error}</Alert> : null}
      <p>
        {t.unconfirmedSentBefore} <strong>{state.viewer?.email}</strong>
        {t.unconfirmedSentAfter}
      </p>
      <form method="post" action="/confirm">
        <CsrfField token={state.csrf} />
        <Field label={t.fieldConfirmationCode} name="code" autocomplete="one-time-code" hint={t.codeHint} />
        <button type="submit">{t.confirmButton}</button>
      </form>
      <p>
        <a href="/profile">{t.iveConfirmed}</a>
      </p>
      <form method="post" action="/resend">
        <CsrfField token={state.csrf} />
        <p>
          {t.noEmail}{" "}
          <button type="submit" data-wait disabled={wait > 0}>
            {t.sendAgain}
            {wait > 0 ? (
              <>
                {" "}
                <span data-countdown={wait} data-format={t.countdownFormat} data-done="" data-min={t.countdownMinutes} data-sec={t.countdownSeconds}>
                  {t.inWait(humanDuration(wait, t))}
                </span>
              </>
            ) : null}
          </button>
        </p>
      </form>
      <details open={fix ? true : undefined}>
        <summary>{t.wrongAddress}</summary>
        <form method="post" action="/unconfirmed/email" novalidate>
          <ErrorSummary errors={fix?.errors} />
          <CsrfField token={state.csrf} />
          <Field label={t.fieldCorrectEmail} name="email" type="email" value={fix?.email} error={fix?.errors.email} autocomplete="email" />
          <Field label={t.fieldYourPassword} name="current_password" type="password" error={fix?.errors.current_password} autocomplete="current-password" />
          <button type="submit">{t.useThisAddress}</button>
        </form>
      </details>
    </>,
    wait > 0 ? ["/static/unconfirmed.js", "/static/countdown.js"] : ["/static/unconfirmed.js"],
  );
}

export function registrationRoutes(app: FastifyInstance, ctx: WebContext): void {
  const { deps } = ctx;

  app.get("/register", async (req, reply) => {
    const state = await pageState(req, reply, ctx);
    const next = safeNext(deps.config, (req.query as Record<string, unknown>).next);
    return page(reply, 200, state, state.t.createAnAccount, <RegisterForm csrf={state.csrf} next={next} />);
  });

  app.post("/register", async (req, reply) => {
    let email = "";
    const next = safeNext(deps.config, (req.body as Record<string, unknown> | undefined)?.next);
    try {
      const form = formFields(req.body, ["email", "password", "confirm"]);
      email = form.email;
      await guardedRegister(ctx, req, reply, form);
      rememberNext(reply, deps, next);
      return reply.redirect("/unconfirmed", 303);
    } catch (err) {
      if (!(err instanceof AccountError) || err.code !== "invalid_input") throw err;
      const state = await pageState(req, reply, ctx);
      return page(reply, 422, state, state.t.createAnAccount, <RegisterForm csrf={state.csrf} next={next} email={email} errors={err.fields} />);
    }
  });

  app.get("/unconfirmed", async (req, reply) => {
    const state = await pageState(req, reply, ctx);
    const next = safeNext(deps.config, (req.query as Record<string, unknown>).next);
    if (!state.viewer) return toLogin(reply, withNext("/unconfirmed", next));
    // Confirmed (say, by the link in another tab): on to where the visitor was going.
    if (state.viewer.confirmed) return reply.redirect(next !== "/" ? next : (takeNext(req, reply, deps) ?? "/"), 303);
    rememberNext(reply, deps, next);
    return renderUnconfirmed(reply, 200, { state });
  });

  /** Polled by the "check your inbox" tab. */
  app.get("/unconfirmed/status", async (req, reply) => {
    const viewer = await viewerOf(req, deps);
    if (!viewer) return reply.code(401).send({ error: { code: "unauthenticated", message: apiCatalogue(req, deps.config.defaultLocale).errUnauthenticated } });
    return { confirmed: viewer.confirmed };
  });

  app.post("/resend", async (req, reply) => {
    const viewer = await viewerOf(req, deps);
    if (!viewer) return toLogin(reply, "/unconfirmed");
    if (viewer.confirmed) return reply.redirect("/", 303);
    try {
      await guardedResend(ctx, req, viewer);
    } catch (err) {
      if (!(err instanceof AccountError) || err.code !== "rate_limited") throw err;
      applyErrorHeaders(reply, err);
      await auditRateLimited(req, deps);
      const state = await pageState(req, reply, ctx);
      return renderUnconfirmed(reply, 429, { state, error: messageOf(err, state.t), retryAfter: err.retryAfter });
    }
    return reply.redirect("/unconfirmed", 303);
  });

  app.post("/unconfirmed/email", async (req, reply) => {
    const viewer = await viewerOf(req, deps);
    if (!viewer) return toLogin(reply, "/unconfirmed");
    if (viewer.confirmed) return reply.redirect("/", 303);
    let email = "";
    try {
      const form = formFields(req.body, ["email", "current_password"]);
      email = form.email;
      await guardedAddressFix(ctx, req, viewer, form);
    } catch (err) {
      if (!(err instanceof AccountError) || err.code !== "invalid_input") throw err;
      const state = await pageState(req, reply, ctx);
      return renderUnconfirmed(reply, 422, { state, fix: { email, errors: err.fields ?? {} } });
    }
    return reply.redirect("/unconfirmed", 303);
  });
}
