/** First run: create the first admin, who is signed in by the answer. */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client";
import type { components } from "../../api/schema";
import { useAuth } from "../../auth/context";

type Instance = components["schemas"]["Instance"];

/** POST /instance/setup, then take the session it hands out and let the setup gate know. */
export function useSetup() {
  const auth = useAuth();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (body: { email: string; password: string }) => {
      const session = await unwrap(api.POST("/api/v1/instance/setup", { body }));
      await auth.adopt(session);
      await queryClient.invalidateQueries({ queryKey: ["instance"] });
    },
  });
}

/** Someone else finished setup: tell the setup gate now, so that it lets the visitor through to sign in. */
export function useMarkSetupDone() {
  const queryClient = useQueryClient();
  return () => {
    queryClient.setQueryData<Instance>(["instance"], (instance) => (instance ? { ...instance, setup_required: false } : instance));
    void queryClient.invalidateQueries({ queryKey: ["instance"] });
  };
}
