import type { FastifyInstance, FastifyReply } from "fastify";
import { AccountError } from "../../accounts/errors.ts";
import { disableTotp, enableTotp, pendingTotpSetup, regenerateRecoveryCodes, startTotpSetup, type TotpSetup } from "../../accounts/second-factor/enrolment.ts";
import { completeSecondFactor } from "../../accounts/second-factor/sign-in.ts";
import { secondFactors } from "../../accounts/second-factor/verify.ts";
import { clearSessionCookie, clientInfo, csrfToken, formFields, setSessionCookie, type WebContext } from "../http.ts";
import { safeNext } from "../redirects.ts";
import type { Viewer } from "../../accounts/sessions.ts";
import { isReauthRequired, pendingSignIn, reauthRedirect, secondFactorMethods } from "../second-step.ts";
import { PASSKEY_SCRIPTS } from "./passkeys.tsx";
import { Alert, CsrfField, useT } from "../views/layout.tsx";
import type { TextKey } from "../../i18n/index.ts";
import { CodeField, RecoveryCodesView, TotpSetupView } from "../views/second-factor.tsx";
import { bareState, page, type PageState } from "./common.tsx";
import { confirmedViewer } from "./profile.tsx";

const NOTICES: Record<string, TextKey> = {
  off: "noticeTwoStepOff",
};

/** Inline SVG, made server-side (no script); `qrcode` is loaded on first use, not at start. */
export async function qrSvg(uri: string): Promise<string> {
  const { default: QRCode } = await import("qrcode");
  return QRCode.toString(uri, { type: "svg", margin: 2, errorCorrectionLevel: "M" });
}

