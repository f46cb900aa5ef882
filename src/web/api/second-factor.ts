import type { FastifyInstance, FastifyRequest } from "fastify";
import { AccountError } from "../../accounts/errors.ts";
import { disableTotp, enableTotp, regenerateRecoveryCodes, startTotpSetup } from "../../accounts/second-factor/enrolment.ts";
import { completeSecondFactor } from "../../accounts/second-factor/sign-in.ts";
import { mfaMethods, secondFactors } from "../../accounts/second-factor/verify.ts";
import type { Viewer } from "../../accounts/sessions.ts";
import { guardedReauth } from "../guarded.ts";
import { clearSessionCookie, clientInfo, formFields, setSessionCookie, type WebContext } from "../http.ts";
import { pendingSignIn } from "../second-step.ts";
import { errorFor } from "./respond.ts";

type Gate = (req: FastifyRequest) => Promise<Viewer>;

/** SPEC §9's API twins: second step of sign-in, re-authentication, TOTP and recovery codes. */
export function secondFactorApi(api: FastifyInstance, ctx: WebContext, gates: { signedIn: Gate; confirmed: Gate }): void {
  const { deps } = ctx;
  const { signedIn, confirmed } = gates;

  api.post("/login/2fa", async (req, reply) => {
    const pending = await pendingSignIn(req, ctx);
    if (!pending) throw errorFor("unauthenticated");
    const { code } = formFields(req.body, ["code"]);
    const result = await completeSecondFactor(deps, pending, code, clientInfo(req));
    if (!result.ok) {
      if (result.ended) clearSessionCookie(reply, deps);
      throw new AccountError("invalid_credentials", { message: "That code is not right." });
    }
    setSessionCookie(reply, deps, result.session);
    ctx.mailQueued();
    return { user: { confirmed: pending.confirmed } };
  });

  api.post("/reauth", async (req, reply) => {
    const viewer = await signedIn(req);
    if (viewer.signupAttempt) throw errorFor("unauthenticated");
    const { password, code } = formFields(req.body, ["password", "code"]);
    await guardedReauth(ctx, req, reply, viewer, { password, code });
    return reply.code(204).send();
  });

  api.get("/me/2fa", async (req) => {
    const viewer = await confirmed(req);
    const f = await secondFactors(deps.db.kysely, viewer.userId);
    return {
      totp: f.totp,
      recovery_codes_left: f.recoveryCodesLeft,
      passkeys: f.passkeys,
      methods: mfaMethods(f, deps.config.webauthnRpId !== null),
    };
  });

  api.post("/me/2fa/totp/setup", async (req) => {
    const setup = await startTotpSetup(deps, await confirmed(req));
    return { secret: setup.secret, otpauth_uri: setup.uri };
  });

  api.post("/me/2fa/totp", async (req, reply) => {
    const viewer = await confirmed(req);
    const { code } = formFields(req.body, ["code"]);
    const enabled = await enableTotp(deps, viewer, code, clientInfo(req));
    setSessionCookie(reply, deps, enabled.session);
    ctx.mailQueued();
    return { recovery_codes: enabled.recoveryCodes };
  });

  api.delete("/me/2fa/totp", async (req, reply) => {
    await disableTotp(deps, await confirmed(req), clientInfo(req));
    ctx.mailQueued();
    return reply.code(204).send();
  });

  api.post("/me/2fa/recovery-codes", async (req) => {
    const codes = await regenerateRecoveryCodes(deps, await confirmed(req), clientInfo(req));
    ctx.mailQueued();
    return { recovery_codes: codes };
  });
}

