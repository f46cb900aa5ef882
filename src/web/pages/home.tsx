import type { FastifyInstance } from "fastify";
import { isAdmin, type Viewer } from "../../accounts/sessions.ts";
import type { WebContext } from "../http.ts";
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
  return (
    <>
      <p class="lead">
        Latchkey is this site's account service: you sign up with your email address, confirm it, and sign in. Your
        password is stored only as a strong hash, and you can see and end every signed-in device.
      </p>
      <p>You are not signed in.</p>
      <ul class="cards">
        <Card href="/register" title="Create an account">
          New here? Sign up with your email address and a password; we email you a link to confirm it.
        </Card>
        <Card href="/login" title="Sign in">
          Already have an account? Sign in with your email address and password.
        </Card>
        <Card href="/forgot" title="Forgot your password?">
          We email you a link to choose a new one.
        </Card>
      </ul>
    </>
  );
}

function SignedIn({ viewer }: { viewer: Viewer }) {
  return (
    <>
      <p class="lead">
        You are signed in as <strong>{viewer.email}</strong>.
      </p>
      {viewer.confirmed ? (
        <ul class="cards">
          <Card href="/profile" title="Your profile">
            Your address and when you joined; change your password or email address.
          </Card>
          <Card href="/sessions" title="Signed-in devices">
            Every browser signed in to your account; sign out the ones you do not recognise.
          </Card>
          {isAdmin(viewer) ? (
            <Card href="/admin" title="Admin">
              Sign-ups and confirmations by day and week, accounts, and email delivery.
            </Card>
          ) : null}
        </ul>
      ) : (
        <p>
          Your address is not confirmed yet. <a href="/unconfirmed">Confirm it</a> with the link or code we emailed you.
        </p>
      )}
    </>
  );
}

export function homeRoutes(app: FastifyInstance, ctx: WebContext): void {
  app.get("/", async (req, reply) => {
    const state = await pageState(req, reply, ctx);
    const { viewer } = state;
    return page(reply, 200, state, viewer ? "Welcome back" : "Welcome to Latchkey", viewer ? <SignedIn viewer={viewer} /> : <Visitor />);
  });
}
