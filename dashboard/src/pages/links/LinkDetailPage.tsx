import { BarChart3, Pause, Play, Trash2 } from "lucide-react";
import { type ReactNode, useState } from "react";
import { Link as RouterLink, useLocation, useNavigate, useParams, useSearchParams } from "react-router";
import { ApiError, errorMessage } from "../../api/problem";
import { Button, buttonClass } from "../../components/Button";
import { Card, PageHeader } from "../../components/Card";
import { ConfirmDialog } from "../../components/ConfirmDialog";
import { CopyButton } from "../../components/CopyButton";
import { ErrorState, LoadingState } from "../../components/States";
import { formatDateTime, formatNumber } from "../../lib/format";
import { LinkForm } from "./LinkForm";
import { PreviewCard } from "./LinkMetadataFields";
import { domainParam, linkPage, linkLabel } from "./linkRef";
import { CODE_PATTERN, updateBody, valuesFromLink } from "./linkSchema";
import { QrCard } from "./QrCard";
import { type Link, useDeleteLink, useLink, useSetDisabled, useUpdateLink } from "./queries";
import { StatusBadges } from "./StatusBadges";
import { LinkNotFound } from "./LinkNotFound";
import { LinkRouting, RoutingBadges } from "./LinkRoutingSummary";
import { UTM_FIELDS } from "./utm";

