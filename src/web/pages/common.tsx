import type { FastifyReply, FastifyRequest } from "fastify";
import type { ComponentChildren } from "preact";
import type { Viewer } from "../../accounts/sessions.ts";
import { csrfToken, render, viewerOf, type WebContext } from "../http.ts";
import { Layout } from "../views/layout.tsx";
import { withNext } from "../redirects.ts";

export interface PageState {
  readonly viewer: Viewer | null;
  readonly csrf: string;
}

/** Everything a page needs from the request: who is signed in and a CSRF token for its forms. */
export async function pageState(req: FastifyRequest, reply: FastifyReply, ctx: WebContext): Promise<PageState> {
  return { viewer: await viewerOf(req, ctx.deps), csrf: csrfToken(req, reply, ctx.deps) };
}

/** Renders a page in the layout. */
export function page(reply: FastifyReply, status: number, state: PageState, title: string, body: ComponentChildren, scripts?: string[]) {
  return render(
    reply,
    status,
    <Layout title={title} viewer={state.viewer} csrf={state.csrf} scripts={scripts}>
      {body}
    </Layout>,
  );
}

/** Signed-in-only pages send anonymous visitors to sign in and come back. */
export function toLogin(reply: FastifyReply, returnTo: string) {
  return reply.redirect(withNext("/login", returnTo), 303);
}
