import { Pause, Play, Tag, Trash2, X } from "lucide-react";
import { useId, useState } from "react";
import { errorMessage } from "../../api/problem";
import { Button } from "../../components/Button";
import { ConfirmDialog } from "../../components/ConfirmDialog";
import { inputClass } from "../../components/Field";
import { type BulkFailure, bulkFailures, bulkSummary, stillSelected } from "./bulkActions";
import { refOfKey } from "./linkRef";
import { type BulkActionInput, useBulkAction, useTags } from "./queries";
import { parseTags } from "./tags";

type Outcome = { summary: string; failures: BulkFailure[]; error: unknown };

type Props = {
  /** The selected links' keys (linkRef.ts linkKey). */
  selected: string[];
  onSelectionChange(next: Record<string, true>): void;
};

function TagControls({ busy, onApply }: { busy: boolean; onApply(action: "tag" | "untag", tags: string[]): void }) {
  const [text, setText] = useState("");
  const inputId = useId();
  const listId = useId();
  const tags = useTags();
  const typed = parseTags(text);
  const apply = (action: "tag" | "untag") => {
    onApply(action, typed);
    setText("");
  };
  return (
    <div className="flex flex-wrap items-center gap-2">
      <label htmlFor={inputId} className="sr-only">
        Tags for the selected links
      </label>
      <div className="w-48">
        <input
          id={inputId}
          list={listId}
          value={text}
          onChange={(event) => setText(event.target.value)}
          placeholder="Tags, comma separated"
          autoComplete="off"
          className={inputClass}
        />
      </div>
      <datalist id={listId}>
        {tags.data?.map((item) => (
          <option key={item.tag} value={item.tag} />
        ))}
      </datalist>
      <Button variant="secondary" disabled={busy || typed.length === 0} onClick={() => apply("tag")}>
        <Tag aria-hidden="true" className="h-4 w-4" />
        Add tag
      </Button>
      <Button variant="secondary" disabled={busy || typed.length === 0} onClick={() => apply("untag")}>
        Remove tag
      </Button>
    </div>
  );
}

function OutcomeReport({ outcome, onDismiss }: { outcome: Outcome; onDismiss(): void }) {
  const failed = outcome.error !== null || outcome.failures.length > 0;
  return (
    <div
      role={failed ? "alert" : "status"}
      className={`flex items-start justify-between gap-3 rounded-md border px-3 py-2 text-sm ${
        failed
          ? "border-amber-300 bg-amber-50 text-amber-900 dark:border-amber-800 dark:bg-amber-950/40 dark:text-amber-100"
          : "border-green-200 bg-green-50 text-green-800 dark:border-green-900 dark:bg-green-950/40 dark:text-green-200"
      }`}
    >
      <div>
        <p className="font-medium">{outcome.error ? errorMessage(outcome.error) : outcome.summary}</p>
        {outcome.failures.length > 0 && (
          <ul className="mt-1 list-disc space-y-0.5 pl-5">
            {outcome.failures.map((failure) => (
              <li key={failure.link}>
                <span className="font-mono">{failure.link}</span>: {failure.message}
              </li>
            ))}
          </ul>
        )}
      </div>
      <button type="button" onClick={onDismiss} aria-label="Dismiss" className="rounded p-1 hover:bg-black/5 dark:hover:bg-white/10">
        <X aria-hidden="true" className="h-4 w-4" />
      </button>
    </div>
  );
}

/** Disable, enable, delete, tag or untag the selected links; each link succeeds or fails on its own. */
export function BulkActions({ selected, onSelectionChange }: Props) {
  const bulk = useBulkAction();
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const [confirmDelete, setConfirmDelete] = useState(false);

  const run = (input: Omit<BulkActionInput, "links">) => {
    setOutcome(null);
    bulk.mutate(
      { ...input, links: selected.map(refOfKey) },
      {
        onSuccess: (result) => {
          setOutcome({ summary: bulkSummary(input.action, result), failures: bulkFailures(result), error: null });
          onSelectionChange(stillSelected(result));
        },
        onError: (error) => setOutcome({ summary: "", failures: [], error }),
        onSettled: () => setConfirmDelete(false),
      },
    );
  };

  const busy = bulk.isPending;
  const count = selected.length;
  return (
    <div className="space-y-2">
      {count > 0 && (
        <div role="toolbar" aria-label="Actions on the selected links" className="flex flex-wrap items-center gap-2 rounded-lg border border-indigo-200 bg-indigo-50 px-3 py-2 dark:border-indigo-900 dark:bg-indigo-950/40">
          <p className="mr-2 text-sm font-medium" aria-live="polite">
            {count} selected
          </p>
          <Button variant="secondary" disabled={busy} onClick={() => run({ action: "enable" })}>
            <Play aria-hidden="true" className="h-4 w-4" />
            Enable
          </Button>
          <Button variant="secondary" disabled={busy} onClick={() => run({ action: "disable" })}>
            <Pause aria-hidden="true" className="h-4 w-4" />
            Disable
          </Button>
          <Button variant="danger" disabled={busy} onClick={() => setConfirmDelete(true)}>
            <Trash2 aria-hidden="true" className="h-4 w-4" />
            Delete
          </Button>
          <TagControls busy={busy} onApply={(action, tags) => run({ action, tags })} />
          <Button variant="ghost" disabled={busy} onClick={() => onSelectionChange({})}>
            Clear selection
          </Button>
        </div>
      )}
      {outcome && <OutcomeReport outcome={outcome} onDismiss={() => setOutcome(null)} />}
      <ConfirmDialog
        open={confirmDelete}
        title={`Delete ${count} link${count === 1 ? "" : "s"}?`}
        confirmLabel={`Delete ${count} link${count === 1 ? "" : "s"}`}
        danger
        busy={busy}
        onClose={() => setConfirmDelete(false)}
        onConfirm={() => run({ action: "delete" })}
      >
        The selected short URLs stop redirecting within a second and their analytics are no longer shown. This cannot be undone; to stop them for a while, disable them instead.
      </ConfirmDialog>
    </div>
  );
}
