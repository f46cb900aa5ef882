import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createAdmin } from "../../src/accounts/admin.ts";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import type { Client } from "../helpers/client.ts";
import { testDialects } from "../helpers/databases.ts";
import { PASSWORD, signIn } from "../helpers/flows.ts";

const T0 = Date.UTC(2026, 0, 1);

/** A seeded account: its address as typed, when it registered, and its flags. */
interface Seed {
  readonly email: string;
  readonly at: number;
  readonly confirmed?: boolean;
  readonly admin?: boolean;
  readonly disabled?: boolean;
}

const NAMED: Seed[] = [
  { email: "ann@example.com", at: T0 + 1, confirmed: true },
  { email: "Anna@Example.com", at: T0 + 2, confirmed: true, admin: true },
  { email: "annabel@example.org", at: T0 + 3 },
  { email: "anm@example.com", at: T0 + 4, disabled: true, confirmed: true },
  { email: "ao@example.com", at: T0 + 5 },
  { email: "bo@example.com", at: T0 + 6, confirmed: true },
  { email: "bob@example.com", at: T0 + 7, confirmed: true, disabled: true },
  { email: "an~tilde@example.com", at: T0 + 8 },
];

/** 120 accounts "fill…", in groups of 10 that share one registration time (ties across page ends). */
const FILL: Seed[] = Array.from({ length: 120 }, (_, i) => ({ email: `fill${String(i).padStart(3, "0")}@example.net`, at: T0 + 1000 + Math.floor(i / 10), confirmed: i % 2 === 0 }));

interface Row {
  id: string;
  email: string;
  registered_on: string;
  admin: boolean;
  disabled_at: string | null;
  confirmed_on: string | null;
}

