/**
 * A refused form: the problem's per-field errors go under their fields, the rest above the form.
 * What the user typed is never touched.
 */
import type { FieldValues, Path, UseFormSetError } from "react-hook-form";
import { fieldErrors } from "../../api/problem";
import { sentence } from "./messages";

/** The field messages that belong to `fields`; `other` is true when some did not (or none came). */
export function splitFieldErrors<F extends string>(error: unknown, fields: readonly F[]): { byField: Partial<Record<F, string>>; other: boolean } {
  const byField: Partial<Record<F, string>> = {};
  let other = false;
  for (const [field, message] of Object.entries(fieldErrors(error))) {
    if ((fields as readonly string[]).includes(field)) byField[field as F] = sentence(message);
    else other = true;
  }
  return { byField, other: other || Object.keys(byField).length === 0 };
}

/**
 * Show `error` on the form: returns the error still to show above the form, or null when every
 * part of it went under a field.
 */
export function showOnForm<V extends FieldValues>(error: unknown, setError: UseFormSetError<V>, fields: readonly Path<V>[]): unknown {
  const { byField, other } = splitFieldErrors(error, fields);
  let first = true;
  for (const field of fields) {
    const message = byField[field];
    if (!message) continue;
    setError(field, { type: "server", message }, { shouldFocus: first });
    first = false;
  }
  return other ? error : null;
}
