import { zodResolver } from "@hookform/resolvers/zod";
import { Globe, Trash2 } from "lucide-react";
import { useState } from "react";
import { type FieldErrors, type UseFormRegister, useForm } from "react-hook-form";
import { useUser } from "../../auth/context";
import { Badge } from "../../components/Badge";
import { Button } from "../../components/Button";
import { Card, PageHeader } from "../../components/Card";
import { ConfirmDialog } from "../../components/ConfirmDialog";
import { TextField } from "../../components/Field";
import { ErrorState, FormError, LoadingState } from "../../components/States";
import { formatDateTime, formatNumber } from "../../lib/format";
import { showOnForm } from "../auth/formErrors";
import { explain } from "../auth/messages";
import {
  DOMAIN_FIELDS,
  type Domain,
  type DomainValues,
  EMPTY_DOMAIN,
  REDIRECT_FIELDS,
  createBody,
  domainSchema,
  editSchema,
  redirectValues,
  updateBody,
} from "./domains";
import { useAddDomain, useDomains, useRemoveDomain, useUpdateDomain } from "./queries";

const BASE_HINT = "Where the bare domain (/) sends visitors. Empty: a 404.";
const NOT_FOUND_HINT = "Where codes the domain does not serve (unknown, disabled, expired) and other paths send visitors. Empty: a 404.";
const muted = "text-slate-500 dark:text-slate-400";

/** /domains: the short domains links live on; admins add and remove them and set their redirects. */
export default function DomainsPage() {
  const user = useUser();
  return (
    <div className="max-w-4xl space-y-6">
      <PageHeader
        title="Domains"
        description={
          user.is_admin
            ? "The short domains links may live on. Point a domain's DNS at Hop's edge, add it here, then pick it when you create a link."
            : "The short domains your links may live on: pick one when you create a link. Admins add and remove them."
        }
      />
      {user.is_admin && <AddDomainForm />}
      <DomainList admin={user.is_admin} />
    </div>
  );
}

function AddDomainForm() {
  const add = useAddDomain();
  const [failure, setFailure] = useState<unknown>(null);
  const [added, setAdded] = useState<string | null>(null);
  const form = useForm<DomainValues>({ resolver: zodResolver(domainSchema), defaultValues: EMPTY_DOMAIN });
  const { errors, isSubmitting } = form.formState;
  const submit = form.handleSubmit(async (values) => {
    setFailure(null);
    setAdded(null);
    try {
      const domain = await add.mutateAsync(createBody(values));
      form.reset();
      setAdded(`Added ${domain.host}. New links can use it now.`);
    } catch (error) {
      const rest = showOnForm(error, form.setError, DOMAIN_FIELDS);
      setFailure(rest ? explain(rest) : null);
    }
  });
  return (
    <Card title="Add a domain">
      <form noValidate onSubmit={(event) => void submit(event)} className="space-y-4">
        <FormError error={failure} />
        <TextField
          label="Domain"
          autoComplete="off"
          spellCheck={false}
          placeholder="go.example"
          hint="The host name alone, with a :port only if visitors use one other than 80 or 443."
          error={errors.host?.message}
          {...form.register("host")}
        />
        <RedirectFields register={form.register} errors={errors} />
        <div className="flex flex-wrap items-center gap-3">
          <Button type="submit" busy={isSubmitting}>
            Add domain
          </Button>
          <p role="status" className="text-sm text-green-700 dark:text-green-400">
            {added}
          </p>
        </div>
      </form>
    </Card>
  );
}

function RedirectFields({ register, errors }: { register: UseFormRegister<DomainValues>; errors: FieldErrors<DomainValues> }) {
  return (
    <div className="grid gap-4 md:grid-cols-2">
      <TextField
        label="Base redirect (optional)"
        type="url"
        inputMode="url"
        autoComplete="off"
        placeholder="https://example.com/"
        hint={BASE_HINT}
        error={errors.base_redirect?.message}
        {...register("base_redirect")}
      />
      <TextField
        label="Not found redirect (optional)"
        type="url"
        inputMode="url"
        autoComplete="off"
        placeholder="https://example.com/not-found"
        hint={NOT_FOUND_HINT}
        error={errors.not_found_redirect?.message}
        {...register("not_found_redirect")}
      />
    </div>
  );
}

function DomainList({ admin }: { admin: boolean }) {
  const domains = useDomains();
  if (domains.isPending) return <LoadingState label="Loading domains…" />;
  if (domains.isError) return <ErrorState error={domains.error} onRetry={() => void domains.refetch()} />;
  return (
    <ul className="space-y-4" aria-label="Short domains">
      {domains.data.map((domain) => (
        <li key={domain.host}>
          <DomainCard domain={domain} admin={admin} />
        </li>
      ))}
    </ul>
  );
}

