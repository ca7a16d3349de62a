/** The signed-in user's API keys: list, create (the secret comes once, in the answer), revoke. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client";
import type { Scope } from "./scopes";

const KEYS = ["keys"] as const;

export function useApiKeys() {
  return useQuery({ queryKey: KEYS, queryFn: () => unwrap(api.GET("/api/v1/api-keys")) });
}

export function useCreateApiKey() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: { name: string; scopes: Scope[] }) => unwrap(api.POST("/api/v1/api-keys", { body })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: KEYS }),
  });
}

export function useRevokeApiKey() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (keyId: number) => unwrap(api.DELETE("/api/v1/api-keys/{key_id}", { params: { path: { key_id: keyId } } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: KEYS }),
  });
}
