import { useState } from "react";
import { useForm } from "react-hook-form";
import { Button } from "../../components/Button";
import { Card } from "../../components/Card";
import { SelectField, TextField } from "../../components/Field";
import { FormError } from "../../components/States";
import { fromLocalInput, toLocalInput } from "../../lib/format";
import { explain } from "../auth/messages";
import { type AuditFilters, type AuditFormValues, KNOWN_ACTIONS, checkAuditForm, parseActor } from "./audit";
import { useFindUserByEmail } from "./queries";

function formValues(filters: AuditFilters, directory: ReadonlyMap<number, string> | undefined): AuditFormValues {
  return {
    action: filters.action,
    actor: filters.actorId === null ? "" : (directory?.get(filters.actorId) ?? String(filters.actorId)),
    entityType: filters.entityType ?? "",
    entity: filters.entityCode,
    since: toLocalInput(filters.since),
    until: toLocalInput(filters.until),
  };
}

type Props = { filters: AuditFilters; directory: ReadonlyMap<number, string> | undefined; onApply(filters: AuditFilters): void; onClear(): void };

/** Which entries to show: by action, actor, entity and time; applied to the URL on submit. */
export function AuditFilterForm({ filters, directory, onApply, onClear }: Props) {
  const findUser = useFindUserByEmail();
  const [failure, setFailure] = useState<unknown>(null);
  const form = useForm<AuditFormValues>({ defaultValues: formValues(filters, directory) });
  const { errors, isSubmitting } = form.formState;

  const submit = form.handleSubmit(async (values) => {
    setFailure(null);
    const problems = Object.entries(checkAuditForm(values, fromLocalInput)) as [keyof AuditFormValues, string][];
    problems.forEach(([field, message], index) => form.setError(field, { type: "check", message }, { shouldFocus: index === 0 }));
    if (problems.length > 0) return;
    const actorId = await resolveActor(values.actor);
    if (actorId === undefined) return;
    onApply({
      action: values.action.trim(),
      actorId,
      entityType: values.entityType || null,
      entityCode: values.entity.trim(),
      since: fromLocalInput(values.since),
      until: fromLocalInput(values.until),
    });
  });

  /** The actor's id, null for anyone, undefined when the address has no account (said under the field). */
  async function resolveActor(text: string): Promise<number | null | undefined> {
    const actor = parseActor(text);
    if (actor.kind === "id") return actor.id;
    if (actor.kind !== "email") return null;
    try {
      const id = await findUser(actor.email);
      if (id === null) form.setError("actor", { type: "lookup", message: "No user has this e-mail address." }, { shouldFocus: true });
      return id ?? undefined;
    } catch (error) {
      setFailure(explain(error));
      return undefined;
    }
  }

  return (
    <Card title="Filters">
      <form noValidate onSubmit={(event) => void submit(event)} className="space-y-4">
        <FormError error={failure} />
        <div className="grid gap-4 sm:grid-cols-2 lg:grid-cols-3">
          <TextField label="Action" list="audit-actions" placeholder="Any action" autoComplete="off" error={errors.action?.message} {...form.register("action")} />
          <datalist id="audit-actions">
            {KNOWN_ACTIONS.map((action) => (
              <option key={action} value={action} />
            ))}
          </datalist>
          <TextField label="Actor" hint="A user's e-mail address or id." placeholder="Anyone" autoComplete="off" error={errors.actor?.message} {...form.register("actor")} />
          <SelectField label="Entity type" {...form.register("entityType")}>
            <option value="">Links, users and domains</option>
            <option value="link">Links</option>
            <option value="user">Users</option>
            <option value="domain">Domains</option>
          </SelectField>
          <TextField label="Entity" hint="A link's short code (domain/code on another domain than the default), a user's e-mail address or a domain." autoComplete="off" maxLength={254} {...form.register("entity")} />
          <TextField label="From" type="datetime-local" error={errors.since?.message} {...form.register("since")} />
          <TextField label="Until" type="datetime-local" hint="Entries before this time." error={errors.until?.message} {...form.register("until")} />
        </div>
        <div className="flex flex-wrap gap-2">
          <Button type="submit" busy={isSubmitting}>
            Apply filters
          </Button>
          <Button variant="secondary" onClick={onClear}>
            Clear filters
          </Button>
        </div>
      </form>
    </Card>
  );
}
