import { zodResolver } from "@hookform/resolvers/zod";
import { useState } from "react";
import { useForm } from "react-hook-form";
import { Badge } from "../../components/Badge";
import { Button } from "../../components/Button";
import { Card, PageHeader } from "../../components/Card";
import { ConfirmDialog } from "../../components/ConfirmDialog";
import { Checkbox, TextField } from "../../components/Field";
import { SecretPanel } from "../../components/SecretPanel";
import { EmptyState, ErrorState, FormError, LoadingState } from "../../components/States";
import { formatDateTime } from "../../lib/format";
import { showOnForm } from "../auth/formErrors";
import { explain } from "../auth/messages";
import { EVENTS, type Webhook, type WebhookValues, deliveryState, eventLabel, webhookSchema } from "./events";
import { useCreateWebhook, useDeleteWebhook, useDeliveries, useRetryDelivery, useRotateSecret, useSetEnabled, useWebhooks } from "./queries";

type NewSecret = { url: string; secret: string };

/** /webhooks: endpoints that receive the user's clicks and link changes, signed. */
export default function WebhooksPage() {
  const [secret, setSecret] = useState<NewSecret | null>(null);
  return (
    <div className="max-w-4xl space-y-6">
      <PageHeader
        title="Webhooks"
        description="Hop POSTs your clicks and link changes to URLs of yours as they happen, signed so that your receiver knows they came from Hop."
      />
      {secret && (
        <SecretPanel title="Copy the signing secret now" name="signing secret" secret={secret.secret} doneLabel="I have stored the secret" onDone={() => setSecret(null)}>
          <p>
            Deliveries to <span className="font-mono break-all">{secret.url}</span> carry a <code className="font-mono">Hop-Webhook-Signature</code> made with this
            secret. Hop shows it only now; if you lose it, rotate it.
          </p>
          <p>
            Your receiver checks the HMAC-SHA256 of the <code className="font-mono">Hop-Webhook-Timestamp</code> header, a dot and the raw body (docs/webhooks.md has the
            code).
          </p>
        </SecretPanel>
      )}
      <CreateWebhookForm onCreated={setSecret} />
      <WebhookList onSecret={setSecret} />
    </div>
  );
}

function CreateWebhookForm({ onCreated }: { onCreated(secret: NewSecret): void }) {
  const create = useCreateWebhook();
  const [failure, setFailure] = useState<unknown>(null);
  const form = useForm({ resolver: zodResolver(webhookSchema), defaultValues: { url: "", description: "", events: ["click"] as WebhookValues["events"] } });
  const { errors, isSubmitting } = form.formState;
  const submit = form.handleSubmit(async (values) => {
    setFailure(null);
    try {
      const created = await create.mutateAsync(values);
      form.reset();
      onCreated({ url: created.url, secret: created.secret });
    } catch (error) {
      const rest = showOnForm(error, form.setError, ["url", "description", "events"]);
      setFailure(rest ? explain(rest) : null);
    }
  });
  return (
    <Card title="Add an endpoint">
      <form noValidate onSubmit={(event) => void submit(event)} className="space-y-4">
        <FormError error={failure} />
        <TextField
          label="URL"
          type="url"
          placeholder="https://hooks.example.com/hop"
          hint="It must reach a public address: Hop refuses private and local ones."
          error={errors.url?.message}
          {...form.register("url")}
        />
        <TextField label="Description (optional)" maxLength={200} hint="What receives these, for you." error={errors.description?.message} {...form.register("description")} />
        <fieldset className="space-y-2" aria-describedby={errors.events ? "events-error" : undefined}>
          <legend className="mb-1 text-sm font-medium text-slate-700 dark:text-slate-200">Events</legend>
          {EVENTS.map(({ event, label, sends }) => (
            <Checkbox key={event} value={event} label={`${label} (${event})`} hint={sends} {...form.register("events")} />
          ))}
          {errors.events && (
            <p id="events-error" className="text-sm text-red-600 dark:text-red-400">
              {errors.events.message}
            </p>
          )}
        </fieldset>
        <Button type="submit" busy={isSubmitting}>
          Add endpoint
        </Button>
      </form>
    </Card>
  );
}

function WebhookList({ onSecret }: { onSecret(secret: NewSecret): void }) {
  const webhooks = useWebhooks();
  if (webhooks.isPending) return <LoadingState label="Loading webhooks…" />;
  if (webhooks.isError) return <ErrorState error={webhooks.error} onRetry={() => void webhooks.refetch()} />;
  if (webhooks.data.length === 0) {
    return (
      <EmptyState title="No webhooks yet">
        Add an endpoint to have every click, or every change to your links, sent to your CRM, your data warehouse or a chat channel as it happens.
      </EmptyState>
    );
  }
  return (
    <ul className="space-y-4" aria-label="Your webhook endpoints">
      {webhooks.data.map((webhook) => (
        <li key={webhook.id}>
          <WebhookCard webhook={webhook} onSecret={onSecret} />
        </li>
      ))}
    </ul>
  );
}

