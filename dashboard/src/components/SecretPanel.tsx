import { TriangleAlert } from "lucide-react";
import { type ReactNode, useEffect, useId, useRef } from "react";
import { Button } from "./Button";
import { CopyButton } from "./CopyButton";

type Props = {
  title: string;
  /** What the secret is called in its label and copy button ("API key", "signing secret"). */
  name: string;
  secret: string;
  doneLabel: string;
  onDone(): void;
  children: ReactNode;
};

/** A secret just made (an API key, a webhook's signing secret): the only time anyone sees it. */
export function SecretPanel({ title, name, secret, doneLabel, onDone, children }: Props) {
  const heading = useRef<HTMLHeadingElement>(null);
  const titleId = useId();
  // Focus moves here so that keyboard and screen-reader users meet the secret and the warning first.
  useEffect(() => heading.current?.focus(), []);
  return (
    <section
      aria-labelledby={titleId}
      className="space-y-4 rounded-lg border-2 border-amber-400 bg-amber-50 p-4 text-amber-950 shadow-sm dark:border-amber-600 dark:bg-amber-950/40 dark:text-amber-50"
    >
      <h2 id={titleId} ref={heading} tabIndex={-1} className="flex items-center gap-2 text-base font-semibold">
        <TriangleAlert aria-hidden="true" className="h-5 w-5 shrink-0" />
        {title}
      </h2>
      <div className="flex flex-wrap items-center gap-2 rounded-md border border-amber-300 bg-white p-2 dark:border-amber-800 dark:bg-slate-900">
        <code className="min-w-0 flex-1 font-mono text-sm break-all text-slate-900 dark:text-slate-100" aria-label={`The new ${name}`}>
          {secret}
        </code>
        <CopyButton text={secret} label={`Copy ${name}`} />
      </div>
      <div className="space-y-2 text-sm">{children}</div>
      <Button onClick={onDone}>{doneLabel}</Button>
    </section>
  );
}
