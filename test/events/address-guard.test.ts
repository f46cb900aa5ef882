import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { checkAddress, parseWebhookUrl, privateAddressReason, WebhookRefused } from "../../src/events/address-guard.ts";

describe("webhook SSRF guard", () => {
  test("loopback, private, link-local and other non-public IPv4 addresses are refused", () => {
    for (const a of ["127.0.0.1", "127.255.0.9", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0", "224.0.0.1", "255.255.255.255", "198.18.0.1"]) {
      assert.ok(privateAddressReason(a), a);
    }
    for (const a of ["8.8.8.8", "1.1.1.1", "172.32.0.1", "192.169.0.1", "100.128.0.1", "93.184.215.14"]) assert.equal(privateAddressReason(a), undefined, a);
  });

  test("IPv6 loopback, unique-local, link-local and IPv4-mapped/compatible/NAT64 forms of private IPv4 are refused", () => {
    for (const a of ["::1", "::", "fd00::1", "fc12:3456::1", "fe80::1", "ff02::1", "::ffff:127.0.0.1", "::ffff:7f00:1", "::ffff:10.0.0.1", "::ffff:a9fe:a9fe", "::127.0.0.1", "64:ff9b::10.0.0.1", "64:ff9b::a00:1", "0:0:0:0:0:ffff:c0a8:0101"]) {
      assert.ok(privateAddressReason(a), a);
    }
    for (const a of ["2606:4700:4700::1111", "2001:4860:4860::8888", "::ffff:8.8.8.8", "64:ff9b::808:808"]) assert.equal(privateAddressReason(a), undefined, a);
  });

  test("names are resolved and every answer checked; WEBHOOK_ALLOW_PRIVATE lets them through", async () => {
    await assert.rejects(checkAddress(new URL("http://localhost:9/x"), false), /localhost: 127\.0\.0\.1 is a loopback/);
    await assert.rejects(checkAddress(new URL("http://[::1]:9/x"), false), WebhookRefused);
    await assert.rejects(checkAddress(new URL("http://does-not-exist.invalid/"), true), /does not resolve/);
    assert.deepEqual(await checkAddress(new URL("http://127.0.0.1:9/x"), true), { address: "127.0.0.1", family: 4 });
    assert.deepEqual(await checkAddress(new URL("http://[::1]:9/x"), true), { address: "::1", family: 6 });
  });

  test("only http(s) URLs without credentials", () => {
    for (const url of ["ftp://example.com/", "file:///etc/passwd", "gopher://example.com/", "http://user:pw@example.com/", "http://user@example.com/", "example.com/hook"]) {
      assert.throws(() => parseWebhookUrl(url), WebhookRefused, url);
    }
    assert.equal(parseWebhookUrl("https://Example.COM/hook?x=1").href, "https://example.com/hook?x=1");
  });
});
