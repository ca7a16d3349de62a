import type { ReactNode } from "react";

/** A boxed note above the numbers: information, or a warning that they may be stale. */
export function Notice({ children, tone = "info" }: { children: ReactNode; tone?: "info" | "warning" }) {
  const colours =
    tone === "warning"
      ? "border-amber-200 bg-amber-50 text-amber-900 dark:border-amber-900 dark:bg-amber-950/40 dark:text-amber-100"
      : "border-indigo-200 bg-indigo-50 text-indigo-900 dark:border-indigo-900 dark:bg-indigo-950/40 dark:text-indigo-100";
  return <p className={`rounded-md border px-3 py-2 text-sm ${colours}`}>{children}</p>;
}
