import { Navigate, Outlet, useLocation } from "react-router";
import { FullPageSpinner } from "../components/Spinner";
import { useAuth } from "./context";

/** Child routes for signed-in users; others go to sign-in and come back after. */
export function RequireAuth({ admin = false }: { admin?: boolean }) {
  const auth = useAuth();
  const location = useLocation();
  if (auth.status === "loading") return <FullPageSpinner />;
  if (auth.status === "signed-out") {
    const next = `${location.pathname}${location.search}`;
    return <Navigate to={`/sign-in?next=${encodeURIComponent(next)}`} replace />;
  }
  if (admin && !auth.user.is_admin) return <Navigate to="/links" replace />;
  return <Outlet />;
}
