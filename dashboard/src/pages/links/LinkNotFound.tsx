import { Link } from "react-router";
import { buttonClass } from "../../components/Button";
import { EmptyState } from "../../components/States";

/** A link with no link the viewer may see (deleted, never made, or someone else's: the API does not say which). ``code``: as linkRef.ts linkLabel names it, with its domain. */
export function LinkNotFound({ code }: { code: string }) {
  return (
    <EmptyState
      title="Link not found"
      action={
        <Link to="/links" className={buttonClass("primary")}>
          Back to your links
        </Link>
      }
    >
      There is no link “{code}” that you can see. It may have been deleted, or it belongs to someone else.
    </EmptyState>
  );
}
