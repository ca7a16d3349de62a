import { X } from "lucide-react";
import { type ClipboardEvent, type KeyboardEvent, useId, useState } from "react";
import type { FieldIds } from "../../components/Field";
import { addTags } from "./tags";

type Props = {
  ids: FieldIds;
  value: string[];
  onChange(tags: string[]): void;
  onBlur?(): void;
  /** Known tags, offered as the user types. */
  suggestions?: readonly string[];
  placeholder?: string;
  /** How a typed value is kept (default: a tag, trimmed and lower case). */
  normalize?(value: string): string;
  /** The accessible name of the list of chips, and of each chip's remove button. */
  listLabel?: string;
  removeLabel?(value: string): string;
};

/**
 * Tags as chips: Enter or a comma adds what was typed, pasting "a, b, c" adds three, Backspace in
 * the empty box removes the last one, leaving the box keeps what was typed as a tag.
 */
export function TagInput({
  ids,
  value,
  onChange,
  onBlur,
  suggestions = [],
  placeholder = "Type a tag, then Enter",
  normalize,
  listLabel = "Tags",
  removeLabel = (tag) => `Remove tag ${tag}`,
}: Props) {
  const [draft, setDraft] = useState("");
  const listId = useId();

  const commit = (text: string) => {
    const next = addTags(value, text, normalize);
    if (next.length !== value.length) onChange(next);
    setDraft("");
  };
  const remove = (tag: string) => onChange(value.filter((item) => item !== tag));

  const onKeyDown = (event: KeyboardEvent<HTMLInputElement>) => {
    if ((event.key === "Enter" || event.key === ",") && draft.trim()) {
      event.preventDefault();
      commit(draft);
    } else if (event.key === "Backspace" && !draft && value.length > 0) {
      remove(value[value.length - 1] ?? "");
    }
  };
  const onPaste = (event: ClipboardEvent<HTMLInputElement>) => {
    const text = event.clipboardData.getData("text");
    if (!text.includes(",")) return;
    event.preventDefault();
    commit(draft + text);
  };

  return (
    <div className="flex flex-wrap items-center gap-1.5 rounded-md border border-slate-300 bg-white px-2 py-1.5 shadow-sm focus-within:border-indigo-500 focus-within:ring-1 focus-within:ring-indigo-500 dark:border-slate-600 dark:bg-slate-900">
      {value.length > 0 && (
        <ul aria-label={listLabel} className="flex flex-wrap gap-1.5">
          {value.map((tag) => (
            <li key={tag} className="inline-flex items-center gap-1 rounded-full bg-indigo-50 py-0.5 pr-1 pl-2 text-xs font-medium text-indigo-800 dark:bg-indigo-950 dark:text-indigo-200">
              {tag}
              <button
                type="button"
                onClick={() => remove(tag)}
                aria-label={removeLabel(tag)}
                className="rounded-full p-0.5 hover:bg-indigo-100 dark:hover:bg-indigo-900"
              >
                <X aria-hidden="true" className="h-3 w-3" />
              </button>
            </li>
          ))}
        </ul>
      )}
      <input
        {...ids}
        type="text"
        value={draft}
        list={suggestions.length > 0 ? listId : undefined}
        placeholder={value.length === 0 ? placeholder : undefined}
        onChange={(event) => setDraft(event.target.value)}
        onKeyDown={onKeyDown}
        onPaste={onPaste}
        onBlur={() => {
          if (draft.trim()) commit(draft);
          onBlur?.();
        }}
        className="min-w-[8rem] flex-1 border-0 bg-transparent p-1 text-sm focus:ring-0 focus:outline-none"
      />
      {suggestions.length > 0 && (
        <datalist id={listId}>
          {suggestions
            .filter((tag) => !value.includes(tag))
            .map((tag) => (
              <option key={tag} value={tag} />
            ))}
        </datalist>
      )}
    </div>
  );
}
