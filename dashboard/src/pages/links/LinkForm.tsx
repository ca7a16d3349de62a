import { zodResolver } from "@hookform/resolvers/zod";
import { useMemo, useState } from "react";
import { Controller, type FieldPath, type UseFormRegister, useForm } from "react-hook-form";
import { Button } from "../../components/Button";
import { Checkbox, Field, SelectField, TextField } from "../../components/Field";
import { FormError } from "../../components/States";
import { viewerTimeZone } from "../../lib/format";
import { type Domain, severalDomains } from "../domains/domains";
import { linkFormErrors } from "./linkErrors";
import { LINK_FIELDS, type LinkFormValues, REDIRECT_STATUSES, linkFormSchema } from "./linkSchema";
import { PreviewFields, UtmFields } from "./LinkMetadataFields";
import { RulesFields, SplitFields } from "./LinkRoutingFields";
import { useTags } from "./queries";
import { routingErrors } from "./routing";
import { PasswordBadge } from "./StatusBadges";
import { TagInput } from "./TagInput";

type Props = {
  mode: "create" | "edit";
  initial: LinkFormValues;
  /** The short-link base (https://hop.example), shown before the code. */
  shortBase?: string | undefined;
  /** Create mode: the short domains; with more than one, the form offers a choice (the default one first and preselected). */
  domains?: readonly Domain[] | undefined;
  submitLabel: string;
  /** Edit mode: the link has a password now (the form can replace or remove it, never show it). */
  hasPassword?: boolean;
  /**
   * Send the values; throws the API's error, which the form places under its fields. In edit
   * mode, resolves to the values as saved (the API normalises the target), the form's new baseline.
   */
  onSubmit(values: LinkFormValues): Promise<LinkFormValues | void>;
  onCancel?(): void;
};

function RedirectChoice({ register, error }: { register: ReturnType<typeof useForm<LinkFormValues>>["register"]; error: string | undefined }) {
  return (
    <fieldset className="space-y-2" aria-describedby={error ? "redirect-error" : undefined}>
      <legend className="text-sm font-medium text-slate-700 dark:text-slate-200">Redirect type</legend>
      <div className="grid gap-2 sm:grid-cols-2">
        {REDIRECT_STATUSES.map((option) => (
          <label
            key={option.value}
            className="flex cursor-pointer items-start gap-2 rounded-md border border-slate-200 p-2 text-sm has-[:checked]:border-indigo-500 has-[:checked]:bg-indigo-50 dark:border-slate-700 dark:has-[:checked]:border-indigo-400 dark:has-[:checked]:bg-indigo-950/50"
          >
            <input type="radio" value={option.value} className="mt-0.5" {...register("redirect_status")} />
            <span>
              <span className="block font-medium">{option.label}</span>
              <span className="block text-xs text-slate-600 dark:text-slate-300">{option.hint}</span>
            </span>
          </label>
        ))}
      </div>
      <p className="text-xs text-slate-500 dark:text-slate-400">Hop tells browsers never to cache a redirect: every click is counted and a new target applies at once.</p>
      {error && (
        <p id="redirect-error" className="text-sm text-red-600 dark:text-red-400">
          {error}
        </p>
      )}
    </fieldset>
  );
}

type PasswordProps = { register: UseFormRegister<LinkFormValues>; error: string | undefined; removing: boolean; onRemovingChange(removing: boolean): void };

const PASSWORD_HINT = "Visitors must enter it before they are redirected. Leave empty for an open link.";

/** A new link's password, or an open link's first one. */
function PasswordField({ register, error }: Pick<PasswordProps, "register" | "error">) {
  return <TextField label="Password (optional)" type="password" autoComplete="new-password" error={error} hint={PASSWORD_HINT} {...register("password")} />;
}

