import { Plus, Search, Upload, X } from "lucide-react";
import { type FormEvent, useCallback, useEffect, useId, useMemo, useState } from "react";
import { Link as RouterLink, useNavigate, useSearchParams } from "react-router";
import { Button, buttonClass } from "../../components/Button";
import { DownloadButton } from "../../components/DownloadButton";
import { PageHeader } from "../../components/Card";
import { DataTable, type RowSelectionState } from "../../components/DataTable";
import { SelectField, inputClass } from "../../components/Field";
import { Pagination } from "../../components/Pagination";
import { EmptyState, ErrorState, LoadingState } from "../../components/States";
import { formatNumber } from "../../lib/format";
import { BulkActions } from "./BulkActions";
import { defaultHost, severalDomains } from "../domains/domains";
import { useDomains } from "../domains/queries";
import { linkColumns } from "./linkColumns";
import { linkKey, linkLabel, linkPage } from "./linkRef";
import {
  type ListParams,
  PAGE_SIZES,
  SORT_KEYS,
  SORT_LABELS,
  type SortKey,
  isFiltered,
  pageCount,
  readListParams,
  sortKeyOf,
  sortingOf,
  withChange,
  writeListParams,
} from "./listParams";
import { type Link, useLinks, useTags } from "./queries";

const SEARCH_DELAY_MS = 300;

/** The search box: the list follows what is typed once typing pauses (Enter searches at once). */
function SearchBox({ value, onSearch }: { value: string; onSearch(q: string): void }) {
  const id = useId();
  const [draft, setDraft] = useState(value);
  const [seen, setSeen] = useState(value);
  // Back, forward or a cleared filter changed the search: show it, unless it is what is typed.
  if (value !== seen) {
    setSeen(value);
    if (value !== draft.trim()) setDraft(value);
  }
  useEffect(() => {
    if (draft.trim() === value) return;
    const timer = setTimeout(() => onSearch(draft.trim()), SEARCH_DELAY_MS);
    return () => clearTimeout(timer);
  }, [draft, value, onSearch]);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (draft.trim() !== value) onSearch(draft.trim());
  };
  return (
    <form role="search" onSubmit={submit} className="min-w-[12rem] flex-1 space-y-1">
      <label htmlFor={id} className="block text-sm font-medium text-slate-700 dark:text-slate-200">
        Search
      </label>
      <div className="relative">
        <Search aria-hidden="true" className="pointer-events-none absolute top-2.5 left-2.5 h-4 w-4 text-slate-400" />
        <input
          id={id}
          type="search"
          value={draft}
          maxLength={200}
          onChange={(event) => setDraft(event.target.value)}
          placeholder="Code, target URL or title"
          className={`${inputClass} pl-8`}
        />
      </div>
    </form>
  );
}

function TagFilter({ value, onChange }: { value: string; onChange(tag: string): void }) {
  const tags = useTags();
  const options = tags.data ?? [];
  const known = options.some((option) => option.tag === value);
  return (
    <div className="w-full sm:w-48">
      <SelectField label="Tag" value={value} onChange={(event) => onChange(event.target.value)} disabled={tags.isPending && !value}>
        <option value="">All tags</option>
        {value && !known && <option value={value}>{value}</option>}
        {options.map((option) => (
          <option key={option.tag} value={option.tag}>
            {option.tag} ({formatNumber(option.links)})
          </option>
        ))}
      </SelectField>
    </div>
  );
}

function SortSelect({ value, onChange }: { value: SortKey; onChange(sort: SortKey): void }) {
  return (
    <div className="w-full sm:w-52">
      <SelectField label="Sort by" value={value} onChange={(event) => onChange(event.target.value as SortKey)}>
        {SORT_KEYS.map((key) => (
          <option key={key} value={key}>
            {SORT_LABELS[key]}
          </option>
        ))}
      </SelectField>
    </div>
  );
}

function ExportButton({ tag }: { tag: string }) {
  const query = tag ? `?${new URLSearchParams({ tag }).toString()}` : "";
  return (
    <DownloadButton url={`/api/v1/links/export.csv${query}`} filename={tag ? `links-${tag}.csv` : "links.csv"}>
      {tag ? `Export CSV (tag ${tag})` : "Export CSV"}
    </DownloadButton>
  );
}

function HeaderActions({ tag }: { tag: string }) {
  return (
    <>
      <RouterLink to="/links/new" className={buttonClass("primary")}>
        <Plus aria-hidden="true" className="h-4 w-4" />
        New link
      </RouterLink>
      <RouterLink to="/links/import" className={buttonClass("secondary")}>
        <Upload aria-hidden="true" className="h-4 w-4" />
        Import CSV
      </RouterLink>
      <ExportButton tag={tag} />
    </>
  );
}

function FirstLinkEmptyState() {
  return (
    <EmptyState
      title="No links yet"
      action={
        <div className="flex flex-wrap justify-center gap-2">
          <RouterLink to="/links/new" className={buttonClass("primary")}>
            Create your first link
          </RouterLink>
          <RouterLink to="/links/import" className={buttonClass("secondary")}>
            Import from CSV
          </RouterLink>
        </div>
      }
    >
      Paste a long URL to get a short one: Hop redirects visitors, counts every click (people and bots apart) and draws a QR code for it. Moving from another shortener or a
      spreadsheet? Import your links from a CSV file.
    </EmptyState>
  );
}

