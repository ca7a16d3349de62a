import { zodResolver } from "@hookform/resolvers/zod";
import { useState } from "react";
import { useForm } from "react-hook-form";
import { Button } from "../../components/Button";
import { TextField } from "../../components/Field";
import { FormError } from "../../components/States";
import { PasswordField } from "./PasswordField";
import { showOnForm } from "./formErrors";
import { explain } from "./messages";
import { accountSchema } from "./schemas";

type Props = {
  submitLabel: string;
  /** Sends the new account's address and password; throws the API's error. */
  submit(account: { email: string; password: string }): Promise<void>;
  /** Takes an error the page answers itself (true), instead of the form showing it. */
  handled?(error: unknown): boolean;
};

/** E-mail, password and its confirmation for a new account (first-run setup, registration). */
export function NewAccountForm({ submitLabel, submit, handled }: Props) {
  const [failure, setFailure] = useState<unknown>(null);
  const form = useForm({ resolver: zodResolver(accountSchema), defaultValues: { email: "", password: "", confirm: "" } });
  const { errors, isSubmitting } = form.formState;

  const onSubmit = form.handleSubmit(async ({ email, password }) => {
    setFailure(null);
    try {
      await submit({ email, password });
    } catch (error) {
      if (handled?.(error)) return;
      const rest = showOnForm(error, form.setError, ["email", "password"]);
      setFailure(rest ? explain(rest) : null);
    }
  });

  return (
    <form noValidate onSubmit={(event) => void onSubmit(event)} className="space-y-4">
      <FormError error={failure} />
      <TextField label="E-mail address" type="email" autoComplete="username" inputMode="email" error={errors.email?.message} {...form.register("email")} />
      <PasswordField label="Password" autoComplete="new-password" showStrength error={errors.password?.message} {...form.register("password")} />
      <PasswordField label="Confirm password" autoComplete="new-password" error={errors.confirm?.message} {...form.register("confirm")} />
      <Button type="submit" busy={isSubmitting} className="w-full">
        {submitLabel}
      </Button>
    </form>
  );
}
