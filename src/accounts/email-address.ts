import { domainToASCII } from "node:url";

export interface EmailAddress {
  /** What we send to and show: local part as typed (after NFKC), domain lower-cased and IDNA-encoded. */
  readonly address: string;
  /** What uniqueness is decided on: the whole address lower-cased. */
  readonly canonical: string;
}

export const EMAIL_MAX_LENGTH = 254;

// Local part: the unquoted dot-atom of RFC 5322 plus non-ASCII letters (SMTPUTF8).
// Quotes, backslashes, spaces, control and format characters are refused outright.
const LOCAL_CHAR = /^[\p{L}\p{N}\p{M}!#$%&'*+/=?^_`{|}~.-]+$/u;
// Domain as typed: letters, digits, dots (incl. the ideographic full stop), hyphens. Checked
// before domainToASCII, which would otherwise percent-decode ("ex%61mple.com") and parse IPv4.
const DOMAIN_CHAR = /^[\p{L}\p{N}\p{M}.\u3002-]+$/u;

/** Parses an address as typed into a form. Returns the reason as a message when it is not usable. */
export function parseEmail(input: string): EmailAddress | string {
  if (typeof input !== "string" || input.trim() === "") return "Enter your email address.";
  if (input.length > 1024) return "That email address is too long.";
  if (!input.isWellFormed()) return "That email address contains invalid characters.";
  const value = input.normalize("NFKC").trim();
  if (/[\p{Cc}\p{Cf}\p{Z}]/u.test(value)) return "An email address cannot contain spaces or control characters.";
  const parts = value.split("@");
  if (parts.length !== 2) return "An email address has exactly one @.";
  const [local, domainInput] = parts as [string, string];
  if (!local || !LOCAL_CHAR.test(local) || local.startsWith(".") || local.endsWith(".") || local.includes("..")) {
    return "The part before the @ is not valid.";
  }
  if ([...local].length > 64) return "The part before the @ is too long.";
  if (!DOMAIN_CHAR.test(domainInput)) return "The part after the @ is not a valid domain.";
  const domain = domainToASCII(domainInput.toLowerCase().replace(/\.$/, ""));
  // An all-numeric last label is no top-level domain (RFC 3696 §2): "1.2.3.4" is an IP address.
  if (!domain || !domain.includes(".") || !/^[a-z0-9.-]+$/.test(domain) || domain.split(".").some(badLabel) || /\.[0-9]+$/.test(domain)) {
    return "The part after the @ is not a valid domain.";
  }
  const address = `${local}@${domain}`;
  if (address.length > EMAIL_MAX_LENGTH) return "That email address is too long.";
  return { address, canonical: address.toLowerCase() };
}

function badLabel(label: string): boolean {
  return label.length === 0 || label.length > 63 || label.startsWith("-") || label.endsWith("-");
}