function NoMatchEmptyState({ params, onClear }: { params: ListParams; onClear(): void }) {
  const what = [params.q && `contain “${params.q}”`, params.tag && `have the tag “${params.tag}”`].filter(Boolean).join(" and ");
  return (
    <EmptyState
      title="No links match"
      action={
        <Button variant="secondary" onClick={onClear}>
          <X aria-hidden="true" className="h-4 w-4" />
          Clear search and filters
        </Button>
      }
    >
      None of your links {what}. The search looks in codes, target URLs and titles.
    </EmptyState>
  );
}

function PageSize({ value, onChange }: { value: number; onChange(limit: number): void }) {
  const id = useId();
  return (
    <div className="flex items-center gap-2 text-sm">
      <label htmlFor={id} className="whitespace-nowrap text-slate-600 dark:text-slate-300">
        Rows per page
      </label>
      <div className="w-20">
        <select id={id} value={value} onChange={(event) => onChange(Number(event.target.value))} className={inputClass}>
          {PAGE_SIZES.map((size) => (
            <option key={size} value={size}>
              {size}
            </option>
          ))}
        </select>
      </div>
    </div>
  );
}

/** Selection belongs to one list (filters, order, page): another list starts with none selected. */
function useSelection(listKey: string) {
  const [state, setState] = useState<{ key: string; selected: RowSelectionState }>({ key: listKey, selected: {} });
  const selected = state.key === listKey ? state.selected : {};
  return [selected, (next: RowSelectionState) => setState({ key: listKey, selected: next })] as const;
}

export default function LinksPage() {
  const [searchParams, setSearchParams] = useSearchParams();
  const params = readListParams(searchParams);
  const navigate = useNavigate();
  const links = useLinks(params);
  const listKey = writeListParams(params).toString();
  const [selected, setSelected] = useSelection(listKey);

  const go = (next: ListParams, replace = false) => setSearchParams(writeListParams(next), { replace });
  // Typing replaces the history entry: Back leaves the list rather than undoing keystrokes.
  const onSearch = useCallback(
    (q: string) => setSearchParams((current) => writeListParams(withChange(readListParams(current), { q })), { replace: true }),
    [setSearchParams],
  );
  const sorting = useMemo(() => sortingOf(params.sort), [params.sort]);
  // A Domain column only once links may live on several domains.
  const domains = useDomains();
  const columns = useMemo(() => linkColumns(severalDomains(domains.data) ? defaultHost(domains.data) : null), [domains.data]);

  // A page past the end (links deleted meanwhile, an old bookmark) shows the last page instead.
  const count = links.data?.count ?? 0;
  const lastPage = pageCount(count, params.limit);
  const pastTheEnd = links.isSuccess && !links.isPlaceholderData && params.page > lastPage;
  useEffect(() => {
    if (pastTheEnd) setSearchParams((current) => writeListParams({ ...readListParams(current), page: lastPage }), { replace: true });
  }, [pastTheEnd, lastPage, setSearchParams]);

  const filtered = isFiltered(params);
  const rows: Link[] = links.data?.data ?? [];
  return (
    <>
      <PageHeader
        title="Links"
        description={links.data ? `${formatNumber(count)} link${count === 1 ? "" : "s"}${filtered ? " match" : ""}` : undefined}
        actions={<HeaderActions tag={params.tag} />}
      />
      <div className="mb-4 flex flex-wrap items-end gap-3">
        <SearchBox value={params.q} onSearch={onSearch} />
        <TagFilter value={params.tag} onChange={(tag) => go(withChange(params, { tag }))} />
        <SortSelect value={params.sort} onChange={(sort) => go(withChange(params, { sort }))} />
      </div>
      <div className="mb-3">
        <BulkActions selected={Object.keys(selected)} onSelectionChange={setSelected} />
      </div>
      {links.isPending ? (
        <LoadingState label="Loading links…" />
      ) : links.isError ? (
        <ErrorState error={links.error} onRetry={() => void links.refetch()} />
      ) : count === 0 && !filtered ? (
        <FirstLinkEmptyState />
      ) : count === 0 ? (
        <NoMatchEmptyState params={params} onClear={() => go(withChange(params, { q: "", tag: "" }))} />
      ) : (
        <>
          <DataTable
            caption="Your links"
            data={rows}
            columns={columns}
            getRowId={(link) => linkKey(link)}
            busy={links.isPlaceholderData}
            sort={{ sorting, onSortingChange: (sorting) => go(withChange(params, { sort: sortKeyOf(sorting, params.sort) })) }}
            select={{ selected, onSelectedChange: setSelected, rowLabel: (link) => linkLabel(link) }}
            onRowClick={(link) => void navigate(linkPage(link))}
          />
          <div className="flex flex-col gap-1 sm:flex-row sm:items-center sm:justify-between sm:gap-3">
            <div className="min-w-0 flex-1">
              <Pagination page={Math.min(params.page, lastPage)} pageSize={params.limit} total={count} onPage={(page) => go({ ...params, page })} />
            </div>
            <PageSize value={params.limit} onChange={(limit) => go(withChange(params, { limit }))} />
          </div>
        </>
      )}
    </>
  );
}
