import type { UseQueryResult } from "@tanstack/react-query";
import type { ReactNode } from "react";
import { errorMessage } from "../../api/problem";
import { ErrorState } from "../../components/States";
import { Notice } from "./Notice";
import { AnalyticsSkeleton } from "./Skeleton";

/**
 * A refreshing query's answer: a skeleton until the first one, an error with a retry if it failed,
 * then ``children(data)``, dimmed while a new range loads and under a warning when a refresh failed
 * (the numbers are then the last ones that arrived).
 */
export function QueryBody<T>({ query, children }: { query: UseQueryResult<T>; children: (data: T) => ReactNode }) {
  const { data, error } = query;
  if (!data) {
    if (query.isError) return <ErrorState error={error} onRetry={() => void query.refetch()} />;
    return <AnalyticsSkeleton />;
  }
  return (
    <div aria-busy={query.isPlaceholderData || undefined} className={`space-y-6 transition-opacity ${query.isPlaceholderData ? "opacity-60" : ""}`}>
      {query.isError && (
        <Notice tone="warning">
          Could not refresh: {errorMessage(error)} The numbers below are from the last successful update.
        </Notice>
      )}
      {children(data)}
    </div>
  );
}
