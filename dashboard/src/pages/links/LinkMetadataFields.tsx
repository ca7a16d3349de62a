/**
 * The link form's two optional groups: UTM parameters (with the destination they make, computed as
 * the edge will) and the social preview (with a card like the one chat apps and social sites show).
 * Each is a disclosure, open when the link has values in it, so that the form stays short.
 */
import { type ReactNode, useEffect, useState } from "react";
import type { FieldErrors, UseFormRegister } from "react-hook-form";
import { TextAreaField, TextField } from "../../components/Field";
import { type LinkFormValues, MAX_PREVIEW_DESCRIPTION, PREVIEW_FORM_FIELDS, UTM_FORM_FIELDS, isHttpUrl, oneLine, targetProblem } from "./linkSchema";
import { type UtmField, withUtm } from "./utm";

const UTM_INPUTS: readonly { field: UtmField; label: string; hint: string }[] = [
  { field: "source", label: "Source", hint: "Where the visitors come from, e.g. newsletter." },
  { field: "medium", label: "Medium", hint: "The channel, e.g. email." },
  { field: "campaign", label: "Campaign", hint: "The campaign, e.g. black-friday." },
  { field: "term", label: "Term", hint: "The paid search keyword, e.g. running shoes." },
  { field: "content", label: "Content", hint: "Which link or ad of several, e.g. header-button." },
];

type GroupProps = { register: UseFormRegister<LinkFormValues>; errors: FieldErrors<LinkFormValues>; values: LinkFormValues };

function hasAny(values: LinkFormValues, fields: readonly (keyof LinkFormValues)[]): boolean {
  return fields.some((field) => String(values[field]).trim() !== "");
}

/** A disclosure that starts open when it holds values, opens for an error in it (or the error would stay hidden), and otherwise stays as the user leaves it. */
export function Group({ summary, hasValues, hasError, children }: { summary: string; hasValues: boolean; hasError: boolean; children: ReactNode }) {
  const [open, setOpen] = useState(hasValues || hasError);
  useEffect(() => {
    if (hasError) setOpen(true);
  }, [hasError]);
  return (
    <details open={open} onToggle={(event) => setOpen(event.currentTarget.open)} className="rounded-md border border-slate-200 dark:border-slate-700">
      <summary className="cursor-pointer px-3 py-2 text-sm font-medium text-slate-700 dark:text-slate-200">{summary}</summary>
      <div className="space-y-4 border-t border-slate-200 p-3 dark:border-slate-700">{children}</div>
    </details>
  );
}

/** What visitors are redirected to, live: the edge merges the UTM fields the same way. */
function Destination({ values }: { values: LinkFormValues }) {
  const utm = Object.fromEntries(UTM_INPUTS.map(({ field }) => [field, values[`utm_${field}`]]));
  const destination = targetProblem(values.target_url) ? null : withUtm(values.target_url.trim(), utm);
  return (
    <div className="text-sm" aria-live="polite">
      <p className="font-medium text-slate-700 dark:text-slate-200">Destination URL</p>
      {destination ? (
        <p data-testid="destination-url" className="mt-0.5 font-mono text-xs break-all text-slate-700 dark:text-slate-300">
          {destination}
        </p>
      ) : (
        <p className="mt-0.5 text-xs text-slate-500 dark:text-slate-400">Enter a valid target URL to see where visitors go.</p>
      )}
    </div>
  );
}

export function UtmFields({ register, errors, values }: GroupProps) {
  return (
    <Group summary="UTM parameters (optional)" hasValues={hasAny(values, UTM_FORM_FIELDS)} hasError={UTM_FORM_FIELDS.some((field) => errors[field])}>
      <p className="text-xs text-slate-500 dark:text-slate-400">Added to the target for analytics tools; each replaces a parameter of the same name.</p>
      <div className="grid gap-3 sm:grid-cols-2 lg:grid-cols-3">
        {UTM_INPUTS.map(({ field, label, hint }) => (
          <TextField key={field} label={label} autoComplete="off" spellCheck={false} error={errors[`utm_${field}`]?.message} hint={hint} {...register(`utm_${field}`)} />
        ))}
      </div>
      <Destination values={values} />
    </Group>
  );
}

export type PreviewContent = { title: string; description: string; image: string };

/**
 * A card like the one link-preview crawlers build. The image is named, not loaded: the dashboard
 * fetches nothing from other sites (its CSP allows none), so a link's image cannot tell its
 * owner who opened the link's page.
 */
export function PreviewCard({ preview, host }: { preview: PreviewContent; host: string }) {
  const image = isHttpUrl(preview.image) ? new URL(preview.image.trim()).host : null;
  return (
    <figure className="max-w-sm overflow-hidden rounded-md border border-slate-200 bg-slate-50 text-sm dark:border-slate-700 dark:bg-slate-800">
      {image && (
        <div className="flex aspect-[1.91/1] w-full items-center justify-center bg-slate-200 px-3 text-center text-xs text-slate-600 dark:bg-slate-700 dark:text-slate-300">
          Image from {image}
        </div>
      )}
      <figcaption className="space-y-0.5 p-3">
        <span className="block text-xs text-slate-500 uppercase dark:text-slate-400">{host}</span>
        <span className="block font-semibold break-words">{preview.title.trim() || "No title"}</span>
        {preview.description.trim() && <span className="line-clamp-3 block break-words text-slate-600 dark:text-slate-300">{oneLine(preview.description)}</span>}
      </figcaption>
    </figure>
  );
}

export function PreviewFields({ register, errors, values, host }: GroupProps & { host: string }) {
  const preview = { title: values.preview_title, description: values.preview_description, image: values.preview_image };
  return (
    <Group summary="Social preview (optional)" hasValues={hasAny(values, PREVIEW_FORM_FIELDS)} hasError={PREVIEW_FORM_FIELDS.some((field) => errors[field])}>
      <p className="text-xs text-slate-500 dark:text-slate-400">
        What Slack, Facebook, X, LinkedIn, Discord, WhatsApp, Telegram and the like show for the short link. Visitors are redirected as usual; a
        password-protected link shows no preview.
      </p>
      <TextField label="Preview title" autoComplete="off" error={errors.preview_title?.message} hint="Up to 200 characters." {...register("preview_title")} />
      <TextAreaField
        label="Preview description"
        rows={2}
        error={errors.preview_description?.message}
        hint={`Up to ${MAX_PREVIEW_DESCRIPTION} characters; line breaks become spaces.`}
        {...register("preview_description")}
      />
      <TextField
        label="Image URL"
        type="url"
        inputMode="url"
        autoComplete="off"
        placeholder="https://example.com/card.png"
        error={errors.preview_image?.message}
        hint="An http:// or https:// image, ideally 1200 × 630 pixels."
        {...register("preview_image")}
      />
      {hasAny(values, PREVIEW_FORM_FIELDS) && (
        <div className="space-y-1">
          <p className="text-sm font-medium text-slate-700 dark:text-slate-200">Preview</p>
          <PreviewCard preview={preview} host={host} />
        </div>
      )}
    </Group>
  );
}
