import type { FastifyInstance, FastifyReply } from "fastify";
import { addWebhook, removeWebhook } from "../../admin/actions.ts";
import { parseWebhookUrl, WebhookRefused } from "../../events/address-guard.ts";
import { listEndpoints, recentDeliveries, type Delivery, type Endpoint } from "../../events/endpoints.ts";
import { EVENT_TYPES, isEventType } from "../../events/types.ts";
import type { Catalogue } from "../../i18n/index.ts";
import { formFields, formValues, type WebContext } from "../http.ts";
import { Alert, CsrfField, ErrorSummary, Field, Scrolls } from "../views/layout.tsx";
import { actorOf, adminState, redirectWithFlash, shortTime, takeFlash } from "./admin-common.tsx";
import { page, type PageState } from "./common.tsx";

/** "Recent deliveries": the latest outbox rows that go to an endpoint. */
export const DELIVERIES_SHOWN = 20;
/** More `events` values than there are event types is not a form this page sent. */
const EVENTS_VALUES_MAX = 64;

interface FormView {
  readonly url: string;
  readonly events: readonly string[];
  readonly errors?: { url?: string; events?: string };
  /** Right after adding: the endpoint and its secret, shown this once. */
  readonly added?: Endpoint & { secret: string };
}

/** `/admin/webhooks` (SPEC §3): endpoints, their secret shown once, recent deliveries. Inside the /admin plugin. */
export function adminWebhookRoutes(admin: FastifyInstance, ctx: WebContext): void {
  const { deps } = ctx;

  async function render(reply: FastifyReply, status: number, state: PageState, form: FormView, flash?: string) {
    const [endpoints, deliveries] = await Promise.all([listEndpoints(deps.db), recentDeliveries(deps.db, DELIVERIES_SHOWN)]);
    return page(reply, status, state, state.t.webhooksTitle, <WebhooksPage state={state} endpoints={endpoints} deliveries={deliveries} form={form} flash={flash} />);
  }

  admin.get("/webhooks", async (req, reply) => {
    const gate = await adminState(req, reply, ctx);
    if (gate.redirect) return gate.redirect;
    return render(reply, 200, gate.state, { url: "", events: [] }, takeFlash(req, reply, ctx));
  });

  admin.post("/webhooks", async (req, reply) => {
    const gate = await adminState(req, reply, ctx);
    if (gate.redirect) return gate.redirect;
    const { t } = gate.state;
    const { url } = formFields(req.body, ["url"]);
    const names = eventNames(req.body);
    const errors: { url?: string; events?: string } = {};
    let host = "";
    try {
      host = parseWebhookUrl(url.trim()).hostname;
    } catch (err) {
      if (!(err instanceof WebhookRefused)) throw err;
      errors.url = t.webhooksUrlInvalid;
    }
    const unknown = names.filter((n) => !isEventType(n));
    if (unknown.length > 0) errors.events = t.webhooksEventsUnknown(unknown.map((n) => `“${n.slice(0, 64)}”`).join(", "));
    const form = { url, events: names };
    if (!errors.url && !errors.events) {
      try {
        // The address check resolves the host: a refusal now is about where it points.
        const added = await addWebhook(deps, { url: url.trim(), events: names.join(",") }, actorOf(req, gate.state.viewer));
        return render(reply, 201, gate.state, { url: "", events: [], added });
      } catch (err) {
        if (!(err instanceof WebhookRefused)) throw err;
        errors.url = err.reason === "unresolvable" ? t.webhooksUrlUnresolvable(host) : err.reason === "private" ? t.webhooksUrlPrivate(host) : t.webhooksUrlInvalid;
      }
    }
    return render(reply, 422, gate.state, { ...form, errors });
  });

  admin.post<{ Params: { id: string } }>("/webhooks/:id/delete", async (req, reply) => {
    const gate = await adminState(req, reply, ctx);
    if (gate.redirect) return gate.redirect;
    await removeWebhook(deps, req.params.id, actorOf(req, gate.state.viewer));
    return redirectWithFlash(reply, ctx, "/admin/webhooks", gate.state.t.webhooksRemoved);
  });
}

/**
 * The `events` field in either shape (SPEC §3 names one field): the form's checkboxes send it
 * once per ticked event, a script may send one comma-separated list (or both). Empty: all events.
 */
function eventNames(body: unknown): string[] {
  const joined = formValues(body, "events", EVENTS_VALUES_MAX).join(",");
  return [...new Set(joined.split(",").map((s) => s.trim()).filter(Boolean))];
}

