import { Bot } from "lucide-react";
import { useMemo } from "react";
import { Badge } from "../../components/Badge";
import { Card } from "../../components/Card";
import { type DataColumn, DataTable } from "../../components/DataTable";
import { formatDateTime, formatNumber } from "../../lib/format";
import { countryName } from "../analytics/countries";
import { type Domain, hostOf, severalDomains } from "../domains/domains";
import { useDomains } from "../domains/queries";
import { KIND_INFO, type OrphanKind, clientText, type OrphanPath, type OrphanVisit } from "./orphans";

const muted = "text-slate-500 dark:text-slate-400";

export function KindBadge({ kind }: { kind: OrphanKind }) {
  const info = KIND_INFO[kind];
  return (
    <Badge tone={info.tone} title={info.explanation}>
      {info.label}
    </Badge>
  );
}

/**
 * A path as the visitor sent it: hostile input, so text only (React escapes it) and never a link;
 * long ones wrap anywhere and stop after two lines, the whole path in the title.
 */
function PathText({ path }: { path: string }) {
  return (
    <code title={path} className="line-clamp-2 max-w-[28rem] min-w-[11rem] font-mono text-xs break-all">
      {path}
    </code>
  );
}

function When({ iso }: { iso: string }) {
  return (
    <time dateTime={iso} className="whitespace-nowrap">
      {formatDateTime(iso)}
    </time>
  );
}

const text = (value: string | null) => value ?? <span className={muted}>—</span>;

/** Browser, OS and device, after a "Bot" badge for crawlers and scripts (a bot needs no dash for what is unknown). */
function Client({ visit }: { visit: OrphanVisit }) {
  const client = clientText(visit);
  return (
    <span className="flex flex-wrap items-center gap-x-1.5 gap-y-1">
      {visit.is_bot && (
        <Badge tone="warning" icon={Bot}>
          Bot
        </Badge>
      )}
      {client ?? (visit.is_bot ? null : text(null))}
    </span>
  );
}

/** The short domain a visit came to (null: the default one, named by its host). */
function DomainText({ domain, domains }: { domain: string | null; domains: readonly Domain[] | undefined }) {
  return <span className="font-mono text-xs whitespace-nowrap">{hostOf(domain, domains)}</span>;
}

/** ``columns`` with a Domain column second, when visits may come to several domains. */
function withDomain<T extends { domain: string | null }>(columns: DataColumn<T>[], domains: readonly Domain[] | undefined): DataColumn<T>[] {
  if (!severalDomains(domains)) return columns;
  const domain: DataColumn<T> = { id: "domain", header: "Domain", cell: (row) => <DomainText domain={row.domain} domains={domains} /> };
  return [...columns.slice(0, 1), domain, ...columns.slice(1)];
}

const PATH_COLUMNS: DataColumn<OrphanPath>[] = [
  { id: "path", header: "Path", cell: (row) => <PathText path={row.path} /> },
  // Beside the path: on a phone the count shows without scrolling the table sideways.
  { id: "visits", header: "Visits", className: "text-right tabular-nums", cell: (row) => formatNumber(row.visits) },
  { id: "kind", header: "Kind", cell: (row) => <KindBadge kind={row.kind} /> },
  { id: "last", header: "Last visited", cell: (row) => <When iso={row.last_visited_at} /> },
];

// Two visits can share their instant and path: rows are keyed by their place in the answer.
type Numbered = OrphanVisit & { index: number };

const RECENT_COLUMNS: DataColumn<Numbered>[] = [
  { id: "time", header: "Time", cell: (row) => <When iso={row.visited_at} /> },
  { id: "path", header: "Path", cell: (row) => <PathText path={row.path} /> },
  { id: "kind", header: "Kind", cell: (row) => <KindBadge kind={row.kind} /> },
  { id: "country", header: "Country", className: "whitespace-nowrap", cell: (row) => (row.country ? countryName(row.country) : text(null)) },
  { id: "client", header: "Client", className: "min-w-[10rem]", cell: (row) => <Client visit={row} /> },
  {
    id: "referrer",
    header: "Referrer",
    cell: (row) => (
      <span className="block max-w-[12rem] truncate" title={row.referrer_host ?? undefined}>
        {row.referrer_host ?? <span className={muted}>Direct</span>}
      </span>
    ),
  },
];

/** The most visited paths in the range, most visits first. */
export function TopPathsTable({ paths, total }: { paths: OrphanPath[]; total: number }) {
  const covered = paths.reduce((sum, row) => sum + row.visits, 0);
  const domains = useDomains();
  const columns = useMemo(() => withDomain(PATH_COLUMNS, domains.data), [domains.data]);
  return (
    <Card title="Most visited paths">
      <DataTable
        caption="Most visited paths in this range"
        data={paths}
        columns={columns}
        getRowId={(row) => `${row.domain ?? ""} ${row.kind} ${row.path}`}
      />
      {covered < total && (
        <p className={`mt-3 text-xs ${muted}`}>
          The {formatNumber(paths.length)} paths listed account for {formatNumber(covered)} of {formatNumber(total)} orphan visits.
        </p>
      )}
    </Card>
  );
}

/** The latest orphan visits in the range, newest first. */
export function RecentVisitsTable({ visits }: { visits: OrphanVisit[] }) {
  const rows = useMemo(() => visits.map((visit, index) => ({ ...visit, index })), [visits]);
  const domains = useDomains();
  const columns = useMemo(() => withDomain(RECENT_COLUMNS, domains.data), [domains.data]);
  return (
    <Card title="Recent orphan visits">
      <p className={`mb-3 text-xs ${muted}`}>The latest {formatNumber(visits.length)} in this range, newest first. Times in your time zone.</p>
      <DataTable caption="Recent orphan visits, newest first" data={rows} columns={columns} getRowId={(row) => String(row.index)} />
    </Card>
  );
}
