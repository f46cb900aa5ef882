import { isLocale, type Locale } from "../i18n/index.ts";
import type { Deps, Trx } from "./deps.ts";

/** Stores the account's language (SPEC §8): every later email to it uses this one. */
export async function setLocale(deps: Pick<Deps, "db">, userId: string, locale: Locale): Promise<void> {
  await deps.db.kysely.updateTable("users").set({ locale }).where("id", "=", userId).execute();
}

/** A stored locale, or DEFAULT_LOCALE when none (or an unknown one) is stored. */
export function storedLocale(value: string | null | undefined, config: Pick<Deps["config"], "defaultLocale">): Locale {
  return isLocale(value) ? value : config.defaultLocale;
}

/**
 * The language to mail an account in: its stored one, else DEFAULT_LOCALE; never the language
 * of whoever caused the email (an admin, a sign-up attempt on the address).
 */
export async function recipientLocale(trx: Trx, deps: Pick<Deps, "config">, userId: string): Promise<Locale> {
  const row = await trx.selectFrom("users").select("locale").where("id", "=", userId).executeTakeFirst();
  return storedLocale(row?.locale, deps.config);
}
