import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import Fastify from "fastify";
import type { Deps } from "../src/accounts/deps.ts";
import { AccountError, catalogueMessage, ERROR_CATALOGUE } from "../src/accounts/errors.ts";
import { catalogue } from "../src/i18n/index.ts";
import { API_PREFIX, apiRoutes } from "../src/web/api/routes.ts";
import { OPENAPI } from "../src/web/api/openapi.ts";
import { NO_LIMITS } from "../src/web/rate-limits.ts";
import { startTestApp, type TestApp } from "./helpers/app.ts";

/**
 * DESIGN rule 12: one closed catalogue of error codes; the catalogue, the OpenAPI document and
 * the docs agree.
 */

/** SPEC §5's codes, with the status SPEC §3/§5 gives each. */
const SPEC_CODES: Record<string, number> = {
  invalid_input: 422, // "Invalid input re-renders the form with field errors and 422"
  invalid_credentials: 401, // "wrong credentials 401"
  unauthenticated: 401,
  email_unconfirmed: 403,
  forbidden: 403, // "a POST without a valid one gets 403"
  token_invalid: 400, // "invalid/expired/used → 400"
  token_expired: 400,
  rate_limited: 429, // "rate-limited 429 with Retry-After"
  payload_too_large: 413, // "body over 64 KiB 413"
  not_found: 404, // "unknown path 404"
};

const CODES = Object.keys(ERROR_CATALOGUE);

type Operation = { responses: Record<string, { description?: string; content?: Record<string, { schema?: { $ref?: string } }> }> };
type OpenApi = { openapi: string; paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, unknown> } };

const doc = OPENAPI as unknown as OpenApi;

function operations(d: OpenApi): Array<{ method: string; path: string; op: Operation }> {
  return Object.entries(d.paths).flatMap(([path, item]) => Object.entries(item).map(([method, op]) => ({ method, path, op })));
}

function errorEnum(d: OpenApi): string[] {
  const schema = d.components.schemas.Error as { properties: { error: { properties: { code: { enum: string[] } } } } };
  return schema.properties.error.properties.code.enum;
}

/** `/api/v1/me/sessions/:id` → `/me/sessions/{id}` (the document's servers url is /api/v1). */
function openApiPath(url: string): string {
  return url.slice(API_PREFIX.length).replace(/:(\w+)/g, "{$1}");
}

/** Every (method, url) apiRoutes registers under /api/v1, read off a bare fastify instance. */
async function registeredApiRoutes(): Promise<string[]> {
  const app = Fastify({ logger: false });
  const routes: string[] = [];
  app.addHook("onRoute", (route) => {
    for (const method of [route.method].flat()) {
      if (method !== "HEAD" && route.url.startsWith(`${API_PREFIX}/`)) routes.push(`${method.toLowerCase()} ${route.url}`);
    }
  });
  apiRoutes(app, { deps: {} as Deps, limits: NO_LIMITS, mailQueued: () => {} });
  await app.ready();
  await app.close();
  return routes.sort();
}

