/**
 * The link form's routing: ordered targeting rules (each a target and conditions on the visitor's
 * device, OS, browser, country, language and the time) and the A/B split of everyone no rule
 * matches, each row with its live share. Two disclosures, open when the link has some, like the
 * UTM and preview groups beside them. The checks and conversions are in routing.ts.
 */
import { ArrowDown, ArrowUp, Plus, Trash2 } from "lucide-react";
import { type Control, Controller, type FieldErrors, type UseFormRegister, useFieldArray, useWatch } from "react-hook-form";
import { Button } from "../../components/Button";
import { Field, TextField } from "../../components/Field";
import { viewerTimeZone } from "../../lib/format";
import { Group } from "./LinkMetadataFields";
import type { LinkFormValues } from "./linkSchema";
import {
  BROWSER_SUGGESTIONS,
  DEVICES,
  MAX_RULES,
  MAX_VARIANTS,
  OS_SUGGESTIONS,
  defaultRuleName,
  defaultVariantName,
  newRule,
  newVariant,
  shownName,
  variantPercentages,
} from "./routing";
import { TagInput } from "./TagInput";

type Props = { control: Control<LinkFormValues>; register: UseFormRegister<LinkFormValues>; errors: FieldErrors<LinkFormValues> };

const iconButton =
  "rounded p-1.5 text-slate-600 hover:bg-slate-100 disabled:cursor-not-allowed disabled:opacity-40 dark:text-slate-300 dark:hover:bg-slate-800";
const trimmed = (value: string) => value.trim();
const upper = (value: string) => value.trim().toUpperCase();
const lower = (value: string) => value.trim().toLowerCase();

function ListError({ message }: { message: string | undefined }) {
  if (!message) return null;
  return <p className="text-sm text-red-600 dark:text-red-400">{message}</p>;
}

type ListCondition = "os" | "browsers" | "countries" | "languages";
const LIST_CONDITIONS: readonly { field: ListCondition; label: string; hint: string; placeholder: string; normalize(value: string): string; suggestions: readonly string[] }[] = [
  { field: "os", label: "Operating systems", hint: "Any of them, e.g. iOS, Android, Windows, macOS.", placeholder: "Type, then Enter", normalize: trimmed, suggestions: OS_SUGGESTIONS },
  { field: "browsers", label: "Browsers", hint: "Any of them, e.g. Chrome, Safari, Firefox.", placeholder: "Type, then Enter", normalize: trimmed, suggestions: BROWSER_SUGGESTIONS },
  { field: "countries", label: "Countries", hint: "Two-letter codes, e.g. DE, AT, CH.", placeholder: "DE, AT…", normalize: upper, suggestions: [] },
  { field: "languages", label: "Languages", hint: "Browser languages: en matches any English, en-GB only British English.", placeholder: "en, de…", normalize: lower, suggestions: [] },
];

function RuleConditionsFields({ index, control, register, errors }: Props & { index: number }) {
  const ruleErrors = errors.rules?.[index]?.conditions;
  const number = index + 1;
  return (
    <div className="space-y-3">
      <fieldset>
        <legend className="text-sm font-medium text-slate-700 dark:text-slate-200">Devices</legend>
        <div className="mt-1 flex flex-wrap gap-x-4 gap-y-1">
          {DEVICES.map((device) => (
            <label key={device.value} className="inline-flex items-center gap-1.5 text-sm">
              <input type="checkbox" value={device.value} className="h-4 w-4 rounded border-slate-300 text-indigo-600 dark:border-slate-600" {...register(`rules.${index}.conditions.devices`)} />
              {device.label}
            </label>
          ))}
        </div>
      </fieldset>
      <div className="grid gap-3 sm:grid-cols-2">
        {LIST_CONDITIONS.map(({ field, label, hint, placeholder, normalize, suggestions }) => (
          <Controller
            key={field}
            control={control}
            name={`rules.${index}.conditions.${field}`}
            render={({ field: input }) => (
              <Field label={label} hint={hint} error={ruleErrors?.[field]?.message}>
                {(ids) => (
                  <TagInput
                    ids={ids}
                    value={input.value}
                    onChange={input.onChange}
                    onBlur={input.onBlur}
                    normalize={normalize}
                    suggestions={suggestions}
                    placeholder={placeholder}
                    listLabel={`${label} of rule ${number}`}
                    removeLabel={(value) => `Remove ${value} from rule ${number}`}
                  />
                )}
              </Field>
            )}
          />
        ))}
        <TextField
          label="Starts (optional)"
          type="datetime-local"
          error={ruleErrors?.starts_at?.message}
          hint={`From this moment, in your time zone (${viewerTimeZone()}).`}
          {...register(`rules.${index}.conditions.starts_at`)}
        />
        <TextField label="Ends (optional)" type="datetime-local" error={ruleErrors?.ends_at?.message} hint="Until this moment." {...register(`rules.${index}.conditions.ends_at`)} />
      </div>
      <ListError message={ruleErrors?.message ?? ruleErrors?.root?.message} />
    </div>
  );
}

