import { useSearchParams } from "react-router";
import { Button } from "../../components/Button";
import { Card, PageHeader } from "../../components/Card";
import { EmptyState, ErrorState, LoadingState } from "../../components/States";
import { AuditEntryItem } from "./AuditEntryItem";
import { AuditFilterForm } from "./AuditFilterForm";
import { type AuditFilters, auditFiltersFrom, auditSearchFrom, hasFilters, loadedSummary } from "./audit";
import { useAuditLog, useUserDirectory } from "./queries";

export default function AuditPage() {
  const [search, setSearch] = useSearchParams();
  const filters = auditFiltersFrom(search);
  const directory = useUserDirectory();
  const apply = (next: AuditFilters) => setSearch(auditSearchFrom(next));
  return (
    <div className="space-y-6">
      <PageHeader title="Audit log" description="Who changed which link or account, when and from where, newest first." />
      {/* Keyed by the URL: back, forward and "Clear filters" show the form as the URL says. */}
      <AuditFilterForm
        key={search.toString()}
        filters={filters}
        directory={directory.data}
        onApply={apply}
        onClear={() => setSearch(new URLSearchParams())}
      />
      <Entries filters={filters} directory={directory.data} onClear={() => setSearch(new URLSearchParams())} />
    </div>
  );
}

function Entries({ filters, directory, onClear }: { filters: AuditFilters; directory: ReadonlyMap<number, string> | undefined; onClear(): void }) {
  const log = useAuditLog(filters);
  if (log.isPending) return <LoadingState label="Loading the audit log…" />;
  if (log.isError) return <ErrorState error={log.error} onRetry={() => void log.refetch()} />;
  const entries = log.data.pages.flatMap((page) => page.data);
  if (entries.length === 0) {
    return hasFilters(filters) ? (
      <EmptyState title="No entry matches these filters" action={<Button variant="secondary" onClick={onClear}>Clear filters</Button>} />
    ) : (
      <EmptyState title="The audit log is empty">Changes to links and accounts appear here as they are made.</EmptyState>
    );
  }
  return (
    <Card title={`Entries (${entries.length}${log.hasNextPage ? "+" : ""})`}>
      <ol className="-m-4 divide-y divide-slate-200 dark:divide-slate-800" aria-busy={log.isFetching || undefined}>
        {entries.map((entry) => (
          <AuditEntryItem key={entry.id} entry={entry} directory={directory} />
        ))}
      </ol>
      <div className="-mx-4 -mb-4 mt-4 flex flex-wrap items-center justify-between gap-2 border-t border-slate-200 px-4 py-3 text-sm dark:border-slate-800">
        <p className="text-slate-600 dark:text-slate-300" aria-live="polite">
          {loadedSummary(entries.length, log.hasNextPage)}
        </p>
        {log.isFetchNextPageError && <p role="alert" className="text-red-700 dark:text-red-300">Loading more failed. Try again.</p>}
        {log.hasNextPage && (
          <Button variant="secondary" busy={log.isFetchingNextPage} onClick={() => void log.fetchNextPage()}>
            Load more
          </Button>
        )}
      </div>
    </Card>
  );
}
