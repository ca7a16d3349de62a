export function Spinner({ size = "md", label }: { size?: "sm" | "md"; label?: string }) {
  const dimension = size === "sm" ? "h-4 w-4" : "h-6 w-6";
  return (
    <span role={label ? "status" : undefined} className="inline-flex items-center gap-2">
      <span aria-hidden="true" className={`${dimension} animate-spin rounded-full border-2 border-current border-t-transparent`} />
      {label && <span className="text-sm text-slate-600 dark:text-slate-300">{label}</span>}
    </span>
  );
}

export function FullPageSpinner() {
  return (
    <div className="flex min-h-[50vh] items-center justify-center text-indigo-600">
      <Spinner label="Loading…" />
    </div>
  );
}
