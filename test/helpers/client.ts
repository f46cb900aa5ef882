import { parseSetCookie } from "cookie";

export interface Response {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  /** Location header of a redirect, if any. */
  readonly location: string | null;
  json<T = unknown>(): T;
}

/**
 * A browser-ish HTTP client: its own cookie jar, redirects not followed (tests assert them),
 * and the CSRF token taken from the last page it saw.
 */
export class Client {
  readonly cookies = new Map<string, string>();
  csrf: string | undefined;

  constructor(readonly baseUrl: string) {}

  async request(method: string, path: string, init: { body?: string; headers?: Record<string, string> } = {}): Promise<Response> {
    const headers: Record<string, string> = { ...init.headers };
    const cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
    if (cookie && !("cookie" in headers)) headers.cookie = cookie;
    const res = await fetch(new URL(path, this.baseUrl), { method, headers, body: init.body, redirect: "manual" });
    for (const line of res.headers.getSetCookie()) {
      const c = parseSetCookie(line);
      if (!c.name) continue;
      const expired = c.maxAge !== undefined ? c.maxAge <= 0 : c.expires !== undefined && c.expires.getTime() <= Date.now();
      if (expired) this.cookies.delete(c.name);
      else this.cookies.set(c.name, c.value ?? "");
    }
    const text = await res.text();
    const token = /name="_csrf" value="([^"]+)"/.exec(text)?.[1];
    if (token) this.csrf = token;
    return { status: res.status, headers: res.headers, text, location: res.headers.get("location"), json: () => JSON.parse(text) };
  }

  get(path: string, headers?: Record<string, string>): Promise<Response> {
    return this.request("GET", path, headers ? { headers } : {});
  }

  /**
   * Posts a urlencoded form. Adds `_csrf` from the last page seen (fetching `/` first if
   * there was none) unless `csrf: false` or the fields carry their own.
   */
  async post(path: string, fields: Record<string, string | string[]> = {}, opts: { csrf?: boolean; headers?: Record<string, string> } = {}): Promise<Response> {
    const body = new URLSearchParams();
    if (opts.csrf !== false && !("_csrf" in fields)) {
      if (!this.csrf) await this.get("/");
      body.append("_csrf", this.csrf!);
    }
    for (const [k, v] of Object.entries(fields)) for (const one of Array.isArray(v) ? v : [v]) body.append(k, one);
    return this.request("POST", path, {
      body: body.toString(),
      headers: { "content-type": "application/x-www-form-urlencoded", ...opts.headers },
    });
  }

  get session(): string | undefined {
    return this.cookies.get("session");
  }
}
