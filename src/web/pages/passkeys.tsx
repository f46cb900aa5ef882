import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { AccountError } from "../../accounts/errors.ts";
import { passkeyReauth, passkeySecondFactor } from "../../accounts/second-factor/passkey-sign-in.ts";
import { addPasskey, authenticationOptions, listPasskeys, registrationOptions, removePasskey } from "../../accounts/second-factor/passkeys.ts";
import { formatTime } from "../../mail/message.tsx";
import { crossSite, errorFor, sendError } from "../api/respond.ts";
import { clientInfo, setSessionCookie, viewerOf, type WebContext } from "../http.ts";
import { safeNext } from "../redirects.ts";
import { PASSKEYS_JS, simpleWebAuthnBrowserBundle } from "../passkeys-script.ts";
import { isReauthRequired, pendingSignIn, reauthRedirect, signInWithPasskey } from "../second-step.ts";
import { Alert, CsrfField, Scrolls } from "../views/layout.tsx";
import { page } from "./common.tsx";
import { confirmedViewer } from "./profile.tsx";

/** Scripts of pages that offer passkeys: the library's bundle, then our buttons. */
export const PASSKEY_SCRIPTS = ["/static/simplewebauthn-browser.js", "/static/passkeys.js"];

function body(req: FastifyRequest): Record<string, unknown> {
  return req.body && typeof req.body === "object" ? (req.body as Record<string, unknown>) : {};
}

/**
 * The pages' JSON calls (SPEC §9): the CSRF token comes in X-CSRF-Token (checked with the forms',
 * app.tsx) and a cross-site Origin is refused; errors answer as JSON.
 */
function json(ctx: WebContext, handler: (req: FastifyRequest, reply: FastifyReply) => Promise<unknown>) {
  return async (req: FastifyRequest, reply: FastifyReply) => {
    if (crossSite(req, ctx.deps)) return sendError(reply, errorFor("forbidden"));
    try {
      return await handler(req, reply);
    } catch (err) {
      if (err instanceof AccountError) return sendError(reply, err);
      throw err;
    }
  };
}

