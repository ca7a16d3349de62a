import { type ComponentType, type LazyExoticComponent, Suspense, lazy } from "react";
import { Navigate, Outlet, Route, Routes, matchPath, useLocation } from "react-router";
import { useInstance } from "./api/instance";
import { RequireAuth } from "./auth/RequireAuth";
import { useAuth } from "./auth/context";
import { ErrorState } from "./components/States";
import { FullPageSpinner } from "./components/Spinner";
import { AppShell, PublicShell } from "./layout/AppShell";

type PageModule = () => Promise<{ default: ComponentType }>;

// Each page is its own chunk: the first paint loads only the shell and the page it shows.
const PAGES = {
  "/setup": () => import("./pages/setup/SetupPage"),
  "/sign-in": () => import("./pages/auth/SignInPage"),
  "/register": () => import("./pages/auth/RegisterPage"),
  "/forgot-password": () => import("./pages/auth/ForgotPasswordPage"),
  "/reset-password": () => import("./pages/auth/ResetPasswordPage"),
  "/links": () => import("./pages/links/LinksPage"),
  "/links/new": () => import("./pages/links/LinkCreatePage"),
  "/links/import": () => import("./pages/links/LinkImportPage"),
  "/links/:code": () => import("./pages/links/LinkDetailPage"),
  "/links/:code/analytics": () => import("./pages/analytics/LinkAnalyticsPage"),
  "/analytics": () => import("./pages/analytics/OverviewPage"),
  "/keys": () => import("./pages/keys/ApiKeysPage"),
  "/webhooks": () => import("./pages/webhooks/WebhooksPage"),
  "/domains": () => import("./pages/domains/DomainsPage"),
  "/account": () => import("./pages/account/AccountPage"),
  "/admin/users": () => import("./pages/admin/UsersPage"),
  "/admin/audit": () => import("./pages/admin/AuditPage"),
  "/admin/orphan-visits": () => import("./pages/admin/OrphanVisitsPage"),
} satisfies Record<string, PageModule>;

const page = (load: PageModule): LazyExoticComponent<ComponentType> => lazy(load);
const SetupPage = page(PAGES["/setup"]);
const SignInPage = page(PAGES["/sign-in"]);
const RegisterPage = page(PAGES["/register"]);
const ForgotPasswordPage = page(PAGES["/forgot-password"]);
const ResetPasswordPage = page(PAGES["/reset-password"]);
const LinksPage = page(PAGES["/links"]);
const LinkCreatePage = page(PAGES["/links/new"]);
const LinkDetailPage = page(PAGES["/links/:code"]);
const LinkImportPage = page(PAGES["/links/import"]);
const OverviewPage = page(PAGES["/analytics"]);
const LinkAnalyticsPage = page(PAGES["/links/:code/analytics"]);
const ApiKeysPage = page(PAGES["/keys"]);
const WebhooksPage = page(PAGES["/webhooks"]);
const DomainsPage = page(PAGES["/domains"]);
const AccountPage = page(PAGES["/account"]);
const UsersPage = page(PAGES["/admin/users"]);
const AuditPage = page(PAGES["/admin/audit"]);
const OrphanVisitsPage = page(PAGES["/admin/orphan-visits"]);
const NotFoundPage = page(() => import("./pages/NotFoundPage"));

/**
 * Start loading the chunk of the page at ``pathname`` now, while the session is being resumed,
 * rather than once the route renders: the two waits overlap instead of adding up.
 */
export function preloadPage(pathname: string): void {
  const patterns = Object.keys(PAGES) as (keyof typeof PAGES)[];
  // Literal paths before patterns: /links/new is its own page, not the link "new".
  const match = patterns.find((pattern) => pattern === pathname) ?? patterns.find((pattern) => matchPath(pattern, pathname));
  if (match) void PAGES[match]();
}

/** Until the first admin exists, every page is the setup page; after, the setup page is gone. */
function SetupGate() {
  const instance = useInstance();
  const location = useLocation();
  if (instance.isPending) return <FullPageSpinner />;
  if (instance.isError) return <ErrorState error={instance.error} onRetry={() => void instance.refetch()} />;
  const onSetup = location.pathname === "/setup";
  if (instance.data.setup_required && !onSetup) return <Navigate to="/setup" replace />;
  if (!instance.data.setup_required && onSetup) return <Navigate to="/" replace />;
  return <Outlet />;
}

/** Sign-in and friends are for signed-out visitors; a signed-in one goes where they were headed. */
function SignedOutOnly() {
  const auth = useAuth();
  const location = useLocation();
  if (auth.status === "loading") return <FullPageSpinner />;
  if (auth.status === "signed-in") {
    const next = new URLSearchParams(location.search).get("next");
    return <Navigate to={next?.startsWith("/") && !next.startsWith("//") ? next : "/links"} replace />;
  }
  return <Outlet />;
}

export function App() {
  return (
    <Suspense fallback={<FullPageSpinner />}>
      <Routes>
        <Route element={<SetupGate />}>
          <Route element={<PublicShell />}>
            <Route path="/setup" element={<SetupPage />} />
            <Route path="/reset-password" element={<ResetPasswordPage />} />
            <Route element={<SignedOutOnly />}>
              <Route path="/sign-in" element={<SignInPage />} />
              <Route path="/register" element={<RegisterPage />} />
              <Route path="/forgot-password" element={<ForgotPasswordPage />} />
            </Route>
          </Route>
          <Route element={<RequireAuth />}>
            <Route element={<AppShell />}>
              <Route index element={<Navigate to="/links" replace />} />
              <Route path="/links" element={<LinksPage />} />
              <Route path="/links/new" element={<LinkCreatePage />} />
              <Route path="/links/import" element={<LinkImportPage />} />
              <Route path="/links/:code" element={<LinkDetailPage />} />
              <Route path="/links/:code/analytics" element={<LinkAnalyticsPage />} />
              <Route path="/analytics" element={<OverviewPage />} />
              <Route path="/keys" element={<ApiKeysPage />} />
              <Route path="/webhooks" element={<WebhooksPage />} />
              <Route path="/domains" element={<DomainsPage />} />
              <Route path="/account" element={<AccountPage />} />
              <Route element={<RequireAuth admin />}>
                <Route path="/admin/users" element={<UsersPage />} />
                <Route path="/admin/audit" element={<AuditPage />} />
                <Route path="/admin/orphan-visits" element={<OrphanVisitsPage />} />
              </Route>
              <Route path="*" element={<NotFoundPage />} />
            </Route>
          </Route>
        </Route>
      </Routes>
    </Suspense>
  );
}