/** A protected link's password: it stays unless a new one is typed, or goes when removed. The old one is never shown (only its hash is kept). */
function ProtectedPassword({ register, error, removing, onRemovingChange }: PasswordProps) {
  return (
    <fieldset className="space-y-3 rounded-md border border-slate-200 p-3 dark:border-slate-700">
      <legend className="sr-only">Password</legend>
      <p className="flex flex-wrap items-center gap-2 text-sm text-slate-700 dark:text-slate-200">
        <PasswordBadge />
        Visitors must enter the password before they are redirected.
      </p>
      {!removing && (
        <TextField
          label="New password (optional)"
          type="password"
          autoComplete="new-password"
          error={error}
          hint="Leave empty to keep the current password."
          {...register("password")}
        />
      )}
      <Checkbox
        label="Remove the password"
        hint="After you save, the link redirects everyone again."
        {...register("remove_password", { onChange: (event: { target: HTMLInputElement }) => onRemovingChange(event.target.checked) })}
      />
    </fieldset>
  );
}

function shortPrefix(shortBase: string | undefined, domain: string): string {
  if (domain) return `${domain}/`;
  return shortBase ? `${shortBase.replace(/^https?:\/\//, "")}/` : "/";
}

/** The short domain, as a preview card names the site (this page's host until the instance is known). */
function shortHost(shortBase: string | undefined, domain: string): string {
  if (domain) return domain;
  try {
    return new URL(shortBase ?? window.location.href).host;
  } catch {
    return window.location.host;
  }
}

/** The short domain of a new link: the default one (value "") first, then the others. */
function DomainPicker({ domains, register, error }: { domains: readonly Domain[]; register: UseFormRegister<LinkFormValues>; error: string | undefined }) {
  return (
    <SelectField label="Domain" error={error} hint="The short domain the link lives on. It cannot be changed after the link is created." {...register("domain")}>
      {domains.map((domain) => (
        <option key={domain.host} value={domain.is_default ? "" : domain.host}>
          {domain.host}
          {domain.is_default ? " (default)" : ""}
        </option>
      ))}
    </SelectField>
  );
}

