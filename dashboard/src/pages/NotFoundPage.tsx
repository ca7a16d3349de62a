import { Link } from "react-router";
import { buttonClass } from "../components/Button";
import { EmptyState } from "../components/States";

export default function NotFoundPage() {
  return (
    <EmptyState
      title="Page not found"
      action={
        <Link to="/links" className={buttonClass("primary")}>
          Go to your links
        </Link>
      }
    >
      There is no page at this address.
    </EmptyState>
  );
}
