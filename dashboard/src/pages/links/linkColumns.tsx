import { Link as RouterLink } from "react-router";
import { Badge } from "../../components/Badge";
import { CopyButton } from "../../components/CopyButton";
import type { DataColumn } from "../../components/DataTable";
import { formatDate, formatDateTime, formatNumber } from "../../lib/format";
import { linkPage } from "./linkRef";
import type { Link } from "./queries";
import { StatusBadges } from "./StatusBadges";

function ShortLink({ link }: { link: Link }) {
  return (
    <div className="flex items-center gap-1 whitespace-nowrap">
      <RouterLink to={linkPage(link)} className="font-medium text-indigo-700 hover:underline dark:text-indigo-300">
        /{link.code}
      </RouterLink>
      <CopyButton text={link.short_url} />
    </div>
  );
}

function Destination({ link }: { link: Link }) {
  return (
    <div className="max-w-[16rem] min-w-[10rem] sm:max-w-xs lg:max-w-md">
      {link.title && (
        <p className="truncate font-medium" title={link.title}>
          {link.title}
        </p>
      )}
      <p className="truncate text-slate-600 dark:text-slate-300" title={link.target_url}>
        {link.target_url}
      </p>
      {link.tags.length > 0 && (
        <p className="mt-1 truncate text-xs text-slate-500 dark:text-slate-400" title={link.tags.join(", ")}>
          <span className="sr-only">Tags: </span>
          {link.tags.map((tag) => `#${tag}`).join(" ")}
        </p>
      )}
    </div>
  );
}

function Clicks({ link }: { link: Link }) {
  return (
    <div className="text-right whitespace-nowrap tabular-nums">
      <p className="font-medium">{formatNumber(link.click_count)}</p>
      <p className="text-xs text-slate-500 dark:text-slate-400">
        {formatNumber(link.human_clicks)} people · {formatNumber(link.bot_clicks)} bots
      </p>
    </div>
  );
}

/** The link's short domain, as a badge: the default one's host for links that live there. */
function DomainBadge({ link, defaultHost }: { link: Link; defaultHost: string }) {
  return <Badge tone={link.domain === null ? "neutral" : "info"}>{link.domain ?? defaultHost}</Badge>;
}

/**
 * The links table's columns; ids of sortable ones are the API's sort columns (admin/links_list.py).
 * With ``defaultHost`` (when links may live on several domains) a Domain column follows the code.
 */
export function linkColumns(defaultHost: string | null): DataColumn<Link>[] {
  const domain: DataColumn<Link>[] = defaultHost === null ? [] : [{ id: "domain", header: "Domain", cell: (link) => <DomainBadge link={link} defaultHost={defaultHost} /> }];
  return [LINK_COLUMNS[0] as DataColumn<Link>, ...domain, ...LINK_COLUMNS.slice(1)];
}

const LINK_COLUMNS: DataColumn<Link>[] = [
  { id: "code", header: "Short link", sortable: true, cell: (link) => <ShortLink link={link} /> },
  { id: "target", header: "Title and target", cell: (link) => <Destination link={link} /> },
  { id: "click_count", header: "Clicks", sortable: true, descFirst: true, className: "text-right", cell: (link) => <Clicks link={link} /> },
  { id: "status", header: "Status", cell: (link) => <StatusBadges link={link} /> },
  {
    id: "created_at",
    header: "Created",
    sortable: true,
    descFirst: true,
    cell: (link) => (
      <time dateTime={link.created_at} title={formatDateTime(link.created_at)} className="whitespace-nowrap">
        {formatDate(link.created_at)}
      </time>
    ),
  },
];
