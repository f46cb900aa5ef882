import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { formatTime } from "../../src/mail/message.tsx";

test("formatTime spells out a UTC time", () => {
  assert.equal(formatTime(Date.UTC(2026, 10, 24, 9, 5, 59)), "Tuesday, 24 November 2026, 09:05 UTC");
  assert.equal(formatTime(0), "Thursday, 1 January 1970, 00:00 UTC");
});

test("formatTime names the same day and minute as Intl's UTC calendar, for any time in years 1970–9999", () => {
  const intl = new Intl.DateTimeFormat("en-GB", { weekday: "long", day: "numeric", month: "long", year: "numeric", hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: "UTC" });
  fc.assert(
    fc.property(fc.integer({ min: 0, max: Date.UTC(9999, 11, 31, 23, 59) }), (ms) => {
      const p = Object.fromEntries(intl.formatToParts(ms).map((x) => [x.type, x.value]));
      assert.equal(formatTime(ms), `${p.weekday}, ${p.day} ${p.month} ${p.year}, ${p.hour}:${p.minute} UTC`);
    }),
    { numRuns: 2000 },
  );
});
