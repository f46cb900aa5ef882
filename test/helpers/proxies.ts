import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, request, type IncomingHttpHeaders, type Server } from "node:http";
import { connect, createServer as createTcpServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseSetCookie } from "cookie";

/**
 * Real nginx and Caddy for the forward-auth tests: the configurations in deploy/, with only
 * their ports replaced (Latchkey's 3000, the app's 8080, the proxy's 80).
 */

export type ProxyKind = "nginx" | "caddy";

/** Why a proxy cannot run here, or null when it can. */
export function missingProxy(kind: ProxyKind): string | null {
  if (kind === "nginx") {
    const v = spawnSync("nginx", ["-V"], { encoding: "utf8" });
    if (v.error) return "nginx is not installed (apt-get install nginx)";
    if (!`${v.stdout}${v.stderr}`.includes("http_auth_request_module")) return "this nginx has no auth_request module";
    return null;
  }
  return spawnSync("caddy", ["version"]).error ? "caddy is not installed (apt-get install caddy)" : null;
}

export async function freePort(): Promise<number> {
  const server = createTcpServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function readDeploy(name: "nginx.conf" | "Caddyfile"): string {
  return readFileSync(new URL(`../../deploy/${name}`, import.meta.url), "utf8");
}

/** A config with Latchkey's (3000), the app's (8080) and the proxy's (80) ports replaced. */
function withPorts(config: string, ports: { latchkey: number; app: number; proxy: number }): string {
  return config
    .replaceAll("127.0.0.1:3000", `127.0.0.1:${ports.latchkey}`)
    .replaceAll("127.0.0.1:8080", `127.0.0.1:${ports.app}`)
    .replaceAll("listen 127.0.0.1:80;", `listen 127.0.0.1:${ports.proxy};`)
    .replace(/(http:\/\/[a-z.]+):80 \{/g, `$1:${ports.proxy} {`);
}

export interface RunningProxy {
  readonly port: number;
  stop(): Promise<void>;
}

/**
 * `site` replaces the deploy/ file (same port placeholders), e.g. a plain proxy for comparison.
 */
export async function startProxy(kind: ProxyKind, ports: { latchkey: number; app: number }, site?: string): Promise<RunningProxy> {
  const dir = mkdtempSync(join(tmpdir(), `latchkey-${kind}-`));
  chmodSync(dir, 0o755);
  const port = await freePort();
  let child: ChildProcess;
  if (kind === "nginx") {
    for (const sub of ["body", "proxy", "fastcgi", "uwsgi", "scgi"]) chmodSync((mkdirSync(join(dir, sub)), join(dir, sub)), 0o777);
    writeFileSync(join(dir, "latchkey.conf"), withPorts(site ?? readDeploy("nginx.conf"), { ...ports, proxy: port }));
    writeFileSync(
      join(dir, "nginx.conf"),
      [
        "worker_processes 1;",
        `pid ${dir}/nginx.pid;`,
        `error_log ${dir}/error.log warn;`,
        "events { worker_connections 512; }",
        "http {",
        "  access_log off;",
        ...["body", "proxy", "fastcgi", "uwsgi", "scgi"].map((t) => `  ${t === "body" ? "client_body" : t}_temp_path ${dir}/${t};`),
        `  include ${dir}/latchkey.conf;`,
        "}",
      ].join("\n"),
    );
    child = spawn("nginx", ["-p", dir, "-c", join(dir, "nginx.conf"), "-g", "daemon off;"], { stdio: ["ignore", "ignore", "pipe"] });
  } else {
    // Global options are the harness's, not the documented file's: no admin API, no storage in $HOME.
    writeFileSync(join(dir, "Caddyfile"), `{\n\tadmin off\n}\n\n${withPorts(site ?? readDeploy("Caddyfile"), { ...ports, proxy: port })}`);
    child = spawn("caddy", ["run", "--config", join(dir, "Caddyfile"), "--adapter", "caddyfile"], {
      stdio: ["ignore", "ignore", "pipe"],
      env: { ...process.env, HOME: dir, XDG_DATA_HOME: dir, XDG_CONFIG_HOME: dir },
    });
  }
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => void (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  await waitForPort(port, exited, () => stderr);
  return {
    port,
    async stop() {
      child.kill("SIGTERM");
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function waitForPort(port: number, exited: Promise<number | null>, stderr: () => string): Promise<void> {
  let dead = false;
  void exited.then(() => (dead = true));
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (dead) throw new Error(`proxy exited before listening: ${stderr()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, "127.0.0.1", () => (s.destroy(), resolve(true)));
      s.on("error", () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`proxy did not listen on ${port}: ${stderr()}`);
}

/** The protected app: records every request's headers and body, answers 200 "app". */
export class RecordingApp {
  readonly seen: Array<{ method: string; url: string; headers: IncomingHttpHeaders; body: string }> = [];
  private server: Server | undefined;
  port = 0;

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      let body = "";
      req.on("data", (d: Buffer) => (body += d.toString()));
      req.on("end", () => {
        this.seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
        res.writeHead(200, { "content-type": "text/plain" }).end("app");
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server!.close(() => resolve()));
  }
}

export interface ProxyResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly location: string | undefined;
  readonly text: string;
}

/**
 * A browser on the far side of the proxy: every `*.example.test` name resolves to the proxy's
 * port; it keeps cookies (as a browser would for COOKIE_DOMAIN=example.test) and does not
 * follow redirects.
 */
export class ProxyBrowser {
  readonly cookies = new Map<string, string>();
  csrf: string | undefined;
  constructor(private readonly port: number) {}

  request(method: string, url: string, o: { headers?: Record<string, string>; body?: string } = {}): Promise<ProxyResponse> {
    const u = new URL(url);
    const headers: Record<string, string> = { host: u.host, ...o.headers };
    if (this.cookies.size > 0) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
    if (o.body !== undefined) headers["content-length"] = String(Buffer.byteLength(o.body));
    return new Promise((resolve, reject) => {
      const req = request({ host: "127.0.0.1", port: this.port, method, path: u.pathname + u.search, headers }, (res) => {
        let text = "";
        res.on("data", (d: Buffer) => (text += d.toString()));
        res.on("end", () => {
          for (const line of res.headers["set-cookie"] ?? []) {
            const c = parseSetCookie(line);
            if (c.maxAge !== undefined && c.maxAge <= 0) this.cookies.delete(c.name);
            else if (c.expires !== undefined && c.expires.getTime() <= Date.now()) this.cookies.delete(c.name);
            else this.cookies.set(c.name, c.value ?? "");
          }
          const token = /name="_csrf" value="([^"]+)"/.exec(text)?.[1];
          if (token) this.csrf = token;
          resolve({ status: res.statusCode!, headers: res.headers, location: res.headers.location, text });
        });
      });
      req.on("error", reject);
      req.end(o.body);
    });
  }

  get(url: string, headers: Record<string, string> = { accept: "text/html" }): Promise<ProxyResponse> {
    return this.request("GET", url, { headers });
  }

  /** A form POST with the CSRF token of the last page seen. */
  post(url: string, fields: Record<string, string>): Promise<ProxyResponse> {
    const body = new URLSearchParams({ _csrf: this.csrf ?? "", ...fields }).toString();
    return this.request("POST", url, { body, headers: { "content-type": "application/x-www-form-urlencoded", accept: "text/html" } });
  }
}
