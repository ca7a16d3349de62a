import type { ComponentType, ReactNode } from "react";

const TONES = {
  neutral: "border-slate-300 bg-slate-100 text-slate-700 dark:border-slate-600 dark:bg-slate-800 dark:text-slate-200",
  success: "border-green-300 bg-green-50 text-green-800 dark:border-green-800 dark:bg-green-950/60 dark:text-green-200",
  warning: "border-amber-300 bg-amber-50 text-amber-900 dark:border-amber-700 dark:bg-amber-950/60 dark:text-amber-200",
  danger: "border-red-300 bg-red-50 text-red-800 dark:border-red-800 dark:bg-red-950/60 dark:text-red-200",
  info: "border-indigo-300 bg-indigo-50 text-indigo-800 dark:border-indigo-700 dark:bg-indigo-950/60 dark:text-indigo-200",
} as const;

export type BadgeTone = keyof typeof TONES;

type Props = {
  tone?: BadgeTone;
  icon?: ComponentType<{ className?: string; "aria-hidden"?: boolean }>;
  title?: string;
  children: ReactNode;
};

/** A short label (a status, a tag); its meaning is in its text, the colour only repeats it. */
export function Badge({ tone = "neutral", icon: Icon, title, children }: Props) {
  return (
    <span title={title} className={`inline-flex items-center gap-1 rounded-full border px-2 py-0.5 text-xs font-medium whitespace-nowrap ${TONES[tone]}`}>
      {Icon && <Icon aria-hidden={true} className="h-3 w-3" />}
      {children}
    </span>
  );
}
