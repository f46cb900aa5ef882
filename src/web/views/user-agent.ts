/** "Firefox on Linux": enough to recognise one's own device, no fingerprinting library. */
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
