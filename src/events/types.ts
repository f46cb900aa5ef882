/** The account events of SPEC §7, a closed list (endpoints subscribe to some or all of them). */
export const EVENT_TYPES = [
  "user.created",
  "user.email_confirmed",
  "user.email_changed",
  "user.password_changed",
  "user.mfa_changed",
  "user.disabled",
  "user.enabled",
  "user.deleted",
  "session.created",
  "session.revoked",
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

export function isEventType(value: string): value is EventType {
  return (EVENT_TYPES as readonly string[]).includes(value);
}
