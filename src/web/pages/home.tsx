import type { FastifyInstance } from "fastify";
import { isAdmin, type Viewer } from "../../accounts/sessions.ts";
import type { WebContext } from "../http.ts";
import { useT } from "../views/layout.tsx";
import { page, pageState } from "./common.tsx";

/** A next step on the home page: where it goes and why one would. */
function Card({ href, title, children }: { href: string; title: string; children: string }) {
  return (
    <li>
      <h2>
        <a href={href}>{title}</a>
      </h2>
      <p>{children}</p>
    </li>
  );
}

function Visitor() {
  const t = useT();
  return (
    <>
      <p class="lead">{t.homeLead}</p>
      <p>{t.notSignedIn}</p>
      <ul class="cards">
        <Card href="/register" title={t.createAnAccount}>
          {t.cardRegister}
        </Card>
        <Card href="/login" title={t.signIn}>
          {t.cardSignIn}
        </Card>
        <Card href="/forgot" title={t.forgotPassword}>
          {t.cardForgot}
        </Card>
      </ul>
    </>
  );
}

function SignedIn({ viewer }: { viewer: Viewer }) {
  const t = useT();
  return (
    <>
      <p class="lead">
        {t.youAreSignedInAs} <strong>{viewer.email}</strong>.
      </p>
      {viewer.confirmed ? (
        <ul class="cards">
          <Card href="/profile" title={t.titleProfile}>
            {t.cardProfile}
          </Card>
          <Card href="/sessions" title={t.titleDevices}>
            {t.cardDevices}
          </Card>
          {isAdmin(viewer) ? (
            <Card href="/admin" title={t.navAdmin}>
              {t.cardAdmin}
            </Card>
          ) : null}
        </ul>
      ) : (
        <p>
          {t.notConfirmedYet} <a href="/unconfirmed">{t.confirmIt}</a> {t.confirmItHow}
        </p>
      )}
    </>
  );
}

export function homeRoutes(app: FastifyInstance, ctx: WebContext): void {
  app.get("/", async (req, reply) => {
    const state = await pageState(req, reply, ctx);
    const { viewer, t } = state;
    return page(reply, 200, state, viewer ? t.titleWelcomeBack : t.titleWelcome, viewer ? <SignedIn viewer={viewer} /> : <Visitor />);
  });
}
