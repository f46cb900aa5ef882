import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { AccountError, type FieldErrors } from "../../accounts/errors.ts";
import type { Viewer } from "../../accounts/sessions.ts";
import { formatTime } from "../../mail/message.tsx";
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

const NOTICES: Record<string, string> = {
  password: "Your password was changed. Every other device was signed out.",
  email: "Check the inbox of the new address: the change takes effect when you confirm the link we sent there.",
};

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
    const errors = (form: Form) => (view.form === form ? (view.errors ?? {}) : {});
    return page(
      reply,
      view.status,
      state,
      "Your profile",
      <>
        {view.notice ? <Alert kind="info">{view.notice}</Alert> : null}
        <dl>
          <dt>Email</dt>
          <dd>{user.email}</dd>
          {user.pendingEmail ? (
            <>
              <dt>Change requested to</dt>
              <dd>{user.pendingEmail} (waiting for its confirmation link)</dd>
            </>
          ) : null}
          <dt>Registered</dt>
          <dd>{formatTime(user.registeredOn)}</dd>
          <dt>Confirmed</dt>
          <dd>{user.confirmedOn === null ? "—" : formatTime(user.confirmedOn)}</dd>
        </dl>
        <p>
          <a href="/sessions">Your signed-in devices</a> · <a href="/profile/2fa">Two-step sign-in</a> · <a href="/profile/passkeys">Passkeys</a>
        </p>
        <h2>Change password</h2>
        <form method="post" action="/profile/password" novalidate>
          <ErrorSummary errors={errors("password")} />
          <CsrfField token={state.csrf} />
          <Field label="Current password" name="current_password" type="password" error={errors("password").current_password} autocomplete="current-password" />
          <Field label="New password" name="password" type="password" error={errors("password").password} autocomplete="new-password" />
          <Field label="Repeat the new password" name="confirm" type="password" error={errors("password").confirm} autocomplete="new-password" />
          <button type="submit">Change password</button>
        </form>
        <h2>Change email address</h2>
        <form method="post" action="/profile/email" novalidate>
          <ErrorSummary errors={errors("email")} ids={{ current_password: "email_current_password" }} />
          <CsrfField token={state.csrf} />
          <Field label="New email address" name="email" type="email" value={view.form === "email" ? view.email : ""} error={errors("email").email} autocomplete="email" />
          <Field label="Current password" name="current_password" id="email_current_password" type="password" error={errors("email").current_password} autocomplete="current-password" />
          <button type="submit">Send a confirmation link</button>
        </form>
        <AccountEnd csrf={state.csrf} />
      </>,
    );
  }

  app.get("/profile", async (req, reply) => {
    const gate = await confirmedViewer(req, reply, ctx, "/profile");
    if (gate.redirect) return gate.redirect;
    const done = (req.query as Record<string, unknown>).done;
    return renderProfile(reply, gate.state, { status: 200, ...(typeof done === "string" && NOTICES[done] ? { notice: NOTICES[done] } : {}) });
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
