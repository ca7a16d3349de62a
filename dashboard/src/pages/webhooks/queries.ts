/** The signed-in user's webhook endpoints and their delivery log. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client";
import type { WebhookValues } from "./events";

const WEBHOOKS = ["webhooks"] as const;
const path = (id: number) => ({ params: { path: { webhook_id: id } } });

export function useWebhooks() {
  return useQuery({ queryKey: WEBHOOKS, queryFn: () => unwrap(api.GET("/api/v1/webhooks")) });
}

export function useDeliveries(id: number, enabled: boolean) {
  return useQuery({
    queryKey: [...WEBHOOKS, id, "deliveries"],
    queryFn: () => unwrap(api.GET("/api/v1/webhooks/{webhook_id}/deliveries", path(id))),
    enabled,
    refetchInterval: 5_000,
  });
}

function useWebhookMutation<A, R>(call: (argument: A) => Promise<R>) {
  const queryClient = useQueryClient();
  return useMutation({ mutationFn: call, onSuccess: () => queryClient.invalidateQueries({ queryKey: WEBHOOKS }) });
}

export const useCreateWebhook = () => useWebhookMutation((body: WebhookValues) => unwrap(api.POST("/api/v1/webhooks", { body })));

export const useSetEnabled = () =>
  useWebhookMutation(({ id, enabled }: { id: number; enabled: boolean }) =>
    unwrap(api.PATCH("/api/v1/webhooks/{webhook_id}", { ...path(id), body: { enabled } })),
  );

export const useRotateSecret = () => useWebhookMutation((id: number) => unwrap(api.POST("/api/v1/webhooks/{webhook_id}/secret", path(id))));

export const useDeleteWebhook = () => useWebhookMutation((id: number) => unwrap(api.DELETE("/api/v1/webhooks/{webhook_id}", path(id))));

export const useRetryDelivery = () =>
  useWebhookMutation(({ id, delivery }: { id: number; delivery: number }) =>
    unwrap(
      api.POST("/api/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/retry", { params: { path: { webhook_id: id, delivery_id: delivery } } }),
    ),
  );
