import { BarChart3, Globe, KeyRound, Link2, LogOut, Menu, ScrollText, Unlink, UserCog, Users, Webhook, X } from "lucide-react";
import { type ComponentType, useState } from "react";
import { NavLink, Outlet } from "react-router";
import { useAuth, useUser } from "../auth/context";
import { ThemeToggle } from "./ThemeToggle";

type NavItem = { to: string; label: string; icon: ComponentType<{ className?: string; "aria-hidden"?: boolean }>; admin?: boolean };

const NAV: NavItem[] = [
  { to: "/links", label: "Links", icon: Link2 },
  { to: "/analytics", label: "Analytics", icon: BarChart3 },
  { to: "/keys", label: "API keys", icon: KeyRound },
  { to: "/webhooks", label: "Webhooks", icon: Webhook },
  { to: "/domains", label: "Domains", icon: Globe },
  { to: "/account", label: "Account", icon: UserCog },
  { to: "/admin/users", label: "Users", icon: Users, admin: true },
  { to: "/admin/audit", label: "Audit log", icon: ScrollText, admin: true },
  { to: "/admin/orphan-visits", label: "Orphan visits", icon: Unlink, admin: true },
];

function Navigation({ onNavigate }: { onNavigate?: () => void }) {
  const user = useUser();
  return (
    <ul className="space-y-1">
      {NAV.filter((item) => !item.admin || user.is_admin).map(({ to, label, icon: Icon }) => (
        <li key={to}>
          <NavLink
            to={to}
            onClick={onNavigate}
            className={({ isActive }) =>
              `flex items-center gap-3 rounded-md px-3 py-2 text-sm font-medium ${
                isActive
                  ? "bg-indigo-50 text-indigo-700 dark:bg-indigo-950 dark:text-indigo-200"
                  : "text-slate-700 hover:bg-slate-100 dark:text-slate-300 dark:hover:bg-slate-800"
              }`
            }
          >
            <Icon aria-hidden={true} className="h-4 w-4" />
            {label}
          </NavLink>
        </li>
      ))}
    </ul>
  );
}

function Brand() {
  return (
    <NavLink to="/links" className="flex items-center gap-2 text-lg font-bold tracking-tight">
      <img src="/favicon.svg" alt="" className="h-7 w-7" />
      Hop
    </NavLink>
  );
}

function SignOutButton() {
  const { signOut } = useAuth();
  return (
    <button
      type="button"
      onClick={() => void signOut()}
      className="flex w-full items-center gap-3 rounded-md px-3 py-2 text-sm font-medium text-slate-700 hover:bg-slate-100 dark:text-slate-300 dark:hover:bg-slate-800"
    >
      <LogOut aria-hidden="true" className="h-4 w-4" />
      Sign out
    </button>
  );
}

/** The signed-in frame: a sidebar on wide screens, a menu button on phones. */
export function AppShell() {
  const user = useUser();
  const [menuOpen, setMenuOpen] = useState(false);
  return (
    <div className="min-h-screen md:flex">
      <a href="#main" className="sr-only focus:not-sr-only focus:absolute focus:top-2 focus:left-2 focus:z-50 focus:rounded focus:bg-white focus:px-3 focus:py-2 dark:focus:bg-slate-900">
        Skip to content
      </a>
      <header className="flex items-center justify-between border-b border-slate-200 bg-white px-4 py-3 md:hidden dark:border-slate-800 dark:bg-slate-900">
        <Brand />
        <div className="flex items-center gap-1">
          <ThemeToggle />
          <button
            type="button"
            className="rounded-md p-2 hover:bg-slate-100 dark:hover:bg-slate-800"
            aria-expanded={menuOpen}
            aria-controls="mobile-nav"
            aria-label={menuOpen ? "Close menu" : "Open menu"}
            onClick={() => setMenuOpen(!menuOpen)}
          >
            {menuOpen ? <X aria-hidden="true" className="h-5 w-5" /> : <Menu aria-hidden="true" className="h-5 w-5" />}
          </button>
        </div>
      </header>
      {menuOpen && (
        <nav id="mobile-nav" aria-label="Main" className="border-b border-slate-200 bg-white p-3 md:hidden dark:border-slate-800 dark:bg-slate-900">
          <Navigation onNavigate={() => setMenuOpen(false)} />
          <div className="mt-2 border-t border-slate-200 pt-2 dark:border-slate-800">
            <SignOutButton />
          </div>
        </nav>
      )}
      <aside className="hidden w-60 shrink-0 flex-col border-r border-slate-200 bg-white p-4 md:flex dark:border-slate-800 dark:bg-slate-900">
        <div className="mb-6 flex items-center justify-between">
          <Brand />
          <ThemeToggle />
        </div>
        <nav aria-label="Main" className="flex-1">
          <Navigation />
        </nav>
        <div className="border-t border-slate-200 pt-3 dark:border-slate-800">
          <p className="truncate px-3 pb-2 text-xs text-slate-500 dark:text-slate-400" title={user.email}>
            {user.email}
          </p>
          <SignOutButton />
        </div>
      </aside>
      <main id="main" className="min-w-0 flex-1 px-4 py-6 md:px-8">
        <Outlet />
      </main>
    </div>
  );
}

/** The frame of the pages before sign-in: a centred card. */
export function PublicShell() {
  return (
    <div className="flex min-h-screen flex-col items-center justify-center px-4 py-10">
      <div className="mb-6 flex items-center gap-3">
        <Brand />
        <ThemeToggle />
      </div>
      <main id="main" className="w-full max-w-sm">
        <Outlet />
      </main>
    </div>
  );
}