for (const dialect of await testDialects()) {
  describe(`admin account search (${dialect})`, () => {
    let app: TestApp;
    let admin: Client;
    before(async () => {
      app = await startTestApp({ dialect, smtp: false, worker: false });
      await createAdmin(app.service.deps, "boss@example.com", async () => PASSWORD);
      admin = (await signIn(app, "boss@example.com")).browser;
      const seeds = [...NAMED, ...FILL];
      await app.service.deps.db.kysely
        .insertInto("users")
        .values(
          seeds.map((s, i) => ({
            id: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
            email: s.email,
            email_canonical: s.email.toLowerCase(),
            password_hash: "x",
            registered_on: s.at,
            confirmed: s.confirmed ? 1 : 0,
            confirmed_on: s.confirmed ? s.at : null,
            admin: s.admin ? 1 : 0,
            disabled_at: s.disabled ? s.at : null,
            confirmation_sent_at: null,
          })),
        )
        .execute();
    });
    after(() => app.close());

    async function search(params: Record<string, string>): Promise<{ users: Row[]; next: string | null }> {
      const res = await admin.get(`/api/v1/admin/users?${new URLSearchParams(params)}`);
      assert.equal(res.status, 200, JSON.stringify(params));
      return res.json();
    }
    const emails = async (params: Record<string, string>) => (await search(params)).users.map((u) => u.email);

    test("a prefix matches the canonical address in any case, newest first", async () => {
      assert.deepEqual(await emails({ q: "ANN" }), ["annabel@example.org", "Anna@Example.com", "ann@example.com"]);
      assert.deepEqual(await emails({ q: "  aNn " }), ["annabel@example.org", "Anna@Example.com", "ann@example.com"], "trimmed");
    });

    test("an address that is a prefix of another: the shorter query finds both, the full address finds itself", async () => {
      assert.deepEqual(await emails({ q: "ann@" }), ["ann@example.com"]);
      assert.deepEqual(await emails({ q: "anna" }), ["annabel@example.org", "Anna@Example.com"]);
      assert.deepEqual(await emails({ q: "bo" }), ["boss@example.com", "bob@example.com", "bo@example.com"]);
      assert.deepEqual(await emails({ q: "bob" }), ["bob@example.com"]);
      assert.deepEqual(await emails({ q: "bo@example.com" }), ["bo@example.com"]);
      assert.deepEqual(await emails({ q: "annabel@example.org" }), ["annabel@example.org"]);
    });

    test("boundaries: neighbours just below and above the range are left out; characters sorting high still match", async () => {
      // "anm" < "ann" < "ao": both neighbours exist and must not match.
      assert.deepEqual(await emails({ q: "ann" }), ["annabel@example.org", "Anna@Example.com", "ann@example.com"]);
      assert.deepEqual(await emails({ q: "an" }), ["an~tilde@example.com", "anm@example.com", "annabel@example.org", "Anna@Example.com", "ann@example.com"]);
      assert.deepEqual(await emails({ q: "an~" }), ["an~tilde@example.com"]);
      assert.deepEqual(await emails({ q: "annabel@example.org." }), [], "longer than any address");
      assert.deepEqual(await emails({ q: "zzz" }), []);
      assert.deepEqual(await emails({ q: "%" }), [], "no LIKE wildcards");
      assert.deepEqual(await emails({ q: "_" }), []);
    });

    test("status filters, alone and with a prefix", async () => {
      assert.deepEqual(await emails({ q: "an", status: "confirmed" }), ["anm@example.com", "Anna@Example.com", "ann@example.com"]);
      assert.deepEqual(await emails({ q: "an", status: "unconfirmed" }), ["an~tilde@example.com", "annabel@example.org"]);
      assert.deepEqual(await emails({ status: "disabled" }), ["bob@example.com", "anm@example.com"]);
      const admins = await emails({ status: "admin" });
      assert.deepEqual([...admins].sort(), ["Anna@Example.com", "boss@example.com"]);
      assert.equal((await admin.get("/api/v1/admin/users?status=nobody")).status, 422);
    });

    test("keyset pages of 50, newest first, across equal registration times, to a last page without a next link", async () => {
      const seen: Row[] = [];
      let after: string | null = null;
      const sizes: number[] = [];
      do {
        const page: { users: Row[]; next: string | null } = await search({ q: "fill", ...(after ? { after } : {}) });
        sizes.push(page.users.length);
        seen.push(...page.users);
        after = page.next;
      } while (after);
      assert.deepEqual(sizes, [50, 50, 20]);
      assert.equal(new Set(seen.map((u) => u.id)).size, 120, "no account twice, none left out");
      const expected = FILL.map((s, i) => ({ ...s, id: `00000000-0000-4000-8000-${String(NAMED.length + i).padStart(12, "0")}` })).sort((a, b) => b.at - a.at || (a.id < b.id ? 1 : -1));
      assert.deepEqual(
        seen.map((u) => u.email),
        expected.map((s) => s.email),
      );

      const exactly50 = await search({ q: "fill0", status: "confirmed" });
      assert.equal(exactly50.users.length, 50, "fill000–fill099, even ones");
      assert.equal(exactly50.next, null, "a full last page has no next cursor");
    });

    test("the page: rows link to the account, a next link carries the cursor and the filters, a bad cursor is a 422", async () => {
      const res = await admin.get("/admin/users?q=FILL&status=unconfirmed");
      assert.equal(res.status, 200);
      const rows = [...res.text.matchAll(/<tr data-account="([^"]+)">/g)].map((m) => m[1]!);
      assert.equal(rows.length, 50);
      assert.match(res.text, new RegExp(`href="/admin/users/${rows[0]}"`));
      const next = /<a href="([^"]+)" rel="next">/.exec(res.text)?.[1]?.replace(/&amp;/g, "&");
      assert.ok(next, "a next page link");
      const url = new URL(next, "http://x");
      assert.equal(url.searchParams.get("q"), "FILL");
      assert.equal(url.searchParams.get("status"), "unconfirmed");
      const second = await admin.get(next);
      const rows2 = [...second.text.matchAll(/<tr data-account="([^"]+)">/g)].map((m) => m[1]!);
      assert.equal(rows2.length, 10);
      assert.doesNotMatch(second.text, /rel="next"/, "the last page");
      assert.equal(rows.filter((id) => rows2.includes(id)).length, 0);
      assert.equal((await admin.get("/admin/users?after=garbage")).status, 422);
      assert.equal((await admin.get("/api/v1/admin/users?after=garbage")).status, 422);
    });
  });
}

/**
 * Broad prefixes (1,000 matches or more) are looked for among the newest accounts first and read
 * as a range only when that falls short (src/admin/users.ts). Both ways must give the same answer
 * as the plain definition: every match, newest first, in pages of 50.
 */
