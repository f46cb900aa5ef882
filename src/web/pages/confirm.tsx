import type { FastifyInstance } from "fastify";
import { AccountError, messageOf } from "../../accounts/errors.ts";
import { checkConfirmationLink, confirmByLink } from "../../accounts/registration.ts";
import { guardedConfirmCode } from "../guarded.ts";
import { clientInfo, formFields, takeNext, viewerOf, type WebContext } from "../http.ts";
import { Alert, CsrfField } from "../views/layout.tsx";
import { linkPageState, page, pageState, toLogin, type PageState } from "./common.tsx";
import { renderUnconfirmed } from "./registration.tsx";

/** /confirm/:token serves both: a sign-up's confirmation and a new address's. */
const LINK_PURPOSES = ["confirm", "email_change"] as const;

export function confirmRoutes(app: FastifyInstance, ctx: WebContext): void {
  const { deps } = ctx;

  // GET only looks: mail scanners and link previews open links, and must not confirm anything.
  app.get<{ Params: { token: string } }>("/confirm/:token", async (req, reply) => {
    const state = await linkPageState(req, reply, ctx, LINK_PURPOSES);
    try {
      await checkConfirmationLink(deps, req.params.token);
    } catch (err) {
      if (!(err instanceof AccountError)) throw err;
      return invalidLink(reply, state, err);
    }
    return page(
      reply,
      200,
      state,
      state.t.confirmSubject,
      <form method="post" action={`/confirm/${req.params.token}`}>
        <CsrfField token={state.csrf} />
        <p>{state.t.pressToConfirm}</p>
        <button type="submit">{state.t.confirmButton}</button>
      </form>,
    );
  });

  app.post<{ Params: { token: string } }>("/confirm/:token", async (req, reply) => {
    try {
      await confirmByLink(deps, req.params.token, clientInfo(req));
    } catch (err) {
      if (!(err instanceof AccountError)) throw err;
      return invalidLink(reply, await linkPageState(req, reply, ctx, LINK_PURPOSES), err);
    }
    // On the device that signed up with a `next`, straight on there (SPEC §7).
    return reply.redirect(takeNext(req, reply, deps) ?? "/confirmed", 303);
  });

  app.post("/confirm", async (req, reply) => {
    const viewer = await viewerOf(req, deps);
    if (!viewer) return toLogin(reply, "/unconfirmed");
    try {
      const { code } = formFields(req.body, ["code"]);
      await guardedConfirmCode(ctx, req, reply, viewer, code);
    } catch (err) {
      if (!(err instanceof AccountError) || !["token_invalid", "invalid_input"].includes(err.code)) throw err;
      const state = await pageState(req, reply, ctx);
      return renderUnconfirmed(reply, err.status, { state, error: messageOf(err, state.t) });
    }
    return reply.redirect(takeNext(req, reply, deps) ?? "/confirmed", 303);
  });

  app.get("/confirmed", async (req, reply) => {
    const state = await pageState(req, reply, ctx);
    return page(
      reply,
      200,
      state,
      state.t.titleConfirmed,
      <>
        <Alert kind="info">{state.t.confirmedThanks}</Alert>
        <p>{state.viewer ? <a href="/profile">{state.t.continueToProfile}</a> : <a href="/login">{state.t.signIn}</a>}</p>
      </>,
    );
  });
}

function invalidLink(reply: Parameters<typeof page>[0], state: PageState, err: AccountError) {
  const { t } = state;
  return page(
    reply,
    err.status,
    state,
    t.titleLinkBroken,
    <>
      <Alert>{err.code === "token_expired" ? t.confirmLinkExpired : t.confirmLinkInvalid}</Alert>
      <p>{t.confirmLinkHelp}</p>
      <p>
        <a href="/login">{t.signIn}</a> · <a href="/unconfirmed">{t.navConfirmAddress}</a>
      </p>
    </>,
  );
}