describe("the error catalogue", () => {
  test("every code has an HTTP error status and a message", () => {
    for (const [code, entry] of Object.entries(ERROR_CATALOGUE)) {
      assert.match(code, /^[a-z]+(_[a-z]+)*$/, `${code} is snake_case`);
      assert.ok(Number.isInteger(entry.status) && entry.status >= 400 && entry.status <= 599, `${code}: ${entry.status}`);
      const message = catalogueMessage(code as keyof typeof ERROR_CATALOGUE, catalogue("en"));
      assert.ok(message.length > 0, `${code} has a message`);
      const err = new AccountError(code as keyof typeof ERROR_CATALOGUE);
      assert.equal(err.status, entry.status);
      assert.equal(err.message, message);
    }
  });

  test("every code of SPEC §5 is in the catalogue with the status the SPEC implies", () => {
    for (const [code, status] of Object.entries(SPEC_CODES)) {
      assert.ok(Object.hasOwn(ERROR_CATALOGUE, code), `${code} is in the catalogue`);
      assert.equal(ERROR_CATALOGUE[code as keyof typeof ERROR_CATALOGUE].status, status, `${code} → ${status}`);
    }
  });

  test("the OpenAPI Error schema's code enum is exactly the catalogue", () => {
    const codes = errorEnum(doc);
    assert.deepEqual([...codes].sort(), [...CODES].sort());
    assert.equal(new Set(codes).size, codes.length, "no duplicates");
  });

  test("every code is documented in the OpenAPI document under its status", () => {
    const undocumented = CODES.filter((code) => {
      const status = String(ERROR_CATALOGUE[code as keyof typeof ERROR_CATALOGUE].status);
      return !operations(doc).some(({ op }) => new RegExp(`\\b${code}\\b`).test(op.responses[status]?.description ?? ""));
    });
    assert.deepEqual(undocumented, [], "codes no response description names under the code's status");
  });

  test("every error response of the OpenAPI document uses the Error schema", () => {
    for (const { method, path, op } of operations(doc)) {
      for (const [status, response] of Object.entries(op.responses)) {
        if (Number(status) < 400) continue;
        assert.equal(response.content?.["application/json"]?.schema?.$ref, "#/components/schemas/Error", `${method.toUpperCase()} ${path} → ${status}`);
      }
    }
  });

  test("README lists every code with its status; codes beyond SPEC §5 are explained there", () => {
    const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
    const lines = readme.split("\n");
    for (const code of CODES) {
      const status = ERROR_CATALOGUE[code as keyof typeof ERROR_CATALOGUE].status;
      const line = lines.find((l) => l.includes(`\`${code}\``));
      assert.ok(line, `README mentions \`${code}\``);
      assert.match(line, new RegExp(`\\b${status}\\b`), `README gives ${code} its status ${status}: ${line}`);
    }
    const extras = CODES.filter((c) => !Object.hasOwn(SPEC_CODES, c));
    for (const code of extras) assert.ok(readme.includes(`\`${code}\``), `extra code ${code} is in README`);
  });
});

describe("the OpenAPI document", () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp({ smtp: false, worker: false });
  });
  after(() => app.close());

  test("GET /api/openapi.json serves an OpenAPI 3.1.0 document equal to the one in the source", async () => {
    const res = await app.client().get("/api/openapi.json");
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /^application\/json\b/);
    const served = res.json<OpenApi & { servers: { url: string }[] }>();
    assert.equal(served.openapi, "3.1.0");
    assert.deepEqual(served.servers, [{ url: API_PREFIX }]);
    assert.deepEqual(served, JSON.parse(JSON.stringify(OPENAPI)));
    assert.deepEqual([...errorEnum(served)].sort(), [...CODES].sort());
  });

  test("its paths are exactly the routes registered under /api/v1", async () => {
    const served = (await app.client().get("/api/openapi.json")).json<OpenApi>();
    const documented = operations(served)
      .map(({ method, path }) => `${method} ${path}`)
      .sort();
    const registered = (await registeredApiRoutes()).map((r) => {
      const [method, url] = r.split(" ") as [string, string];
      return `${method} ${openApiPath(url)}`;
    });
    assert.ok(registered.length >= 13, `SPEC §5's routes are registered (${registered.length})`);
    assert.deepEqual(documented, registered.sort());

    // …and the running server answers each of them.
    for (const { method, path } of operations(served)) {
      const url = `${API_PREFIX}${path.replace(/\{(\w+)\}/g, ":$1")}`;
      assert.ok(app.service.app.hasRoute({ method: method.toUpperCase() as "GET", url }), `${method.toUpperCase()} ${url} is routed`);
    }
  });

  test("it covers SPEC §5's routes", async () => {
    const served = (await app.client().get("/api/openapi.json")).json<OpenApi>();
    const spec = [
      "post /register",
      "post /login",
      "post /logout",
      "post /confirm",
      "post /resend",
      "post /password/forgot",
      "post /password/reset",
      "post /me/password",
      "post /me/email",
      "get /me",
      "get /me/sessions",
      "delete /me/sessions/{id}",
    ];
    const documented = new Set(operations(served).map(({ method, path }) => `${method} ${path}`));
    for (const op of spec) assert.ok(documented.has(op), `${op} is documented`);
  });
});