/** Every field of a link, for creating one (/links/new) and changing one (/links/{code}). */
export function LinkForm({ mode, initial, shortBase, domains, submitLabel, hasPassword = false, onSubmit, onCancel }: Props) {
  const [baseline, setBaseline] = useState(initial);
  const [formError, setFormError] = useState<unknown>(null);
  const tags = useTags();
  const resolver = useMemo(() => zodResolver(linkFormSchema({ originalExpiry: mode === "edit" ? baseline.expires_at : "" })), [mode, baseline]);
  const { register, control, handleSubmit, setError, reset, setValue, watch, formState } = useForm<LinkFormValues>({ defaultValues: initial, resolver });
  const { errors, isSubmitting, isDirty } = formState;
  const expiresAt = watch("expires_at");
  const removingPassword = watch("remove_password");
  const domain = watch("domain");
  // Every value, for the live destination URL and preview card.
  const values = watch();

  const submit = handleSubmit(async (values) => {
    setFormError(null);
    try {
      const saved = await onSubmit(values);
      if (saved) {
        setBaseline(saved);
        reset(saved);
      }
    } catch (error) {
      const placed = linkFormErrors(error);
      LINK_FIELDS.forEach((field) => {
        const message = placed.fields[field];
        if (message) setError(field, { type: "server", message }, { shouldFocus: true });
      });
      // Paths inside the rules and variants ("rules.1.target"), which the routing editor shows.
      for (const { path, message } of routingErrors(error)) setError(path as FieldPath<LinkFormValues>, { type: "server", message });
      setFormError(placed.form);
    }
  });

  return (
    <form noValidate onSubmit={(event) => void submit(event)} className="space-y-5">
      <TextField
        label="Target URL"
        type="url"
        inputMode="url"
        autoComplete="off"
        placeholder="https://example.com/page"
        error={errors.target_url?.message}
        hint="Where the short link sends visitors: an http:// or https:// address."
        {...register("target_url")}
      />
      {mode === "create" && severalDomains(domains) && domains && <DomainPicker domains={domains} register={register} error={errors.domain?.message} />}
      {mode === "create" ? (
        <Field
          label="Custom code (optional)"
          error={errors.code?.message}
          hint="Leave empty for a random code. Letters, digits, - and _, up to 64. The code cannot be changed after the link is created."
        >
          {(ids) => (
            <div className="flex rounded-md shadow-sm">
              <span
                title={shortPrefix(shortBase, domain)}
                className="inline-flex max-w-[50%] items-center truncate rounded-l-md border border-r-0 border-slate-300 bg-slate-50 px-3 text-sm text-slate-500 dark:border-slate-600 dark:bg-slate-800 dark:text-slate-400">
                {shortPrefix(shortBase, domain)}
              </span>
              <input
                {...ids}
                {...register("code")}
                autoComplete="off"
                spellCheck={false}
                placeholder="spring-sale"
                className="block w-full min-w-0 rounded-r-md border border-slate-300 bg-white px-3 py-2 text-sm placeholder:text-slate-400 focus:border-indigo-500 focus:ring-1 focus:ring-indigo-500 focus:outline-none aria-[invalid=true]:border-red-500 dark:border-slate-600 dark:bg-slate-900 dark:placeholder:text-slate-500"
              />
            </div>
          )}
        </Field>
      ) : (
        <TextField
          label="Short code"
          readOnly
          value={initial.code}
          className="read-only:bg-slate-50 read-only:text-slate-600 dark:read-only:bg-slate-800 dark:read-only:text-slate-300"
          hint="A link's code never changes. For another code, create a new link."
        />
      )}
      <RedirectChoice register={register} error={errors.redirect_status?.message} />
      <div className="grid gap-5 md:grid-cols-2">
        <div className="space-y-1">
          <TextField
            label="Expires (optional)"
            type="datetime-local"
            error={errors.expires_at?.message}
            hint={`In your time zone (${viewerTimeZone()}). Leave empty to never expire.`}
            {...register("expires_at")}
          />
          {expiresAt && (
            <button
              type="button"
              className="text-xs font-medium text-indigo-700 hover:underline dark:text-indigo-300"
              onClick={() => setValue("expires_at", "", { shouldDirty: true, shouldValidate: true })}
            >
              Remove expiry
            </button>
          )}
        </div>
        <TextField
          label="Click limit (optional)"
          inputMode="numeric"
          autoComplete="off"
          placeholder="No limit"
          error={errors.max_clicks?.message}
          hint="The link stops redirecting after this many clicks, bots included."
          {...register("max_clicks")}
        />
      </div>
      <Checkbox
        label="Forward the query string"
        hint="Parameters such as ?utm_source=… on the short link are passed on to the destination."
        {...register("forward_query")}
      />
      {mode === "edit" && hasPassword ? (
        <ProtectedPassword
          register={register}
          error={errors.password?.message}
          removing={removingPassword}
          // A password typed before the box was ticked is not sent, nor kept for later.
          onRemovingChange={(removing) => {
            if (removing) setValue("password", "", { shouldValidate: true });
          }}
        />
      ) : (
        <PasswordField register={register} error={errors.password?.message} />
      )}
      <TextField label="Title (optional)" autoComplete="off" error={errors.title?.message} hint="For you and your team; visitors never see it." {...register("title")} />
      <Controller
        control={control}
        name="tags"
        render={({ field, fieldState }) => (
          <Field label="Tags (optional)" error={fieldState.error?.message} hint="Press Enter or type a comma after each tag. Tags group links for filtering and export.">
            {(ids) => <TagInput ids={ids} value={field.value} onChange={field.onChange} onBlur={field.onBlur} suggestions={tags.data?.map((item) => item.tag) ?? []} />}
          </Field>
        )}
      />
      <UtmFields register={register} errors={errors} values={values} />
      <PreviewFields register={register} errors={errors} values={values} host={shortHost(shortBase, domain)} />
      <RulesFields control={control} register={register} errors={errors} />
      <SplitFields control={control} register={register} errors={errors} />
      <FormError error={formError} />
      <div className="flex flex-wrap gap-2">
        <Button type="submit" busy={isSubmitting} disabled={mode === "edit" && !isDirty}>
          {submitLabel}
        </Button>
        {mode === "edit" && isDirty && (
          <Button variant="secondary" onClick={() => reset(baseline)}>
            Discard changes
          </Button>
        )}
        {onCancel && (
          <Button variant="ghost" onClick={onCancel}>
            Cancel
          </Button>
        )}
      </div>
    </form>
  );
}