const OLD_WIDE = 1_100;
const NEW_NARROW = 10_050;
for (const dialect of await testDialects()) {
  describe(`admin account search, broad prefixes (${dialect})`, () => {
    let app: TestApp;
    let admin: Client;
    const byEmail = new Map<string, number>();
    before(async () => {
      app = await startTestApp({ dialect, smtp: false, worker: false });
      await createAdmin(app.service.deps, "boss@example.com", async () => PASSWORD);
      admin = (await signIn(app, "boss@example.com")).browser;
      // "wide…" are the oldest accounts, behind more than 10,000 newer "zz…" ones; every tenth
      // "zz…" is unconfirmed; two "wide…" accounts registered last of all.
      const seeds: Seed[] = [
        ...Array.from({ length: OLD_WIDE }, (_, i) => ({ email: `wide${i}@example.com`, at: T0 - 1_000_000 + i, confirmed: i % 3 === 0 })),
        ...Array.from({ length: NEW_NARROW }, (_, i) => ({ email: `zz${i}@example.com`, at: T0 + i, confirmed: i % 10 !== 0 })),
        { email: "wide-newest@example.com", at: T0 + NEW_NARROW + 1, confirmed: true },
        { email: "wide-newer@example.com", at: T0 + NEW_NARROW, confirmed: false },
      ];
      for (let k = 0; k < seeds.length; k += 1000) {
        await app.service.deps.db.kysely
          .insertInto("users")
          .values(
            seeds.slice(k, k + 1000).map((s, j) => ({
              id: `00000000-0000-4000-9000-${String(k + j).padStart(12, "0")}`,
              email: s.email,
              email_canonical: s.email,
              password_hash: "x",
              registered_on: s.at,
              confirmed: s.confirmed ? 1 : 0,
              confirmed_on: s.confirmed ? s.at : null,
              admin: 0,
              disabled_at: null,
              confirmation_sent_at: null,
            })),
          )
          .execute();
      }
      for (const s of seeds) byEmail.set(s.email, s.at);
    });
    after(() => app.close());

    /** Every page of a search, followed by its next links. */
    async function allPages(params: Record<string, string>): Promise<{ emails: string[]; sizes: number[] }> {
      const emails: string[] = [];
      const sizes: number[] = [];
      let after: string | null = null;
      do {
        const res = await admin.get(`/api/v1/admin/users?${new URLSearchParams({ ...params, ...(after ? { after } : {}) })}`);
        assert.equal(res.status, 200);
        const page = (await res.json()) as { users: Row[]; next: string | null };
        emails.push(...page.users.map((u) => u.email));
        sizes.push(page.users.length);
        after = page.next;
      } while (after);
      return { emails, sizes };
    }
    const newestFirst = (keep: (email: string) => boolean) =>
      [...byEmail].filter(([email]) => keep(email)).sort((a, b) => b[1] - a[1]).map(([email]) => email);

    test("a prefix whose matches are all older than the newest 10,000 accounts: every one, newest first", async () => {
      const { emails, sizes } = await allPages({ q: "WIDE" });
      assert.deepEqual(emails, newestFirst((e) => e.startsWith("wide")));
      assert.equal(emails.length, OLD_WIDE + 2);
      assert.deepEqual(sizes, [...Array(22).fill(50), 2]);
    });

    test("a prefix matching most accounts, and the same with a status: pages from the newest", async () => {
      const first = await admin.get("/api/v1/admin/users?q=zz");
      const page = (await first.json()) as { users: Row[]; next: string | null };
      assert.deepEqual(
        page.users.map((u) => u.email),
        newestFirst((e) => e.startsWith("zz")).slice(0, 50),
      );
      const unconfirmed = await allPages({ q: "zz1", status: "unconfirmed" });
      assert.deepEqual(unconfirmed.emails, newestFirst((e) => e.startsWith("zz1") && Number(e.slice(2, e.indexOf("@"))) % 10 === 0));
      const confirmedWide = await allPages({ q: "wide", status: "confirmed" });
      assert.deepEqual(confirmedWide.emails, newestFirst((e) => e === "wide-newest@example.com" || (/^wide\d/.test(e) && Number(e.slice(4, e.indexOf("@"))) % 3 === 0)));
    });
  });
}
