import { zodResolver } from "@hookform/resolvers/zod";
import { useState } from "react";
import { useForm } from "react-hook-form";
import { Button } from "../../components/Button";
import { Card } from "../../components/Card";
import { TextField } from "../../components/Field";
import { FormError } from "../../components/States";
import { Notice } from "../auth/AuthCard";
import { PasswordField } from "../auth/PasswordField";
import { showOnForm } from "../auth/formErrors";
import { explain, sentence } from "../auth/messages";
import { createUserSchema } from "../auth/schemas";
import { useCreateUser } from "./queries";

/** An admin creates an account (the only way in while registration is closed) and hands over the password. */
export function CreateUserCard({ openRegistration, onClose }: { openRegistration: boolean; onClose(): void }) {
  const [done, setDone] = useState<{ message: string; count: number }>({ message: "", count: 0 });
  return (
    <Card title="Create a user" actions={<Button variant="ghost" onClick={onClose}>Close</Button>}>
      <div className="space-y-4">
        <p className="text-sm text-slate-600 dark:text-slate-300">
          {openRegistration
            ? "Registration is open, so people can also create their own accounts."
            : "Registration is closed: accounts exist only when an admin creates them."}{" "}
          The account is a user; make it an admin afterwards if needed. Give its owner the password through a safe channel and ask them to change it.
        </p>
        {done.message && <Notice tone="success">{done.message}</Notice>}
        {/* A new form after each account: empty fields, and a strength hint that starts over. */}
        <CreateUserForm key={done.count} onCreated={(message) => setDone({ message, count: done.count + 1 })} />
      </div>
    </Card>
  );
}

function CreateUserForm({ onCreated }: { onCreated(message: string): void }) {
  const create = useCreateUser();
  const [failure, setFailure] = useState<unknown>(null);
  const form = useForm({ resolver: zodResolver(createUserSchema), defaultValues: { email: "", password: "" } });
  const { errors, isSubmitting } = form.formState;

  const submit = form.handleSubmit(async (values) => {
    setFailure(null);
    try {
      const answer = await create.mutateAsync(values);
      onCreated(sentence(answer.detail));
    } catch (error) {
      const rest = showOnForm(error, form.setError, ["email", "password"]);
      setFailure(rest ? explain(rest) : null);
    }
  });

  return (
    <form noValidate onSubmit={(event) => void submit(event)} className="space-y-4">
      <FormError error={failure} />
      <TextField label="E-mail address" type="email" autoComplete="off" inputMode="email" error={errors.email?.message} {...form.register("email")} />
      <PasswordField label="Password" autoComplete="new-password" showStrength error={errors.password?.message} {...form.register("password")} />
      <Button type="submit" busy={isSubmitting}>
        Create user
      </Button>
    </form>
  );
}
