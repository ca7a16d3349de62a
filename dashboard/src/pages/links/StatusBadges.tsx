import { Ban, CheckCircle2, Clock, Lock, PauseCircle } from "lucide-react";
import { Badge, type BadgeTone } from "../../components/Badge";
import { formatDateTime, formatNumber } from "../../lib/format";
import { type LinkStatus, STATUS_LABELS, linkStatuses } from "./linkStatus";
import type { Link } from "./queries";

const LOOK: Record<LinkStatus, { tone: BadgeTone; icon: typeof Ban }> = {
  active: { tone: "success", icon: CheckCircle2 },
  disabled: { tone: "neutral", icon: PauseCircle },
  expired: { tone: "warning", icon: Clock },
  limit_reached: { tone: "danger", icon: Ban },
};

function explanation(status: LinkStatus, link: Link): string {
  switch (status) {
    case "active":
      return "Redirects visitors to the target";
    case "disabled":
      return "Disabled: visitors get a 404 until it is enabled again";
    case "expired":
      return `Expired on ${formatDateTime(link.expires_at)}`;
    case "limit_reached":
      return `Reached its limit of ${formatNumber(link.max_clicks ?? 0)} clicks`;
  }
}

/** The link asks visitors for its password before it redirects; read out as "Password protected". */
export function PasswordBadge() {
  return (
    <Badge tone="info" icon={Lock} title="Visitors must enter a password before they are redirected">
      Password<span className="sr-only"> protected</span>
    </Badge>
  );
}

/** Why a link redirects or not, in words (the colour and icon only repeat them), and whether it asks for a password. */
export function StatusBadges({ link }: { link: Link }) {
  return (
    <span className="inline-flex flex-wrap gap-1">
      {linkStatuses(link).map((status) => (
        <Badge key={status} tone={LOOK[status].tone} icon={LOOK[status].icon} title={explanation(status, link)}>
          {STATUS_LABELS[status]}
        </Badge>
      ))}
      {link.has_password && <PasswordBadge />}
    </span>
  );
}
