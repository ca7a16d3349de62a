/** Admin calls: users (list, disable/enable, role, create), the audit log and orphan visits. Keys start with "admin". */
import { keepPreviousData, useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client";
import { useAuth } from "../../auth/context";
import type { RangeSelection } from "../analytics/range";
import { REFRESH_MS } from "../analytics/queries";
import { type AuditFilters, AUDIT_PAGE_SIZE, auditQuery } from "./audit";
import { orphanQuery, orphanRangeKey } from "./orphans";
import { USERS_PAGE_SIZE, type UserAction, type UsersParams } from "./users";

const USERS = ["admin", "users"] as const;
// Enough to name the actors of a typical instance's audit log; beyond it, entries show ids.
const DIRECTORY_SIZE = 500;

export function useUsers({ q, page }: UsersParams) {
  return useQuery({
    queryKey: [...USERS, { q, page }],
    queryFn: () => unwrap(api.GET("/api/v1/users", { params: { query: { q: q || null, page, limit: USERS_PAGE_SIZE } } })),
    placeholderData: keepPreviousData,
  });
}

/** Id to e-mail for the first users, to name the actors of audit entries. */
export function useUserDirectory() {
  return useQuery({
    queryKey: [...USERS, "directory"],
    queryFn: async () => {
      const users = await unwrap(api.GET("/api/v1/users", { params: { query: { limit: DIRECTORY_SIZE } } }));
      return new Map(users.data.map((user) => [user.id, user.email]));
    },
    staleTime: 60_000,
  });
}

/** The id of the user with exactly this address, or null. */
export function useFindUserByEmail() {
  const queryClient = useQueryClient();
  return async (email: string): Promise<number | null> => {
    const found = await queryClient.fetchQuery({
      queryKey: [...USERS, { q: email, page: 1 }],
      queryFn: () => unwrap(api.GET("/api/v1/users", { params: { query: { q: email, page: 1, limit: USERS_PAGE_SIZE } } })),
    });
    return found.data.find((user) => user.email.toLowerCase() === email.toLowerCase())?.id ?? null;
  };
}

function runAction(userId: number, action: UserAction) {
  const path = { params: { path: { user_id: userId } } };
  switch (action) {
    case "disable":
      return unwrap(api.POST("/api/v1/users/{user_id}/disable", path));
    case "enable":
      return unwrap(api.POST("/api/v1/users/{user_id}/enable", path));
    case "make-admin":
      return unwrap(api.PUT("/api/v1/users/{user_id}/role", { ...path, body: { role: "admin" } }));
    case "make-user":
      return unwrap(api.PUT("/api/v1/users/{user_id}/role", { ...path, body: { role: "user" } }));
  }
}

export function useUserAction() {
  const queryClient = useQueryClient();
  const auth = useAuth();
  return useMutation({
    mutationFn: ({ userId, action }: { userId: number; action: UserAction }) => runAction(userId, action),
    onSuccess: async (user) => {
      // An admin who made themselves a user loses this page: the shell learns it from the new user.
      if (auth.user?.id === user.id) await auth.reloadUser();
      await queryClient.invalidateQueries({ queryKey: USERS });
      await queryClient.invalidateQueries({ queryKey: ["admin", "audit"] });
    },
  });
}

/** POST /auth/register as an admin: how accounts are made when registration is closed. */
export function useCreateUser() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: { email: string; password: string }) => unwrap(api.POST("/api/v1/auth/register", { body })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: USERS }),
  });
}

export function useAuditLog(filters: AuditFilters) {
  return useInfiniteQuery({
    queryKey: ["admin", "audit", filters],
    queryFn: ({ pageParam }) => unwrap(api.GET("/api/v1/audit", { params: { query: auditQuery(filters, pageParam, AUDIT_PAGE_SIZE) } })),
    initialPageParam: null as string | null,
    getNextPageParam: (page) => page.next_cursor ?? undefined,
  });
}

/** Orphan visits in a range, live like the analytics pages (each 15 s while the tab is visible). */
export function useOrphanVisits(selection: RangeSelection, tz: string, enabled: boolean) {
  return useQuery({
    queryKey: ["admin", "orphan-visits", orphanRangeKey(selection, tz)],
    queryFn: () => unwrap(api.GET("/api/v1/analytics/orphan-visits", { params: { query: orphanQuery(selection, tz) } })),
    enabled,
    placeholderData: keepPreviousData,
    refetchInterval: REFRESH_MS,
    refetchIntervalInBackground: false,
  });
}
