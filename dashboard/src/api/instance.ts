import { useQuery } from "@tanstack/react-query";
import { api, unwrap } from "./client";

/** What this Hop instance is: whether it still needs its first admin, open registration, the short base URL. */
export function useInstance() {
  return useQuery({ queryKey: ["instance"], queryFn: () => unwrap(api.GET("/api/v1/instance")), staleTime: 60_000 });
}
