#!/usr/bin/env node
// First: V8 settings that must apply before anything else allocates.
import "./v8-tuning.ts";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { createAdmin } from "./accounts/admin.ts";
import { AccountError } from "./accounts/errors.ts";
import { resetSecondFactors } from "./accounts/second-factor/enrolment.ts";
import { ConfigError, loadConfig, loadDotEnv, type Config } from "./config.ts";
import { migrate, openDb } from "./db/index.ts";
import { WebhookRefused } from "./events/address-guard.ts";
import { webhooksCommand } from "./events/cli.ts";
import { createService, openCore, runWorker } from "./server.ts";

const USAGE = `Usage: latchkey <command> [options]

Commands:
  serve [--port N] [--no-worker]   run the web app (and the mail worker, unless --no-worker)
  worker                           run only the mail/outbox worker
  migrate                          apply database migrations and exit
  create-admin --email E [--password-stdin]
                                   create an admin, or promote an existing account
  webhooks add URL [--events a,b] | list | remove ID
                                   manage webhook endpoints (add prints the whsec_ secret once)
  mfa-reset --email E              remove every second factor of an account (audited; the owner is mailed)

Configuration comes from the environment and ./.env (see README).`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === "--help" || command === "-h" || command === "help") {
    console.log(USAGE);
    return command ? 0 : 1;
  }
  loadDotEnv();
  const env = { ...process.env };
  switch (command) {
    case "serve": {
      const { values } = parseArgs({ args: rest, options: { port: { type: "string" }, "no-worker": { type: "boolean" } } });
      if (values.port !== undefined) env.PORT = values.port;
      return serve(loadConfig(env), !values["no-worker"]);
    }
    case "worker":
      parseArgs({ args: rest, options: {} });
      return worker(loadConfig(env));
    case "migrate": {
      parseArgs({ args: rest, options: {} });
      const db = openDb(loadConfig(env).databaseUrl);
      try {
        const { results = [] } = await migrate(db);
        console.log(results.length ? results.map((r) => `applied ${r.migrationName}`).join("\n") : "database is up to date");
      } finally {
        await db.close();
      }
      return 0;
    }
    case "create-admin": {
      const { values } = parseArgs({ args: rest, options: { email: { type: "string" }, "password-stdin": { type: "boolean" } } });
      if (!values.email) throw new UsageError("create-admin needs --email");
      return admin(loadConfig(env), values.email, values["password-stdin"] === true);
    }
    case "webhooks": {
      const { values, positionals } = parseArgs({ args: rest, options: { events: { type: "string" } }, allowPositionals: true });
      const core = await openCore(loadConfig(env));
      try {
        const out = await webhooksCommand(core.deps, positionals, values.events);
        if (out === undefined) throw new UsageError("webhooks needs add URL [--events a,b], list, or remove ID");
        console.log(out);
        return 0;
      } finally {
        await core.deps.db.close();
      }
    }
    case "mfa-reset": {
      const { values } = parseArgs({ args: rest, options: { email: { type: "string" } } });
      if (!values.email) throw new UsageError("mfa-reset needs --email");
      return mfaReset(loadConfig(env), values.email);
    }
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

class UsageError extends Error {}

async function serve(config: Config, withWorker: boolean): Promise<number> {
  const service = await createService(config, { worker: withWorker });
  await service.app.listen({ port: config.port, host: config.host });
  if (config.devMailbox) service.app.log.info(`dev mailbox: ${config.baseUrl}/dev/mail (no SMTP_URL set)`);
  await untilSignal();
  service.app.log.info("shutting down: no new connections; finishing requests in flight");
  return withinGrace(config, service.app.log, () => service.close());
}

async function worker(config: Config): Promise<number> {
  const core = await openCore(config);
  const running = runWorker(core);
  core.log.info("mail worker running");
  await untilSignal();
  core.log.info("shutting down: finishing the current batch");
  return withinGrace(config, core.log, async () => {
    await running.stop();
    await core.deps.db.close();
  });
}

async function admin(config: Config, email: string, passwordFromStdin: boolean): Promise<number> {
  const core = await openCore(config);
  try {
    const outcome = await createAdmin(core.deps, email, () => readPassword(passwordFromStdin));
    console.log(outcome === "created" ? `created admin ${email}` : `promoted ${email} to admin`);
    return 0;
  } finally {
    await core.deps.db.close();
  }
}

async function mfaReset(config: Config, email: string): Promise<number> {
  const core = await openCore(config);
  try {
    const found = await resetSecondFactors(core.deps, email, { ip: null, userAgent: "latchkey mfa-reset (command line)" });
    if (!found) {
      console.error(`latchkey: no account with the address ${email}`);
      return 1;
    }
    console.log(`removed every second factor of ${email}; the owner was mailed`);
    return 0;
  } finally {
    await core.deps.db.close();
  }
}

/** Runs the shutdown; past SHUTDOWN_GRACE it gives up waiting (exit 1). Claimed mail leases expire. */
async function withinGrace(config: Config, log: { error(msg: string): void }, shutdown: () => Promise<void>): Promise<number> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<number>((resolve) => {
    timer = setTimeout(() => {
      log.error(`shutdown took longer than SHUTDOWN_GRACE=${config.shutdownGrace}s; exiting`);
      resolve(1);
    }, config.shutdownGrace * 1000);
  });
  const code = await Promise.race([shutdown().then(() => 0), late]);
  clearTimeout(timer);
  return code;
}

function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    process.once("SIGTERM", () => resolve());
    process.once("SIGINT", () => resolve());
  });
}

/** From stdin (first line), or prompted on a terminal without echo. Never from argv. */
async function readPassword(fromStdin: boolean): Promise<string> {
  if (fromStdin || !process.stdin.isTTY) {
    const rl = createInterface({ input: process.stdin });
    for await (const line of rl) {
      rl.close();
      return line;
    }
    return "";
  }
  process.stdout.write("Password: ");
  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: true });
  // Mute the echo of what is typed.
  (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = () => {};
  const answer = await new Promise<string>((resolve) => rl.question("", resolve));
  rl.close();
  process.stdout.write("\n");
  return answer;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof ConfigError || err instanceof UsageError || err instanceof AccountError || err instanceof WebhookRefused) {
      console.error(`latchkey: ${err.message}${err instanceof AccountError && err.fields ? " " + Object.values(err.fields).join(" ") : ""}`);
      if (err instanceof UsageError) console.error(USAGE);
      process.exit(err instanceof UsageError ? 64 : 1);
    }
    if (err instanceof Error && "code" in err && typeof err.code === "string" && err.code.startsWith("ERR_PARSE_ARGS")) {
      console.error(`latchkey: ${err.message}\n${USAGE}`);
      process.exit(64);
    }
    console.error("latchkey: fatal:", err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
