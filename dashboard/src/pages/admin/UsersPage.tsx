import { UserPlus } from "lucide-react";
import { type FormEvent, useState } from "react";
import { useSearchParams } from "react-router";
import { useInstance } from "../../api/instance";
import type { components } from "../../api/schema";
import { useUser } from "../../auth/context";
import { Button } from "../../components/Button";
import { Card, PageHeader } from "../../components/Card";
import { ConfirmDialog } from "../../components/ConfirmDialog";
import { TextField } from "../../components/Field";
import { Pagination } from "../../components/Pagination";
import { EmptyState, ErrorState, FormError, LoadingState } from "../../components/States";
import { formatDate } from "../../lib/format";
import { explain } from "../auth/messages";
import { CreateUserCard } from "./CreateUserCard";
import { useUserAction, useUsers } from "./queries";
import { USERS_PAGE_SIZE, type UserAction, type UsersParams, actionText, usersParamsFrom, usersSearchFrom } from "./users";

type User = components["schemas"]["UserPublic"];
type Pending = { user: User; action: UserAction };

export default function UsersPage() {
  const instance = useInstance();
  const [search, setSearch] = useSearchParams();
  const params = usersParamsFrom(search);
  const [creating, setCreating] = useState(false);
  const go = (next: UsersParams) => setSearch(usersSearchFrom(next));
  return (
    <div className="space-y-6">
      <PageHeader
        title="Users"
        description="Everyone with an account on this Hop instance."
        actions={
          !creating && (
            <Button onClick={() => setCreating(true)}>
              <UserPlus aria-hidden="true" className="h-4 w-4" />
              Create user
            </Button>
          )
        }
      />
      {creating && <CreateUserCard openRegistration={instance.data?.open_registration ?? false} onClose={() => setCreating(false)} />}
      <SearchForm key={params.q} initial={params.q} onSearch={(q) => go({ q, page: 1 })} />
      <UsersTable params={params} onPage={(page) => go({ ...params, page })} onClearSearch={() => go({ q: "", page: 1 })} />
    </div>
  );
}

function SearchForm({ initial, onSearch }: { initial: string; onSearch(q: string): void }) {
  const [text, setText] = useState(initial);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onSearch(text.trim());
  };
  return (
    <form role="search" aria-label="Users" onSubmit={submit} className="flex flex-wrap items-end gap-2">
      <div className="min-w-0 flex-1 sm:max-w-sm">
        <TextField label="Search by e-mail" type="search" maxLength={254} value={text} onChange={(event) => setText(event.target.value)} />
      </div>
      <Button type="submit" variant="secondary">
        Search
      </Button>
    </form>
  );
}

function UsersTable({ params, onPage, onClearSearch }: { params: UsersParams; onPage(page: number): void; onClearSearch(): void }) {
  const users = useUsers(params);
  const [pending, setPending] = useState<Pending | null>(null);
  if (users.isPending) return <LoadingState label="Loading users…" />;
  if (users.isError) return <ErrorState error={users.error} onRetry={() => void users.refetch()} />;
  if (users.data.data.length === 0) {
    return params.q ? (
      <EmptyState title="No user matches" action={<Button variant="secondary" onClick={onClearSearch}>Clear search</Button>}>
        No e-mail address contains “{params.q}”.
      </EmptyState>
    ) : (
      <EmptyState title="No users on this page">
        <Button variant="secondary" onClick={() => onPage(1)}>
          Go to the first page
        </Button>
      </EmptyState>
    );
  }
  return (
    <Card>
      <div className="relative -m-4 overflow-x-auto">
        <table className="w-full min-w-[44rem] text-left text-sm" aria-busy={users.isFetching || undefined}>
          <caption className="sr-only">Users{params.q ? `, e-mail containing “${params.q}”` : ""}</caption>
          <thead className="border-b border-slate-200 text-xs text-slate-500 uppercase dark:border-slate-800 dark:text-slate-400">
            <tr>
              <th scope="col" className="px-4 py-2 font-medium">E-mail</th>
              <th scope="col" className="px-4 py-2 font-medium">Role</th>
              <th scope="col" className="px-4 py-2 font-medium">Status</th>
              <th scope="col" className="px-4 py-2 font-medium">Created</th>
              <th scope="col" className="px-4 py-2 font-medium"><span className="sr-only">Actions</span></th>
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-200 dark:divide-slate-800">
            {users.data.data.map((user) => (
              <UserRow key={user.id} user={user} onAction={(action) => setPending({ user, action })} />
            ))}
          </tbody>
        </table>
      </div>
      <div className="-mx-4 -mb-4 border-t border-slate-200 px-4 dark:border-slate-800">
        <Pagination page={params.page} pageSize={USERS_PAGE_SIZE} total={users.data.count} onPage={onPage} />
      </div>
      <ActionDialog pending={pending} onClose={() => setPending(null)} />
    </Card>
  );
}