function RuleFields({ index, count, move, remove, ...props }: Props & { index: number; count: number; move(from: number, to: number): void; remove(index: number): void }) {
  const { register, errors } = props;
  const name = useWatch({ control: props.control, name: `rules.${index}.name` });
  const number = index + 1;
  const heading = shownName(name, defaultRuleName(index));
  return (
    <fieldset className="space-y-3 rounded-md border border-slate-200 p-3 dark:border-slate-700">
      <legend className="sr-only">Rule {number}</legend>
      <div className="flex items-center justify-between gap-2">
        <p aria-hidden="true" className="text-sm font-semibold">
          <span className="mr-2 inline-flex h-5 w-5 items-center justify-center rounded-full bg-indigo-100 text-xs text-indigo-800 dark:bg-indigo-950 dark:text-indigo-200">{number}</span>
          {heading}
        </p>
        <div className="flex gap-1">
          <button type="button" className={iconButton} disabled={index === 0} onClick={() => move(index, index - 1)} aria-label={`Move rule ${number} up`} title="Move up">
            <ArrowUp aria-hidden="true" className="h-4 w-4" />
          </button>
          <button type="button" className={iconButton} disabled={index === count - 1} onClick={() => move(index, index + 1)} aria-label={`Move rule ${number} down`} title="Move down">
            <ArrowDown aria-hidden="true" className="h-4 w-4" />
          </button>
          <button type="button" className={iconButton} onClick={() => remove(index)} aria-label={`Remove rule ${number}`} title="Remove">
            <Trash2 aria-hidden="true" className="h-4 w-4" />
          </button>
        </div>
      </div>
      <div className="grid gap-3 sm:grid-cols-[minmax(0,1fr)_minmax(0,2fr)]">
        <TextField label="Name (optional)" autoComplete="off" placeholder={defaultRuleName(index)} error={errors.rules?.[index]?.name?.message} {...register(`rules.${index}.name`)} />
        <TextField
          label="Target URL"
          type="url"
          inputMode="url"
          autoComplete="off"
          placeholder="https://example.com/app"
          error={errors.rules?.[index]?.target?.message}
          {...register(`rules.${index}.target`)}
        />
      </div>
      <RuleConditionsFields index={index} {...props} />
    </fieldset>
  );
}

export function RulesFields(props: Props) {
  const { control, errors } = props;
  const { fields, append, remove, move } = useFieldArray({ control, name: "rules" });
  return (
    <Group summary="Targeting rules (optional)" hasValues={fields.length > 0} hasError={Boolean(errors.rules)}>
      <p className="text-xs text-slate-500 dark:text-slate-400">
        Send some visitors elsewhere: the first rule whose conditions all match decides, so order matters. Within a condition any value matches. Everyone else goes to the A/B
        split, or to the target URL.
      </p>
      <ListError message={errors.rules?.root?.message ?? errors.rules?.message} />
      {fields.length > 0 && (
        <ol className="space-y-3">
          {fields.map((field, index) => (
            <li key={field.id}>
              <RuleFields index={index} count={fields.length} move={move} remove={remove} {...props} />
            </li>
          ))}
        </ol>
      )}
      <Button variant="secondary" onClick={() => append(newRule())} disabled={fields.length >= MAX_RULES}>
        <Plus aria-hidden="true" className="h-4 w-4" />
        Add rule
      </Button>
    </Group>
  );
}