function Redirect({ label, url }: { label: string; url: string | null }) {
  return (
    <div>
      <dt className="text-xs font-medium text-slate-500 uppercase dark:text-slate-400">{label}</dt>
      <dd className="mt-0.5 break-all">{url ?? <span className={muted}>None (a 404)</span>}</dd>
    </div>
  );
}

function DomainCard({ domain, admin }: { domain: Domain; admin: boolean }) {
  const [editing, setEditing] = useState(false);
  const [removing, setRemoving] = useState(false);
  return (
    <Card
      title={
        <span className="flex items-center gap-2">
          <Globe aria-hidden="true" className="h-4 w-4 text-slate-400" />
          <span className="font-mono break-all">{domain.host}</span>
        </span>
      }
      actions={domain.is_default ? <Badge tone="info">Default</Badge> : undefined}
    >
      <div className="space-y-3 text-sm">
        {domain.is_default && <p className={muted}>HOP_SHORT_BASE_URL's domain: links without another domain live here.</p>}
        <dl className="grid gap-3 sm:grid-cols-2">
          <Redirect label="Base redirect" url={domain.base_redirect} />
          <Redirect label="Not found redirect" url={domain.not_found_redirect} />
        </dl>
        {(domain.links !== null || domain.created_at) && (
          <p className={muted}>
            {domain.links !== null && `${formatNumber(domain.links)} link${domain.links === 1 ? "" : "s"}`}
            {domain.links !== null && domain.created_at && " · "}
            {domain.created_at && !domain.is_default && `added ${formatDateTime(domain.created_at)}`}
          </p>
        )}
        {admin && (
          <div className="flex flex-wrap gap-2">
            <Button variant="secondary" onClick={() => setEditing(!editing)} aria-expanded={editing}>
              {editing ? "Close" : "Edit redirects"}
            </Button>
            {!domain.is_default && (
              <Button variant="danger" onClick={() => setRemoving(true)}>
                <Trash2 aria-hidden="true" className="h-4 w-4" />
                Remove
              </Button>
            )}
          </div>
        )}
        {editing && <RedirectForm domain={domain} onDone={() => setEditing(false)} />}
      </div>
      {!domain.is_default && <RemoveDialog domain={domain} open={removing} onClose={() => setRemoving(false)} />}
    </Card>
  );
}

function RedirectForm({ domain, onDone }: { domain: Domain; onDone(): void }) {
  const update = useUpdateDomain();
  const [failure, setFailure] = useState<unknown>(null);
  // The host rides along unchanged: both forms share the redirect fields.
  const form = useForm<DomainValues>({ resolver: zodResolver(editSchema), defaultValues: { host: domain.host, ...redirectValues(domain) } });
  const { errors, isSubmitting, isDirty } = form.formState;
  const submit = form.handleSubmit(async (values) => {
    setFailure(null);
    try {
      await update.mutateAsync({ host: domain.host, body: updateBody(values, domain) });
      onDone();
    } catch (error) {
      const rest = showOnForm(error, form.setError, REDIRECT_FIELDS);
      setFailure(rest ? explain(rest) : null);
    }
  });
  return (
    <form noValidate onSubmit={(event) => void submit(event)} aria-label={`Redirects of ${domain.host}`} className="space-y-4 rounded-md border border-slate-200 p-3 dark:border-slate-700">
      <FormError error={failure} />
      <RedirectFields register={form.register} errors={errors} />
      <Button type="submit" busy={isSubmitting} disabled={!isDirty}>
        Save redirects
      </Button>
    </form>
  );
}

function RemoveDialog({ domain, open, onClose }: { domain: Domain; open: boolean; onClose(): void }) {
  const remove = useRemoveDomain();
  return (
    <ConfirmDialog
      open={open}
      title={`Remove ${domain.host}?`}
      confirmLabel="Remove domain"
      danger
      busy={remove.isPending}
      onConfirm={() => remove.mutate(domain.host, { onSuccess: onClose })}
      onClose={() => {
        remove.reset();
        onClose();
      }}
    >
      <div className="space-y-3">
        <p>Links can no longer be created on it, and the edge stops answering for it. A domain that links still use cannot be removed: delete them first.</p>
        <FormError error={remove.error ? explain(remove.error) : null} />
      </div>
    </ConfirmDialog>
  );
}
