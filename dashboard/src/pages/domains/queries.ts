/**
 * The short domains (GET /api/v1/domains, for everyone; changes for admins). Keys start with
 * "domains"; a change invalidates them and the audit log (admin/domains.py writes an entry).
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client";
import type { DomainCreateBody, DomainUpdateBody } from "./domains";

export const domainKeys = { all: ["domains"] as const };

/** Every short domain, the default one first. They rarely change: a minute fresh. */
export function useDomains() {
  return useQuery({
    queryKey: domainKeys.all,
    queryFn: async () => (await unwrap(api.GET("/api/v1/domains"))).data,
    staleTime: 60_000,
  });
}

function useDomainMutation<A, R>(call: (argument: A) => Promise<R>) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: call,
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: domainKeys.all });
      await queryClient.invalidateQueries({ queryKey: ["admin", "audit"] });
    },
  });
}

export const useAddDomain = () => useDomainMutation((body: DomainCreateBody) => unwrap(api.POST("/api/v1/domains", { body })));

export const useUpdateDomain = () =>
  useDomainMutation(({ host, body }: { host: string; body: DomainUpdateBody }) =>
    unwrap(api.PATCH("/api/v1/domains/{host}", { params: { path: { host } }, body })),
  );

export const useRemoveDomain = () =>
  useDomainMutation((host: string) => unwrap(api.DELETE("/api/v1/domains/{host}", { params: { path: { host } } })));
