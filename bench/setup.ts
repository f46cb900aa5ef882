/**
 * Gets what the load needs the way a browser would: accounts made through the real HTTP flows
 * (register, the emailed link, confirm, sign in), cookies and form tokens from real pages.
 */
import { Client } from "../test/helpers/client.ts";
import type { Context } from "./context.ts";
import type { BenchSink } from "./smtp-sink.ts";

export const PASSWORD = "correct horse battery staple";

/** The confirmed account the main server's scenarios share (GET /profile, the sign-ins). */
export const PROFILE_EMAIL = "bench-profile@example.com";

/** `session=…; csrf=…` of PROFILE_EMAIL on the main server, made by whichever scenario runs first. */
export async function profileCookie(ctx: Context): Promise<string> {
  return (ctx.profileCookie ??= await signedInUser(ctx.app.baseUrl, ctx.sink, PROFILE_EMAIL));
}

export interface FormToken {
  /** `csrf=…`, for a Cookie header. */
  readonly cookie: string;
  /** The matching `_csrf` form field. */
  readonly csrf: string;
}

export async function formToken(baseUrl: string): Promise<FormToken> {
  const anon = new Client(baseUrl);
  await anon.get("/login");
  return { cookie: `csrf=${anon.cookies.get("csrf")}`, csrf: anon.csrf! };
}

/** Registers `email` and returns the path of the confirmation link it was sent (/confirm/…). */
export async function registerAndGetLink(baseUrl: string, sink: BenchSink, email: string): Promise<string> {
  sink.watch(email);
  const browser = new Client(baseUrl);
  await browser.get("/register");
  const res = await browser.post("/register", { email, password: PASSWORD, confirm: PASSWORD });
  if (res.status !== 303) throw new Error(`register ${email}: ${res.status}`);
  const text = await sink.textTo(email);
  const path = /\/confirm\/[A-Za-z0-9_-]{43}/.exec(text)?.[0];
  if (!path) throw new Error(`no confirmation link in the mail to ${email}`);
  return path;
}

/** A confirmed account, signed in: returns `session=…; csrf=…` for a Cookie header. */
export async function signedInUser(baseUrl: string, sink: BenchSink, email: string): Promise<string> {
  const link = await registerAndGetLink(baseUrl, sink, email);
  const browser = new Client(baseUrl);
  await browser.get(link);
  const confirmed = await browser.post(link);
  if (confirmed.status !== 303) throw new Error(`confirm ${email}: ${confirmed.status}`);
  return signIn(baseUrl, email);
}

export async function signIn(baseUrl: string, email: string, password = PASSWORD): Promise<string> {
  const browser = new Client(baseUrl);
  await browser.get("/login");
  const res = await browser.post("/login", { email, password });
  if (res.status !== 303 || !browser.session) throw new Error(`sign-in ${email}: ${res.status}`);
  // Both cookies, as a browser sends them (without csrf, every page would mint a new one).
  return `session=${browser.session}; csrf=${browser.cookies.get("csrf")}`;
}

/** One request, checked: a scenario must measure the answer it means to measure. */
export async function expectStatus(url: string, status: number, init: RequestInit = {}): Promise<void> {
  const res = await fetch(url, { redirect: "manual", ...init });
  await res.arrayBuffer();
  if (res.status !== status) throw new Error(`${init.method ?? "GET"} ${url}: ${res.status}, expected ${status}`);
}

/** Waits until the server's outbox has nothing pending (its in-process worker caught up). */
export async function outboxDrained(baseUrl: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ready = (await (await fetch(`${baseUrl}/readyz`)).json()) as { checks?: { outbox?: { pending?: number } } };
    if ((ready.checks?.outbox?.pending ?? 0) === 0) return;
    if (Date.now() > deadline) throw new Error(`the server's outbox still has ${ready.checks?.outbox?.pending} pending mails`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
