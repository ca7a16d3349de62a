import { zodResolver } from "@hookform/resolvers/zod";
import { useState } from "react";
import { useForm } from "react-hook-form";
import type { components } from "../../api/schema";
import { Button } from "../../components/Button";
import { Card, PageHeader } from "../../components/Card";
import { ConfirmDialog } from "../../components/ConfirmDialog";
import { Checkbox, TextField } from "../../components/Field";
import { EmptyState, ErrorState, FormError, LoadingState } from "../../components/States";
import { formatDateTime } from "../../lib/format";
import { showOnForm } from "../auth/formErrors";
import { explain } from "../auth/messages";
import { NewKeyPanel } from "./NewKeyPanel";
import { useApiKeys, useCreateApiKey, useRevokeApiKey } from "./queries";
import { SCOPES, type Scope, createKeySchema, curlExample } from "./scopes";

type ApiKey = components["schemas"]["ApiKeyPublic"];

export default function ApiKeysPage() {
  const [created, setCreated] = useState<{ name: string; secret: string } | null>(null);
  return (
    <div className="max-w-4xl space-y-6">
      <PageHeader title="API keys" description="Keys let your scripts and integrations use the Hop API as you, without your password." />
      {created && <NewKeyPanel name={created.name} secret={created.secret} onDone={() => setCreated(null)} />}
      <CreateKeyForm onCreated={(name, secret) => setCreated({ name, secret })} />
      <KeyList />
    </div>
  );
}

function CreateKeyForm({ onCreated }: { onCreated(name: string, secret: string): void }) {
  const create = useCreateApiKey();
  const [failure, setFailure] = useState<unknown>(null);
  const form = useForm({ resolver: zodResolver(createKeySchema), defaultValues: { name: "", scopes: ["links:read"] as Scope[] } });
  const { errors, isSubmitting } = form.formState;

  const submit = form.handleSubmit(async (values) => {
    setFailure(null);
    try {
      const key = await create.mutateAsync(values);
      form.reset();
      onCreated(key.name, key.key);
    } catch (error) {
      const rest = showOnForm(error, form.setError, ["name", "scopes"]);
      setFailure(rest ? explain(rest) : null);
    }
  });

  return (
    <Card title="Create a key">
      <form noValidate onSubmit={(event) => void submit(event)} className="space-y-4">
        <FormError error={failure} />
        <TextField label="Name" hint="What will use the key, so that you know which to revoke later." maxLength={100} error={errors.name?.message} {...form.register("name")} />
        <fieldset className="space-y-2" aria-describedby={errors.scopes ? "scopes-error" : undefined}>
          <legend className="mb-1 text-sm font-medium text-slate-700 dark:text-slate-200">Scopes</legend>
          <p className="text-xs text-slate-500 dark:text-slate-400">Give the key only what it needs. No key can manage keys, passwords or users.</p>
          {SCOPES.map(({ scope, label, allows }) => (
            <Checkbox key={scope} value={scope} label={`${label} (${scope})`} hint={allows} {...form.register("scopes")} />
          ))}
          {errors.scopes && (
            <p id="scopes-error" className="text-sm text-red-600 dark:text-red-400">
              {errors.scopes.message}
            </p>
          )}
        </fieldset>
        <Button type="submit" busy={isSubmitting}>
          Create key
        </Button>
      </form>
    </Card>
  );
}

function KeyList() {
  const keys = useApiKeys();
  const [revoking, setRevoking] = useState<ApiKey | null>(null);
  if (keys.isPending) return <LoadingState label="Loading keys…" />;
  if (keys.isError) return <ErrorState error={keys.error} onRetry={() => void keys.refetch()} />;
  if (keys.data.length === 0) {
    return (
      <EmptyState title="No API keys yet">
        <p>
          An API key lets a program call the Hop API as you: create links from a deploy script, read analytics into a report. Send it in the{" "}
          <code className="font-mono">X-API-Key</code> header:
        </p>
        <code className="mt-2 block rounded bg-slate-100 px-2 py-1 text-left font-mono text-xs break-all dark:bg-slate-800">{curlExample(window.location.origin)}</code>
      </EmptyState>
    );
  }
  return (
    <Card title={`Your keys (${keys.data.length})`}>
      <div className="relative -m-4 overflow-x-auto">
        <table className="w-full min-w-[40rem] text-left text-sm">
          <thead className="border-b border-slate-200 text-xs text-slate-500 uppercase dark:border-slate-800 dark:text-slate-400">
            <tr>
              <th scope="col" className="px-4 py-2 font-medium">Name</th>
              <th scope="col" className="px-4 py-2 font-medium">Prefix</th>
              <th scope="col" className="px-4 py-2 font-medium">Scopes</th>
              <th scope="col" className="px-4 py-2 font-medium">Created</th>
              <th scope="col" className="px-4 py-2 font-medium">Last used</th>
              <th scope="col" className="px-4 py-2 font-medium"><span className="sr-only">Actions</span></th>
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-200 dark:divide-slate-800">
            {keys.data.map((key) => (
              <KeyRow key={key.id} apiKey={key} onRevoke={() => setRevoking(key)} />
            ))}
          </tbody>
        </table>
      </div>
      <RevokeDialog apiKey={revoking} onClose={() => setRevoking(null)} />
    </Card>
  );
}

function KeyRow({ apiKey, onRevoke }: { apiKey: ApiKey; onRevoke(): void }) {
  return (
    <tr>
      <td className="px-4 py-2 font-medium break-words">{apiKey.name}</td>
      <td className="px-4 py-2 font-mono text-xs whitespace-nowrap">{apiKey.prefix}…</td>
      <td className="px-4 py-2">
        <ul className="flex flex-wrap gap-1">
          {apiKey.scopes.map((scope) => (
            <li key={scope} className="rounded bg-slate-100 px-1.5 py-0.5 font-mono text-xs dark:bg-slate-800">
              {scope}
            </li>
          ))}
        </ul>
      </td>
      <td className="px-4 py-2 whitespace-nowrap">{formatDateTime(apiKey.created_at)}</td>
      <td className="px-4 py-2 whitespace-nowrap">{apiKey.last_used_at ? formatDateTime(apiKey.last_used_at) : "Never"}</td>
      <td className="px-4 py-2 text-right">
        <Button variant="secondary" onClick={onRevoke} aria-label={`Revoke ${apiKey.name}`}>
          Revoke
        </Button>
      </td>
    </tr>
  );
}

function RevokeDialog({ apiKey, onClose }: { apiKey: ApiKey | null; onClose(): void }) {
  const revoke = useRevokeApiKey();
  const close = () => {
    revoke.reset();
    onClose();
  };
  return (
    <ConfirmDialog
      open={apiKey !== null}
      title="Revoke this key?"
      confirmLabel="Revoke key"
      danger
      busy={revoke.isPending}
      onConfirm={() => apiKey && revoke.mutate(apiKey.id, { onSuccess: close })}
      onClose={close}
    >
      <div className="space-y-3">
        <p>
          “{apiKey?.name}” (<span className="font-mono">{apiKey?.prefix}…</span>) stops working at once, for whatever uses it. This cannot be undone.
        </p>
        <FormError error={revoke.error ? explain(revoke.error) : null} />
      </div>
    </ConfirmDialog>
  );
}
