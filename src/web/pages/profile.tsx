import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { AccountError, type FieldErrors } from "../../accounts/errors.ts";
import type { Viewer } from "../../accounts/sessions.ts";
import type { TextKey } from "../../i18n/index.ts";
import { guardedChangePassword, guardedEmailChange } from "../guarded.ts";
import { formFields, type WebContext } from "../http.ts";
import { AccountEnd } from "../views/account-end.tsx";
import { Alert, CsrfField, ErrorSummary, Field } from "../views/layout.tsx";
import { page, pageState, toLogin, type PageState } from "./common.tsx";

type Form = "password" | "email";

interface ProfileView {
  readonly status: number;
  readonly notice?: string;
  readonly form?: Form;
  readonly errors?: FieldErrors;
  readonly email?: string;
}

const NOTICES: Record<string, TextKey> = { password: "noticePasswordChanged", email: "noticeEmailChange" };

/** Confirmed-only pages: anonymous → sign in, unconfirmed → /unconfirmed. */
export async function confirmedViewer(req: FastifyRequest, reply: FastifyReply, ctx: WebContext, path: string) {
  const state = await pageState(req, reply, ctx);
  if (!state.viewer) return { redirect: toLogin(reply, path) } as const;
  if (!state.viewer.confirmed) return { redirect: reply.redirect("/unconfirmed", 303) } as const;
  return { state: state as PageState & { viewer: Viewer } } as const;
}

export function profileRoutes(app: FastifyInstance, ctx: WebContext): void {
  function renderProfile(reply: FastifyReply, state: PageState & { viewer: Viewer }, view: ProfileView) {
    const user = state.viewer;
    const { t } = state;
    const errors = (form: Form) => (view.form === form ? (view.errors ?? {}) : {});
    return page(
      reply,
      view.status,
      state,
      t.titleProfile,
      <>
        {view.notice ? <Alert kind="info">{view.notice}</Alert> : null}
        <dl>
          <dt>{t.fieldEmail}</dt>
          <dd>{user.email}</dd>
          {user.pendingEmail ? (
            <>
              <dt>{t.changeRequestedTo}</dt>
              <dd>
                {user.pendingEmail} {t.waitingForLink}
              </dd>
            </>
          ) : null}
          <dt>{t.registered}</dt>
          <dd>{t.time(user.registeredOn)}</dd>
          <dt>{t.confirmed}</dt>
          <dd>{user.confirmedOn === null ? "—" : t.time(user.confirmedOn)}</dd>
        </dl>
        <p>
          <a href="/sessions">{t.yourDevices}</a> · <a href="/profile/2fa">{t.twoStepSignIn}</a> · <a href="/profile/passkeys">{t.passkeys}</a>
        </p>
        <h2>{t.changePassword}</h2>
        <form method="post" action="/profile/password" novalidate>
          <ErrorSummary errors={errors("password")} />
          <CsrfField token={state.csrf} />
          <Field label={t.fieldCurrentPassword} name="current_password" type="password" error={errors("password").current_password} autocomplete="current-password" />
          <Field label={t.fieldNewPassword} name="password" type="password" error={errors("password").password} autocomplete="new-password" />
          <Field label={t.fieldRepeatNewPassword} name="confirm" type="password" error={errors("password").confirm} autocomplete="new-password" />
          <button type="submit">{t.changePassword}</button>
        </form>
        <h2>{t.changeEmail}</h2>
        <form method="post" action="/profile/email" novalidate>
          <ErrorSummary errors={errors("email")} ids={{ current_password: "email_current_password" }} />
          <CsrfField token={state.csrf} />
          <Field label={t.fieldNewEmail} name="email" type="email" value={view.form === "email" ? view.email : ""} error={errors("email").email} autocomplete="email" />
          <Field label={t.fieldCurrentPassword} name="current_password" id="email_current_password" type="password" error={errors("email").current_password} autocomplete="current-password" />
          <button type="submit">{t.sendConfirmationLink}</button>
        </form>
        <AccountEnd csrf={state.csrf} />
      </>,
    );
  }

  app.get("/profile", async (req, reply) => {
    const gate = await confirmedViewer(req, reply, ctx, "/profile");
    if (gate.redirect) return gate.redirect;
    const done = (req.query as Record<string, unknown>).done;
    const notice = typeof done === "string" && Object.hasOwn(NOTICES, done) ? gate.state.t[NOTICES[done]!] : undefined;
    return renderProfile(reply, gate.state, { status: 200, ...(notice ? { notice } : {}) });
  });

  app.post("/profile/password", async (req, reply) => {
    const gate = await confirmedViewer(req, reply, ctx, "/profile");
    if (gate.redirect) return gate.redirect;
    try {
      const form = formFields(req.body, ["current_password", "password", "confirm"]);
      await guardedChangePassword(ctx, req, reply, gate.state.viewer, form);
    } catch (err) {
      if (!(err instanceof AccountError) || err.code !== "invalid_input") throw err;
      return renderProfile(reply, gate.state, { status: 422, form: "password", errors: err.fields ?? {} });
    }
    return reply.redirect("/profile?done=password", 303);
  });

  app.post("/profile/email", async (req, reply) => {
    const gate = await confirmedViewer(req, reply, ctx, "/profile");
    if (gate.redirect) return gate.redirect;
    let email = "";
    try {
      const form = formFields(req.body, ["email", "current_password"]);
      email = form.email;
      await guardedEmailChange(ctx, req, gate.state.viewer, form);
    } catch (err) {
      if (!(err instanceof AccountError) || err.code !== "invalid_input") throw err;
      return renderProfile(reply, gate.state, { status: 422, form: "email", email, errors: err.fields ?? {} });
    }
    return reply.redirect("/profile?done=email", 303);
  });
}
