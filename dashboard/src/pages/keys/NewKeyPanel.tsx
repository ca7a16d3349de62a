import { TriangleAlert } from "lucide-react";
import { useEffect, useRef } from "react";
import { Button } from "../../components/Button";
import { CopyButton } from "../../components/CopyButton";
import { curlExample } from "./scopes";

/** The secret of a key just created: the only time anyone sees it. */
export function NewKeyPanel({ name, secret, onDone }: { name: string; secret: string; onDone(): void }) {
  const heading = useRef<HTMLHeadingElement>(null);
  // Focus moves here so that keyboard and screen-reader users meet the secret and the warning first.
  useEffect(() => heading.current?.focus(), []);
  return (
    <section
      aria-labelledby="new-key-title"
      className="space-y-4 rounded-lg border-2 border-amber-400 bg-amber-50 p-4 text-amber-950 shadow-sm dark:border-amber-600 dark:bg-amber-950/40 dark:text-amber-50"
    >
      <h2 id="new-key-title" ref={heading} tabIndex={-1} className="flex items-center gap-2 text-base font-semibold">
        <TriangleAlert aria-hidden="true" className="h-5 w-5 shrink-0" />
        Copy the key “{name}” now
      </h2>
      <p className="text-sm">
        This is the only time Hop shows this key: it keeps only a fingerprint of it. Store it somewhere safe, such as a password manager or your
        deployment's secret store. Lost it? Revoke it and create another.
      </p>
      <div className="flex flex-wrap items-center gap-2 rounded-md border border-amber-300 bg-white p-2 dark:border-amber-800 dark:bg-slate-900">
        <code className="min-w-0 flex-1 font-mono text-sm break-all text-slate-900 dark:text-slate-100" aria-label="The new API key">
          {secret}
        </code>
        <CopyButton text={secret} label="Copy key" />
      </div>
      <p className="text-sm">
        Send it in the <code className="font-mono">X-API-Key</code> header, e.g.{" "}
        <code className="font-mono break-all">{curlExample(window.location.origin)}</code>
      </p>
      <Button onClick={onDone}>I have stored the key</Button>
    </section>
  );
}