function WebhooksPage({ state, endpoints, deliveries, form, flash }: { state: PageState; endpoints: readonly Endpoint[]; deliveries: readonly Delivery[]; form: FormView; flash: string | undefined }) {
  const { t, csrf } = state;
  return (
    <>
      <ErrorSummary errors={form.errors} ids={{ events: "event-0" }} />
      {flash ? <Alert kind="info">{flash}</Alert> : null}
      {form.added ? <SecretOnce t={t} added={form.added} /> : null}
      <p>{t.webhooksIntro}</p>
      <h2>{t.webhooksEndpoints}</h2>
      {endpoints.length === 0 ? <p>{t.webhooksNoEndpoints}</p> : <EndpointTable t={t} endpoints={endpoints} csrf={csrf} />}
      <h2>{t.webhooksAdd}</h2>
      <form method="post" action="/admin/webhooks" novalidate>
        <CsrfField token={csrf} />
        <Field label={t.webhooksFieldUrl} name="url" type="url" value={form.url} error={form.errors?.url} autocomplete="off" hint={t.webhooksUrlHint} />
        <EventChoice t={t} chosen={form.events} error={form.errors?.events} />
        <button type="submit">{t.webhooksAddButton}</button>
      </form>
      <h2>{t.webhooksDeliveries}</h2>
      {deliveries.length === 0 ? (
        <p>{t.webhooksNoDeliveries}</p>
      ) : (
        <>
          <p>{t.webhooksDeliveriesShown(DELIVERIES_SHOWN)}</p>
          <DeliveryTable t={t} deliveries={deliveries} />
        </>
      )}
    </>
  );
}

/** The secret, once, right after the endpoint was added (the page is `no-store`; no redirect carries it). */
function SecretOnce({ t, added }: { t: Catalogue; added: Endpoint & { secret: string } }) {
  return (
    <section class="secret-once" role="status" aria-labelledby="secret-title" data-endpoint={added.id}>
      <h2 id="secret-title">{t.webhooksSecretTitle}</h2>
      <p>{t.webhooksSecretText(added.url)}</p>
      <p>
        <strong>{t.webhooksSecretLabel}:</strong> <code data-secret>{added.secret}</code>
      </p>
    </section>
  );
}

function EndpointTable({ t, endpoints, csrf }: { t: Catalogue; endpoints: readonly Endpoint[]; csrf: string }) {
  return (
    <Scrolls label={t.webhooksEndpoints}>
      <table>
        <thead>
          <tr>
            <th>{t.webhooksColUrl}</th>
            <th>{t.webhooksColEvents}</th>
            <th>{t.webhooksColAdded}</th>
            <th>
              <span class="visually-hidden">{t.webhooksDelete}</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {endpoints.map((e) => (
            <tr data-endpoint={e.id}>
              <td>{e.url}</td>
              <td>{e.events ? e.events.join(", ") : t.webhooksAllEvents}</td>
              <td>{shortTime(e.createdAt)}</td>
              <td>
                <form method="post" action={`/admin/webhooks/${e.id}/delete`}>
                  <CsrfField token={csrf} />
                  <button type="submit" class="danger" aria-label={t.webhooksDeleteLabel(e.url)}>
                    {t.webhooksDelete}
                  </button>
                </form>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </Scrolls>
  );
}

/** One checkbox per event type; the error (unknown names sent by hand) tied to the group. */
function EventChoice({ t, chosen, error }: { t: Catalogue; chosen: readonly string[]; error: string | undefined }) {
  return (
    <fieldset class={error ? "events invalid" : "events"} aria-describedby={error ? "events-error" : "events-hint"}>
      <legend>{t.webhooksFieldEvents}</legend>
      {error ? (
        <p id="events-error" class="error">
          {error}
        </p>
      ) : (
        <p id="events-hint">{t.webhooksEventsHint}</p>
      )}
      {EVENT_TYPES.map((type, i) => (
        <label for={`event-${i}`}>
          <input type="checkbox" id={`event-${i}`} name="events" value={type} checked={chosen.includes(type)} /> <code>{type}</code>
        </label>
      ))}
    </fieldset>
  );
}

function DeliveryTable({ t, deliveries }: { t: Catalogue; deliveries: readonly Delivery[] }) {
  const status = { pending: t.webhooksStatusPending, sent: t.webhooksStatusSent, failed: t.webhooksStatusFailed } as const;
  return (
    <Scrolls label={t.webhooksDeliveries}>
      <table>
        <thead>
          <tr>
            <th>{t.webhooksColQueued}</th>
            <th>{t.webhooksColEvent}</th>
            <th>{t.webhooksColEndpoint}</th>
            <th>{t.webhooksColStatus}</th>
            <th>{t.webhooksColAttempts}</th>
            <th>{t.webhooksColLastError}</th>
            <th>{t.webhooksColWhen}</th>
            <th>{t.webhooksColWebhookId}</th>
          </tr>
        </thead>
        <tbody>
          {deliveries.map((d) => (
            <tr data-delivery={d.id} data-status={d.status}>
              <td>{shortTime(d.createdAt)}</td>
              <td>{d.type}</td>
              <td>{d.url ?? t.webhooksEndpointRemoved}</td>
              <td>{status[d.status]}</td>
              <td data-attempts>{d.attempts}</td>
              <td>{d.lastError ?? "—"}</td>
              <td>{d.status === "sent" ? shortTime(d.sentAt) : d.status === "pending" ? shortTime(d.nextAttemptAt) : "—"}</td>
              <td>
                <code>{d.webhookId}</code>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </Scrolls>
  );
}