export function passkeyRoutes(app: FastifyInstance, ctx: WebContext): void {
  const { deps } = ctx;
  const bundle = simpleWebAuthnBrowserBundle();
  const serve = (path: string, text: string) =>
    app.get(path, async (_req, reply) => reply.type("text/javascript; charset=utf-8").header("cache-control", "public, max-age=3600").send(text));
  serve("/static/simplewebauthn-browser.js", bundle);
  serve("/static/passkeys.js", PASSKEYS_JS);

  app.get("/profile/passkeys", async (req, reply) => {
    const gate = await confirmedViewer(req, reply, ctx, "/profile/passkeys");
    if (gate.redirect) return gate.redirect;
    const keys = await listPasskeys(deps, gate.state.viewer.userId);
    const { csrf, t } = gate.state;
    return page(
      reply,
      200,
      gate.state,
      t.passkeys,
      <>
        {deps.config.webauthnRpId ? null : <Alert kind="info">{t.passkeysUnavailable}</Alert>}
        {keys.length === 0 ? <p>{t.noPasskeysYet}</p> : null}
        <Scrolls label={t.passkeys}>
          <table>
            <thead>
              <tr>
                <th>{t.colName}</th>
                <th>{t.colAdded}</th>
                <th>{t.colLastUsed}</th>
                <th>{t.colKind}</th>
                <th>
                  <span class="visually-hidden">{t.remove}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {keys.map((k) => (
                <tr data-passkey={k.id}>
                  <td>{k.name}</td>
                  <td>{formatTime(k.createdAt, t)}</td>
                  <td>{k.lastUsedAt === null ? t.never : formatTime(k.lastUsedAt, t)}</td>
                  <td>{k.synced ? t.passkeySynced : t.passkeyThisDeviceOnly}</td>
                  <td>
                    <form method="post" action={`/profile/passkeys/${k.id}/delete`} class="inline">
                      <CsrfField token={csrf} />
                      <button type="submit">{t.remove}</button>
                    </form>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </Scrolls>
        {deps.config.webauthnRpId ? (
          <>
            <p class="field" hidden>
              <label for="passkey-name">{t.passkeyNameLabel}</label>
              <input id="passkey-name" name="passkey_name" type="text" maxLength={64} placeholder={t.passkeyNamePlaceholder} />
            </p>
            <div id="passkey-add" hidden data-label={t.passkeyAdd} data-failed={t.passkeyFailed} />
            <noscript>
              <p>{t.passkeyNeedsScript}</p>
            </noscript>
          </>
        ) : null}
        <p>
          <a href="/profile/2fa">{t.twoStepSignIn}</a> · <a href="/profile">{t.backToProfile}</a>
        </p>
      </>,
      deps.config.webauthnRpId ? PASSKEY_SCRIPTS : [],
    );
  });

  // A stale session is sent to /reauth and back to the list (never to this POST route).
  app.post(
    "/profile/passkeys/options",
    json(ctx, async (req, reply) => {
      const gate = await confirmedViewer(req, reply, ctx, "/profile/passkeys");
      if (gate.redirect) return gate.redirect;
      try {
        return await registrationOptions(deps, gate.state.viewer);
      } catch (err) {
        if (isReauthRequired(err)) return reauthRedirect(reply, "/profile/passkeys");
        throw err;
      }
    }),
  );

  app.post(
    "/profile/passkeys",
    json(ctx, async (req, reply) => {
      const viewer = await viewerOf(req, deps);
      if (!viewer) throw errorFor("unauthenticated");
      if (!viewer.confirmed) throw errorFor("email_unconfirmed");
      const { response, name } = body(req);
      const added = await addPasskey(deps, viewer, { response, name }, clientInfo(req));
      ctx.mailQueued();
      return reply.code(201).send({ id: added.id, name: added.name, synced: added.synced });
    }),
  );

  app.post<{ Params: { id: string } }>("/profile/passkeys/:id/delete", async (req, reply) => {
    const gate = await confirmedViewer(req, reply, ctx, "/profile/passkeys");
    if (gate.redirect) return gate.redirect;
    try {
      if (!(await removePasskey(deps, gate.state.viewer, req.params.id, clientInfo(req)))) throw errorFor("not_found");
    } catch (err) {
      if (isReauthRequired(err)) return reauthRedirect(reply, "/profile/passkeys");
      throw err;
    }
    ctx.mailQueued();
    return reply.redirect("/profile/passkeys", 303);
  });

  // ---- signing in and re-authenticating with a passkey ----------------------------------

  app.post("/login/passkey/options", json(ctx, async () => authenticationOptions(deps, "login", null)));

  app.post(
    "/login/passkey",
    json(ctx, async (req, reply) => {
      const { response, next } = body(req);
      const result = await signInWithPasskey(ctx, req, reply, response);
      return { redirect: result.confirmed ? safeNext(deps.config, next) : "/unconfirmed" };
    }),
  );

  app.post(
    "/login/2fa/passkey/options",
    json(ctx, async (req) => {
      const pending = await pendingSignIn(req, ctx);
      if (!pending) throw errorFor("unauthenticated");
      return authenticationOptions(deps, "second_factor", pending);
    }),
  );

  app.post(
    "/login/2fa/passkey",
    json(ctx, async (req, reply) => {
      const pending = await pendingSignIn(req, ctx);
      if (!pending) throw errorFor("unauthenticated");
      const { response, next } = body(req);
      setSessionCookie(reply, deps, await passkeySecondFactor(deps, pending, response, clientInfo(req)));
      return { redirect: safeNext(deps.config, next) };
    }),
  );

  app.post(
    "/reauth/passkey/options",
    json(ctx, async (req) => {
      const viewer = await viewerOf(req, deps);
      if (!viewer) throw errorFor("unauthenticated");
      return authenticationOptions(deps, "reauth", viewer);
    }),
  );

  app.post(
    "/reauth/passkey",
    json(ctx, async (req, reply) => {
      const viewer = await viewerOf(req, deps);
      if (!viewer) throw errorFor("unauthenticated");
      const { response, next } = body(req);
      setSessionCookie(reply, deps, await passkeyReauth(deps, viewer, response, clientInfo(req)));
      return { redirect: safeNext(deps.config, next) };
    }),
  );
}