const BADGE = "inline-block rounded px-1.5 py-0.5 text-xs font-medium";
const ADMIN_BADGE = `${BADGE} bg-indigo-100 text-indigo-800 dark:bg-indigo-950 dark:text-indigo-200`;
const USER_BADGE = `${BADGE} bg-slate-100 text-slate-700 dark:bg-slate-800 dark:text-slate-200`;
const DISABLED_BADGE = `${BADGE} bg-red-100 text-red-800 dark:bg-red-950 dark:text-red-200`;
const ACTIVE_BADGE = `${BADGE} bg-green-100 text-green-800 dark:bg-green-950 dark:text-green-200`;

function UserRow({ user, onAction }: { user: User; onAction(action: UserAction): void }) {
  const me = useUser();
  const isMe = user.id === me.id;
  return (
    <tr>
      <td className="px-4 py-2 break-all">
        {user.email}
        {isMe && <span className="ml-2 text-xs text-slate-500 dark:text-slate-400">(you)</span>}
      </td>
      <td className="px-4 py-2">
        <span className={user.is_admin ? ADMIN_BADGE : USER_BADGE}>{user.is_admin ? "Admin" : "User"}</span>
      </td>
      <td className="px-4 py-2">
        <span className={user.disabled ? DISABLED_BADGE : ACTIVE_BADGE}>{user.disabled ? "Disabled" : "Active"}</span>
      </td>
      <td className="px-4 py-2 whitespace-nowrap">{formatDate(user.created_at)}</td>
      <td className="px-4 py-2">
        <div className="flex justify-end gap-2 whitespace-nowrap">
          <ActionButton label={user.disabled ? "Enable" : "Disable"} email={user.email} onClick={() => onAction(user.disabled ? "enable" : "disable")} />
          <ActionButton label={user.is_admin ? "Make user" : "Make admin"} email={user.email} onClick={() => onAction(user.is_admin ? "make-user" : "make-admin")} />
        </div>
      </td>
    </tr>
  );
}

/** Named with the account's address too ("Disable bob@example.com"): a row's buttons must be told apart. */
function ActionButton({ label, email, onClick }: { label: string; email: string; onClick(): void }) {
  return (
    <Button variant="secondary" aria-label={`${label} ${email}`} onClick={onClick}>
      {label}
    </Button>
  );
}

function ActionDialog({ pending, onClose }: { pending: Pending | null; onClose(): void }) {
  const run = useUserAction();
  const close = () => {
    run.reset();
    onClose();
  };
  const text = pending ? actionText(pending.action, pending.user.email) : null;
  return (
    <ConfirmDialog
      open={pending !== null}
      title={text?.title ?? ""}
      confirmLabel={text?.confirm ?? ""}
      danger={text?.danger ?? false}
      busy={run.isPending}
      onConfirm={() => pending && run.mutate({ userId: pending.user.id, action: pending.action }, { onSuccess: close })}
      onClose={close}
    >
      <div className="space-y-3">
        <p>{text?.body}</p>
        <FormError error={run.error ? explain(run.error) : null} />
      </div>
    </ConfirmDialog>
  );
}
