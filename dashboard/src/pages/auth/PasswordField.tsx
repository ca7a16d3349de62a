import { Eye, EyeOff } from "lucide-react";
import { type InputHTMLAttributes, type ReactNode, forwardRef, useState } from "react";
import { Field, inputClass } from "../../components/Field";
import { meterSegments, passwordHint } from "./passwordPolicy";

type Props = Omit<InputHTMLAttributes<HTMLInputElement>, "type" | "autoComplete"> & {
  label: string;
  error?: string | undefined;
  hint?: ReactNode;
  /** current-password to sign in or confirm, new-password to choose one (password managers rely on it). */
  autoComplete: "current-password" | "new-password";
  /** Show the length hint and meter under the field (for a password being chosen). */
  showStrength?: boolean;
};

/** A password input with a show/hide toggle and, for a new password, a light length hint. */
export const PasswordField = forwardRef<HTMLInputElement, Props>(function PasswordField(
  { label, error, hint, showStrength = false, onChange, className = "", ...rest },
  ref,
) {
  const [visible, setVisible] = useState(false);
  const [length, setLength] = useState(0);
  return (
    <Field label={label} error={error} hint={showStrength ? <StrengthHint length={length} /> : hint}>
      {(ids) => (
        <div className="relative">
          <input
            ref={ref}
            type={visible ? "text" : "password"}
            spellCheck={false}
            autoCapitalize="none"
            autoCorrect="off"
            className={`${inputClass} pr-11 ${className}`}
            {...ids}
            {...rest}
            onChange={(event) => {
              setLength(event.target.value.length);
              return onChange?.(event);
            }}
          />
          <button
            type="button"
            aria-pressed={visible}
            aria-controls={ids.id}
            // Not the field's label: a search by label must find the input alone.
            aria-label="Show password"
            title={visible ? "Hide the password" : "Show the password"}
            onClick={() => setVisible(!visible)}
            className="absolute inset-y-0 right-0 flex items-center rounded-r-md px-3 text-slate-500 hover:text-slate-800 dark:text-slate-400 dark:hover:text-slate-100"
          >
            {visible ? <EyeOff aria-hidden="true" className="h-4 w-4" /> : <Eye aria-hidden="true" className="h-4 w-4" />}
          </button>
        </div>
      )}
    </Field>
  );
});

const SEGMENT_COLOURS = ["bg-red-500 dark:bg-red-400", "bg-amber-500 dark:bg-amber-400", "bg-green-600 dark:bg-green-500"];

/** Three bars and a sentence: the sentence carries the meaning, the bars only echo it. */
function StrengthHint({ length }: { length: number }) {
  const hint = passwordHint(length);
  const filled = meterSegments(hint.level);
  return (
    <span className="block space-y-1">
      <span aria-hidden="true" className="flex gap-1">
        {SEGMENT_COLOURS.map((colour, index) => (
          <span key={colour} className={`h-1 flex-1 rounded-full ${index < filled ? SEGMENT_COLOURS[filled - 1] : "bg-slate-200 dark:bg-slate-700"}`} />
        ))}
      </span>
      <span className="block">{hint.message}</span>
    </span>
  );
}