function displayUrl(url: string): string {
  return url.replace(/^https?:\/\//, "");
}

function Stat({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div>
      <dt className="text-xs font-medium text-slate-500 uppercase dark:text-slate-400">{label}</dt>
      <dd className="mt-0.5 text-sm font-medium">{children}</dd>
    </div>
  );
}

function LinkFacts({ link }: { link: Link }) {
  return (
    <Card>
      <div className="mb-3 flex flex-wrap items-center gap-2">
        <span className="text-sm text-slate-600 dark:text-slate-300">Status:</span>
        <StatusBadges link={link} />
        <RoutingBadges link={link} />
      </div>
      <dl className="grid grid-cols-2 gap-4 sm:grid-cols-4">
        <Stat label="Clicks">{formatNumber(link.click_count)}</Stat>
        <Stat label="People">{formatNumber(link.human_clicks)}</Stat>
        <Stat label="Bots">{formatNumber(link.bot_clicks)}</Stat>
        <Stat label="Click limit">{link.max_clicks === null ? "None" : `${formatNumber(link.click_count)} of ${formatNumber(link.max_clicks)}`}</Stat>
        <Stat label="Expires">{link.expires_at ? formatDateTime(link.expires_at) : "Never"}</Stat>
        <Stat label="Redirect">{link.redirect_status}</Stat>
        {link.domain !== null && <Stat label="Domain">{link.domain}</Stat>}
        <Stat label="Created">{formatDateTime(link.created_at)}</Stat>
        <Stat label="Last changed">{formatDateTime(link.updated_at)}</Stat>
        {link.imported_clicks > 0 && (
          <Stat label="Clicks before import">
            <span title="The total the shortener it was imported from had counted; Hop's own counts start at the import">
              {formatNumber(link.imported_clicks)}
            </span>
          </Stat>
        )}
      </dl>
    </Card>
  );
}

/** The short-link base (https://hop.example) of ``link``: its short URL without the code. */
function shortBaseOf(link: Link): string {
  return link.short_url.slice(0, link.short_url.length - link.code.length - 1);
}

/** The UTM fields and the social preview, when the link has any. */
function LinkMetadata({ link }: { link: Link }) {
  const utm = UTM_FIELDS.filter((field) => link.utm[field]);
  if (utm.length === 0 && !link.preview) return null;
  return (
    <Card title="Campaign and preview">
      <div className="space-y-4">
        {utm.length > 0 && (
          <dl className="grid grid-cols-[auto_1fr] gap-x-3 gap-y-1 text-sm">
            {utm.map((field) => (
              <div key={field} className="contents">
                <dt className="font-mono text-xs text-slate-500 dark:text-slate-400">utm_{field}</dt>
                <dd className="break-all">{link.utm[field]}</dd>
              </div>
            ))}
          </dl>
        )}
        {link.preview && (
          <div className="space-y-1">
            <h3 className="text-sm font-medium text-slate-700 dark:text-slate-200">Social preview</h3>
            <PreviewCard
              preview={{ title: link.preview.title ?? "", description: link.preview.description ?? "", image: link.preview.image ?? "" }}
              host={displayUrl(shortBaseOf(link))}
            />
            {link.has_password && <p className="text-xs text-slate-500 dark:text-slate-400">Not shown while the link has a password.</p>}
          </div>
        )}
      </div>
    </Card>
  );
}

function LinkActions({ link }: { link: Link }) {
  const navigate = useNavigate();
  const setDisabled = useSetDisabled(link);
  const remove = useDeleteLink(link);
  const [confirming, setConfirming] = useState(false);
  const error = setDisabled.error ?? remove.error;
  return (
    <>
      <CopyButton text={link.short_url} label="Copy short URL" />
      <RouterLink to={linkPage(link, "/analytics")} className={buttonClass("secondary")}>
        <BarChart3 aria-hidden="true" className="h-4 w-4" />
        Analytics
      </RouterLink>
      <Button variant="secondary" busy={setDisabled.isPending} onClick={() => setDisabled.mutate(!link.disabled)}>
        {!setDisabled.isPending && (link.disabled ? <Play aria-hidden="true" className="h-4 w-4" /> : <Pause aria-hidden="true" className="h-4 w-4" />)}
        {link.disabled ? "Enable" : "Disable"}
      </Button>
      <Button variant="danger" onClick={() => setConfirming(true)}>
        <Trash2 aria-hidden="true" className="h-4 w-4" />
        Delete
      </Button>
      {error && (
        <p role="alert" className="basis-full text-sm text-red-600 dark:text-red-400">
          {errorMessage(error)}
        </p>
      )}
      <ConfirmDialog
        open={confirming}
        title="Delete this link?"
        confirmLabel="Delete link"
        danger
        busy={remove.isPending}
        onClose={() => setConfirming(false)}
        onConfirm={() =>
          remove.mutate(undefined, {
            onSuccess: () => void navigate("/links", { replace: true }),
            onError: () => setConfirming(false),
          })
        }
      >
        <p>
          <strong>{displayUrl(link.short_url)}</strong> stops redirecting within a second and its analytics are no longer shown. This cannot be undone.
        </p>
        <p className="mt-2">To stop it for a while instead, disable it.</p>
      </ConfirmDialog>
    </>
  );
}

function CreatedNotice() {
  const location = useLocation();
  const created = (location.state as { created?: boolean } | null)?.created === true;
  if (!created) return null;
  return (
    <p role="status" className="mb-4 rounded-md border border-green-200 bg-green-50 px-3 py-2 text-sm text-green-800 dark:border-green-900 dark:bg-green-950/40 dark:text-green-200">
      Link created. It redirects within a second.
    </p>
  );
}

function LinkDetail({ link }: { link: Link }) {
  const update = useUpdateLink(link);
  const [saved, setSaved] = useState<string | null>(null);
  return (
    <>
      <CreatedNotice />
      <PageHeader
        title={displayUrl(link.short_url)}
        description={
          <span className="block max-w-2xl break-all">
            → <a href={link.target_url} target="_blank" rel="noopener noreferrer" className="text-indigo-700 hover:underline dark:text-indigo-300" title={link.target_url}>
              {link.target_url}
            </a>
            {link.destination_url !== link.target_url && (
              <span className="mt-1 block text-slate-500 dark:text-slate-400">
                With UTM parameters: <span className="break-all text-slate-700 dark:text-slate-300">{link.destination_url}</span>
              </span>
            )}
            {link.title && <span className="mt-1 block text-slate-500 dark:text-slate-400">{link.title}</span>}
          </span>
        }
        actions={<LinkActions link={link} />}
      />
      <div className="grid gap-6 lg:grid-cols-3">
        <div className="space-y-6 lg:col-span-2">
          <LinkFacts link={link} />
          <Card title="Edit link">
            <LinkForm
              mode="edit"
              initial={valuesFromLink(link)}
              hasPassword={link.has_password}
              shortBase={shortBaseOf(link)}
              submitLabel="Save changes"
              onSubmit={async (values) => {
                setSaved(null);
                const body = updateBody(values, link);
                const updated = Object.keys(body).length > 0 ? await update.mutateAsync(body) : link;
                setSaved(`Saved at ${new Date().toLocaleTimeString()}.`);
                return valuesFromLink(updated);
              }}
            />
            <p role="status" className="mt-3 text-sm text-green-700 dark:text-green-400">
              {saved}
            </p>
          </Card>
        </div>
        <div className="space-y-6">
          <QrCard link={link} />
          <LinkRouting link={link} />
          <LinkMetadata link={link} />
        </div>
      </div>
    </>
  );
}

export default function LinkDetailPage() {
  const { code = "" } = useParams();
  const [search] = useSearchParams();
  const ref = { code, domain: domainParam(search) };
  const valid = CODE_PATTERN.test(code);
  const link = useLink(ref, { enabled: valid });
  if (!valid) return <LinkNotFound code={linkLabel(ref)} />;
  if (link.isPending) return <LoadingState label="Loading the link…" />;
  if (link.isError) {
    // A ?domain= that is no domain at all is a 422: no such link either.
    if (link.error instanceof ApiError && [404, 422].includes(link.error.status)) return <LinkNotFound code={linkLabel(ref)} />;
    return <ErrorState error={link.error} onRetry={() => void link.refetch()} />;
  }
  return <LinkDetail link={link.data} />;
}
