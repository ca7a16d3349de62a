import { CircleCheck, Info, TriangleAlert } from "lucide-react";
import type { ReactNode } from "react";
import { Link, type LinkProps } from "react-router";

/** The card of a signed-out page (sign-in, register, reset...): the page's one heading, then its content. */
export function AuthCard({ title, description, children, footer }: { title: string; description?: ReactNode; children: ReactNode; footer?: ReactNode }) {
  return (
    <div className="rounded-lg border border-slate-200 bg-white p-6 shadow-sm dark:border-slate-800 dark:bg-slate-900">
      <h1 className="text-xl font-semibold tracking-tight">{title}</h1>
      {description && <p className="mt-1 text-sm text-slate-600 dark:text-slate-300">{description}</p>}
      <div className="mt-6">{children}</div>
      {footer && <div className="mt-6 space-y-2 border-t border-slate-200 pt-4 text-sm dark:border-slate-800">{footer}</div>}
    </div>
  );
}

export const linkClass = "font-medium text-indigo-600 underline-offset-2 hover:underline dark:text-indigo-400";

export function TextLink({ className = "", ...props }: LinkProps) {
  return <Link className={`${linkClass} ${className}`} {...props} />;
}

const TONES = {
  success: { icon: CircleCheck, box: "border-green-200 bg-green-50 text-green-900 dark:border-green-900 dark:bg-green-950/40 dark:text-green-100" },
  info: { icon: Info, box: "border-indigo-200 bg-indigo-50 text-indigo-900 dark:border-indigo-900 dark:bg-indigo-950/40 dark:text-indigo-100" },
  warning: { icon: TriangleAlert, box: "border-amber-300 bg-amber-50 text-amber-900 dark:border-amber-800 dark:bg-amber-950/40 dark:text-amber-100" },
} as const;

/** A message box; the icon only echoes the text, which says it all. Announced politely. */
export function Notice({ tone, title, children }: { tone: keyof typeof TONES; title?: string; children?: ReactNode }) {
  const { icon: Icon, box } = TONES[tone];
  return (
    <div role="status" className={`flex gap-3 rounded-md border px-3 py-3 text-sm ${box}`}>
      <Icon aria-hidden="true" className="mt-0.5 h-4 w-4 shrink-0" />
      <div className="min-w-0 space-y-1">
        {title && <p className="font-semibold">{title}</p>}
        {children && <div>{children}</div>}
      </div>
    </div>
  );
}
