import { BlockList, isIP } from "node:net";

/**
 * Who may ask the verify routes (SPEC §7): loopback, or an address in TRUST_PROXY (IPs or
 * CIDRs). Anyone else could forge the forwarded headers that name the protected URL.
 */
export function trustedCallers(trustProxy: readonly string[]): (address: string | undefined) => boolean {
  const list = new BlockList();
  list.addSubnet("127.0.0.0", 8, "ipv4");
  list.addAddress("::1", "ipv6");
  for (const entry of trustProxy) {
    const [ip, bits] = entry.split("/") as [string, string | undefined];
    const family = isIP(ip);
    if (family === 0) continue; // proxy-addr keywords ("loopback") mean nothing more here
    const type = family === 4 ? "ipv4" : "ipv6";
    if (bits === undefined) list.addAddress(ip, type);
    else list.addSubnet(ip, Number(bits), type);
  }
  return (address) => {
    if (!address) return false;
    // A dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d.
    const ip = address.startsWith("::ffff:") && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
    const family = isIP(ip);
    return family !== 0 && list.check(ip, family === 4 ? "ipv4" : "ipv6");
  };
}
