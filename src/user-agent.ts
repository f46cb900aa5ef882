/**
 * "Firefox on Linux": enough to recognise one's own device, no fingerprinting library. Only
 * these fixed words come out, never the header's own text: /sessions shows them, and emails
 * quote them (a requester's User-Agent must not write into a genuine email; issue 18.4).
 */
export function summariseUserAgent(ua: string | null): string {
  if (!ua) return "Unknown device";
  const browser =
    [["Edg/", "Edge"], ["OPR/", "Opera"], ["Firefox/", "Firefox"], ["Chrome/", "Chrome"], ["Safari/", "Safari"], ["curl/", "curl"]].find(([needle]) =>
      ua.includes(needle!),
    )?.[1] ?? "Unknown browser";
  const os =
    [["Android", "Android"], ["iPhone", "iOS"], ["iPad", "iPadOS"], ["Windows", "Windows"], ["Mac OS X", "macOS"], ["CrOS", "ChromeOS"], ["Linux", "Linux"]].find(([needle]) =>
      ua.includes(needle!),
    )?.[1];
  return os ? `${browser} on ${os}` : browser;
}