export function twoFactorRoutes(app: FastifyInstance, ctx: WebContext): void {
  const { deps } = ctx;

  // ---- the second step of a sign-in ------------------------------------------------------

  function SecondStepForm({ csrf, next, error }: { csrf: string; next: string; error?: string }) {
    const t = useT();
    return (
      <>
        {error ? <Alert>{error}</Alert> : null}
        <form method="post" action="/login/2fa" novalidate>
          <CsrfField token={csrf} />
          <input type="hidden" name="next" value={next} />
          <CodeField label={t.fieldCode} hint={t.secondStepHint} />
          <button type="submit">{t.continueButton}</button>
        </form>
        <div id="passkey-second-factor" hidden data-next={next} data-label={t.passkeyInstead} data-failed={t.passkeyFailed} />
        <form method="post" action="/logout">
          <CsrfField token={csrf} />
          <button type="submit" class="secondary">
            {t.cancelAndSignOut}
          </button>
        </form>
      </>
    );
  }

  /** The passkey button only for accounts that have one, on servers that do passkeys. */
  async function scriptsFor(pending: Viewer): Promise<string[]> {
    return (await secondFactorMethods(ctx, pending.userId)).includes("passkey") ? PASSKEY_SCRIPTS : [];
  }

  app.get("/login/2fa", async (req, reply) => {
    const pending = await pendingSignIn(req, ctx);
    if (!pending) return reply.redirect("/login", 303);
    const next = safeNext(deps.config, (req.query as Record<string, unknown>).next);
    const csrf = csrfToken(req, reply, deps);
    const state = { ...bareState(req, deps.config, null, pending.locale), csrf };
    return page(reply, 200, state, state.t.twoStepSignIn, <SecondStepForm csrf={csrf} next={next} />, await scriptsFor(pending));
  });

  app.post("/login/2fa", async (req, reply) => {
    const pending = await pendingSignIn(req, ctx);
    if (!pending) return reply.redirect("/login", 303);
    const { code, next } = formFields(req.body, ["code", "next"]);
    const result = await completeSecondFactor(deps, pending, code, clientInfo(req));
    if (result.ok) {
      setSessionCookie(reply, deps, result.session);
      ctx.mailQueued();
      return reply.redirect(safeNext(deps.config, next), 303);
    }
    if (result.ended) {
      clearSessionCookie(reply, deps);
      return reply.redirect("/login", 303);
    }
    const csrf = csrfToken(req, reply, deps);
    const state = { ...bareState(req, deps.config, null, pending.locale), csrf };
    const form = <SecondStepForm csrf={csrf} next={safeNext(deps.config, next)} error={state.t.codeNotRight} />;
    return page(reply, 401, state, state.t.twoStepSignIn, form, await scriptsFor(pending));
  });

  // ---- the profile's second factors ----------------------------------------------------

  app.get("/profile/2fa", async (req, reply) => {
    const gate = await confirmedViewer(req, reply, ctx, "/profile/2fa");
    if (gate.redirect) return gate.redirect;
    const f = await secondFactors(deps.db.kysely, gate.state.viewer.userId);
    const done = (req.query as Record<string, unknown>).done;
    const { csrf, t } = gate.state;
    const notice = typeof done === "string" && Object.hasOwn(NOTICES, done) ? t[NOTICES[done]!] : undefined;
    return page(
      reply,
      200,
      gate.state,
      t.twoStepSignIn,
      <>
        {notice ? <Alert kind="info">{notice}</Alert> : null}
        <p data-totp={f.totp ? "on" : "off"}>
          {t.authenticatorAppLabel} <strong>{f.totp ? t.stateOn : t.stateOff}</strong>
        </p>
        {f.totp ? (
          <>
            <p>
              {t.recoveryCodesLeft} <strong data-recovery-left={f.recoveryCodesLeft}>{f.recoveryCodesLeft}</strong>
            </p>
            <form method="post" action="/profile/2fa/recovery-codes">
              <CsrfField token={csrf} />
              <button type="submit">{t.makeNewRecoveryCodes}</button>
            </form>
            <form method="post" action="/profile/2fa/totp/disable">
              <CsrfField token={csrf} />
              <button type="submit">{t.turnOffTwoStep}</button>
            </form>
          </>
        ) : (
          <form method="post" action="/profile/2fa/totp/setup">
            <CsrfField token={csrf} />
            <button type="submit">{t.setUpAuthenticatorApp}</button>
          </form>
        )}
        <p>
          <a href="/profile/passkeys">{t.passkeys}</a> ({f.passkeys}) · <a href="/profile">{t.backToProfile}</a>
        </p>
      </>,
    );
  });

  async function setupPage(reply: FastifyReply, state: PageState, setup: TotpSetup, status: number, error?: string) {
    const svg = await qrSvg(setup.uri);
    return page(reply, status, state, state.t.setUpAuthenticatorApp, <TotpSetupView csrf={state.csrf} secret={setup.secret} qrSvg={svg} error={error} />);
  }

  /** Runs a sensitive step; a stale session goes to /reauth and comes back to /profile/2fa. */
  async function sensitive(reply: FastifyReply, step: () => Promise<FastifyReply>): Promise<FastifyReply> {
    try {
      return await step();
    } catch (err) {
      if (isReauthRequired(err)) return reauthRedirect(reply, "/profile/2fa");
      throw err;
    }
  }

  app.post("/profile/2fa/totp/setup", async (req, reply) => {
    const gate = await confirmedViewer(req, reply, ctx, "/profile/2fa");
    if (gate.redirect) return gate.redirect;
    return sensitive(reply, async () => setupPage(reply, gate.state, await startTotpSetup(deps, gate.state.viewer), 200));
  });

  app.post("/profile/2fa/totp", async (req, reply) => {
    const gate = await confirmedViewer(req, reply, ctx, "/profile/2fa");
    if (gate.redirect) return gate.redirect;
    const { code } = formFields(req.body, ["code"]);
    try {
      const enabled = await enableTotp(deps, gate.state.viewer, code, clientInfo(req));
      setSessionCookie(reply, deps, enabled.session);
      ctx.mailQueued();
      return page(reply, 200, gate.state, gate.state.t.titleTwoStepOn, <RecoveryCodesView codes={enabled.recoveryCodes} />);
    } catch (err) {
      if (!(err instanceof AccountError) || err.code !== "invalid_input") throw err;
      const setup = await pendingTotpSetup(deps, gate.state.viewer);
      if (!setup) throw new AccountError("token_expired", { message: "The set-up has expired. Start again." });
      return setupPage(reply, gate.state, setup, 422, err.fields?.code);
    }
  });

  app.post("/profile/2fa/totp/disable", async (req, reply) => {
    const gate = await confirmedViewer(req, reply, ctx, "/profile/2fa");
    if (gate.redirect) return gate.redirect;
    return sensitive(reply, async () => {
      await disableTotp(deps, gate.state.viewer, clientInfo(req));
      ctx.mailQueued();
      return reply.redirect("/profile/2fa?done=off", 303);
    });
  });

  app.post("/profile/2fa/recovery-codes", async (req, reply) => {
    const gate = await confirmedViewer(req, reply, ctx, "/profile/2fa");
    if (gate.redirect) return gate.redirect;
    return sensitive(reply, async () => {
      const codes = await regenerateRecoveryCodes(deps, gate.state.viewer, clientInfo(req));
      ctx.mailQueued();
      return page(reply, 200, gate.state, gate.state.t.titleNewRecoveryCodes, <RecoveryCodesView codes={codes} />);
    });
  });
}