function WebhookCard({ webhook, onSecret }: { webhook: Webhook; onSecret(secret: NewSecret): void }) {
  const [showLog, setShowLog] = useState(false);
  const [confirming, setConfirming] = useState<"delete" | "rotate" | null>(null);
  const setEnabled = useSetEnabled();
  return (
    <Card
      title={<span className="font-mono break-all">{webhook.url}</span>}
      actions={webhook.enabled ? <Badge tone="success">Enabled</Badge> : <Badge tone={webhook.disabled_reason ? "danger" : "neutral"}>Disabled</Badge>}
    >
      <div className="space-y-3 text-sm">
        {webhook.description && <p>{webhook.description}</p>}
        <p>
          <span className="text-slate-500 dark:text-slate-400">Events: </span>
          {webhook.events.map(eventLabel).join(", ")}
        </p>
        {webhook.disabled_reason && (
          <p role="alert" className="text-red-700 dark:text-red-300">
            {webhook.disabled_reason}
          </p>
        )}
        <div className="flex flex-wrap gap-2">
          <Button variant="secondary" busy={setEnabled.isPending} onClick={() => setEnabled.mutate({ id: webhook.id, enabled: !webhook.enabled })}>
            {webhook.enabled ? "Disable" : "Enable"}
          </Button>
          <Button variant="secondary" onClick={() => setShowLog(!showLog)} aria-expanded={showLog}>
            {showLog ? "Hide deliveries" : "Show deliveries"}
          </Button>
          <Button variant="secondary" onClick={() => setConfirming("rotate")}>
            Rotate secret
          </Button>
          <Button variant="danger" onClick={() => setConfirming("delete")}>
            Delete
          </Button>
        </div>
        {showLog && <DeliveryLog webhook={webhook} />}
      </div>
      <RotateDialog webhook={webhook} open={confirming === "rotate"} onClose={() => setConfirming(null)} onSecret={onSecret} />
      <DeleteDialog webhook={webhook} open={confirming === "delete"} onClose={() => setConfirming(null)} />
    </Card>
  );
}

function DeliveryLog({ webhook }: { webhook: Webhook }) {
  const deliveries = useDeliveries(webhook.id, true);
  const retry = useRetryDelivery();
  if (deliveries.isPending) return <LoadingState label="Loading deliveries…" />;
  if (deliveries.isError) return <ErrorState error={deliveries.error} onRetry={() => void deliveries.refetch()} />;
  if (deliveries.data.length === 0) return <p className="text-slate-500 dark:text-slate-400">Nothing sent yet.</p>;
  return (
    <div className="-mx-4 overflow-x-auto" tabIndex={0} role="region" aria-label={`Deliveries to ${webhook.url} (scrollable)`}>
      <table className="w-full min-w-[40rem] text-left text-sm">
        <caption className="sr-only">The latest deliveries, newest first</caption>
        <thead className="text-xs text-slate-600 dark:text-slate-300">
          <tr className="border-b border-slate-200 dark:border-slate-800">
            {["Event", "Queued", "State", "Last answer", ""].map((heading) => (
              <th key={heading} scope="col" className="px-4 py-2 font-medium">
                {heading || <span className="sr-only">Actions</span>}
              </th>
            ))}
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
          {deliveries.data.map((delivery) => (
            <tr key={delivery.id}>
              <td className="px-4 py-2 whitespace-nowrap">{eventLabel(delivery.event)}</td>
              <td className="px-4 py-2 whitespace-nowrap">{formatDateTime(delivery.created_at)}</td>
              <td className="px-4 py-2">{deliveryState(delivery)}</td>
              <td className="max-w-[16rem] truncate px-4 py-2" title={delivery.last_error ?? undefined}>
                {delivery.last_error ?? (delivery.last_status_code ? `HTTP ${delivery.last_status_code}` : "—")}
              </td>
              <td className="px-4 py-2 text-right">
                <Button variant="ghost" onClick={() => retry.mutate({ id: webhook.id, delivery: delivery.id })} aria-label={`Send again (delivery ${delivery.id})`}>
                  Send again
                </Button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function RotateDialog({ webhook, open, onClose, onSecret }: { webhook: Webhook; open: boolean; onClose(): void; onSecret(secret: NewSecret): void }) {
  const rotate = useRotateSecret();
  return (
    <ConfirmDialog
      open={open}
      title="Rotate the signing secret?"
      confirmLabel="Rotate secret"
      busy={rotate.isPending}
      onConfirm={() =>
        rotate.mutate(webhook.id, {
          onSuccess: (rotated) => {
            onClose();
            onSecret({ url: webhook.url, secret: rotated.secret });
          },
        })
      }
      onClose={onClose}
    >
      <div className="space-y-3">
        <p>Deliveries are signed with a new secret from now on, retries included: your receiver must have it before it can accept them again.</p>
        <FormError error={rotate.error ? explain(rotate.error) : null} />
      </div>
    </ConfirmDialog>
  );
}

function DeleteDialog({ webhook, open, onClose }: { webhook: Webhook; open: boolean; onClose(): void }) {
  const remove = useDeleteWebhook();
  return (
    <ConfirmDialog
      open={open}
      title="Delete this endpoint?"
      confirmLabel="Delete endpoint"
      danger
      busy={remove.isPending}
      onConfirm={() => remove.mutate(webhook.id, { onSuccess: onClose })}
      onClose={onClose}
    >
      <div className="space-y-3">
        <p>
          Nothing more is sent to <span className="font-mono break-all">{webhook.url}</span>, and its delivery log is deleted with it.
        </p>
        <FormError error={remove.error ? explain(remove.error) : null} />
      </div>
    </ConfirmDialog>
  );
}