const SPLIT_COLOURS = ["bg-indigo-500", "bg-amber-500", "bg-emerald-500", "bg-rose-500", "bg-sky-500", "bg-violet-500", "bg-lime-500", "bg-orange-500", "bg-teal-500", "bg-pink-500"];

/** The split as one bar of coloured parts; the same shares are in each weight's description. */
function SplitBar({ shares }: { shares: (number | null)[] }) {
  if (shares.some((share) => share === null)) return null;
  return (
    <div aria-hidden="true" className="flex h-2 w-full overflow-hidden rounded-full bg-slate-100 dark:bg-slate-800">
      {shares.map((share, index) => (
        <div key={index} className={SPLIT_COLOURS[index % SPLIT_COLOURS.length]} style={{ width: `${share ?? 0}%` }} />
      ))}
    </div>
  );
}

export function SplitFields(props: Props) {
  const { control, register, errors } = props;
  const { fields, append, remove, replace } = useFieldArray({ control, name: "variants" });
  const variants = useWatch({ control, name: "variants" });
  const shares = variantPercentages(variants.map((variant) => variant.weight));
  return (
    <Group summary="A/B split (optional)" hasValues={fields.length > 0} hasError={Boolean(errors.variants)}>
      <p className="text-xs text-slate-500 dark:text-slate-400">
        Split the visitors no rule matches between targets by weight; each visitor keeps their variant on every visit. Without a split they go to the target URL, which is
        also where the link goes again if you remove the split.
      </p>
      <ListError message={errors.variants?.root?.message ?? errors.variants?.message} />
      {fields.length === 0 ? (
        <Button variant="secondary" onClick={() => append([newVariant(), newVariant()])}>
          <Plus aria-hidden="true" className="h-4 w-4" />
          Add an A/B split
        </Button>
      ) : (
        <>
          <SplitBar shares={shares} />
          <ol className="space-y-3">
            {fields.map((field, index) => {
              const letter = defaultVariantName(index);
              const label = shownName(variants[index]?.name ?? "", letter);
              const share = shares[index];
              return (
                <li key={field.id}>
                  <fieldset className="grid items-start gap-3 sm:grid-cols-[8rem_minmax(0,1fr)_7rem_auto]">
                    <legend className="sr-only">Variant {index + 1}</legend>
                    <TextField label="Name (optional)" autoComplete="off" placeholder={letter} error={errors.variants?.[index]?.name?.message} {...register(`variants.${index}.name`)} />
                    <TextField
                      label="Target URL"
                      type="url"
                      inputMode="url"
                      autoComplete="off"
                      placeholder="https://example.com/b"
                      error={errors.variants?.[index]?.target?.message}
                      {...register(`variants.${index}.target`)}
                    />
                    <TextField
                      label="Weight"
                      inputMode="numeric"
                      autoComplete="off"
                      error={errors.variants?.[index]?.weight?.message}
                      hint={share === null || share === undefined ? "1 to 1000" : `${share}% of visitors`}
                      {...register(`variants.${index}.weight`)}
                    />
                    <button type="button" className={`${iconButton} sm:mt-7`} onClick={() => remove(index)} aria-label={`Remove variant ${label}`} title="Remove">
                      <Trash2 aria-hidden="true" className="h-4 w-4" />
                    </button>
                  </fieldset>
                </li>
              );
            })}
          </ol>
          <div className="flex flex-wrap gap-2">
            <Button variant="secondary" onClick={() => append(newVariant())} disabled={fields.length >= MAX_VARIANTS}>
              <Plus aria-hidden="true" className="h-4 w-4" />
              Add variant
            </Button>
            <Button variant="ghost" onClick={() => replace([])}>
              Remove the split
            </Button>
          </div>
        </>
      )}
    </Group>
  );
}
