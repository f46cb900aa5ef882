import type { FastifyInstance } from "fastify";
import { formatTime } from "../../mail/message.tsx";
import type { WebContext } from "../http.ts";
import { page, pageState } from "./common.tsx";

const SHOWN = 200;

/**
 * The development mailbox (no SMTP_URL, not production): every queued email, newest first,
 * decrypted from the outbox. Registered only when enabled, so elsewhere it is a plain 404.
 */
export function devMailRoutes(app: FastifyInstance, ctx: WebContext): void {
  const { deps } = ctx;
  app.get("/dev/mail", async (req, reply) => {
    const to = (req.query as Record<string, unknown>).to;
    const rows = await deps.db.kysely
      .selectFrom("outbox")
      .select(["id", "message_id", "payload", "status", "created_at"])
      .where("payload", "is not", null)
      .where("endpoint_id", "is", null) // webhook deliveries share the outbox; they are not mail
      .orderBy("created_at", "desc")
      .orderBy("id")
      .limit(SHOWN)
      .execute();
    const mails = rows
      .map((row) => ({ row, mail: deps.outbox.open(row.payload!) }))
      .filter(({ mail }) => typeof to !== "string" || mail.to.toLowerCase() === to.toLowerCase());
    const state = await pageState(req, reply, ctx);
    return page(
      reply,
      200,
      state,
      "Dev mailbox",
      <>
        <p>
          {mails.length} message{mails.length === 1 ? "" : "s"}, newest first. Shown because no <code>SMTP_URL</code> is
          set.
        </p>
        {mails.map(({ row, mail }) => (
          <article class="mail" data-to={mail.to} data-message-id={row.message_id}>
            <h2>{mail.subject}</h2>
            <p>
              To: <strong class="to">{mail.to}</strong> · {formatTime(row.created_at)} · {row.status}
            </p>
            <pre>{mail.text}</pre>
          </article>
        ))}
      </>,
    );
  });
}
