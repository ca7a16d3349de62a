import { zodResolver } from "@hookform/resolvers/zod";
import { useState } from "react";
import { useForm } from "react-hook-form";
import { Button } from "../../components/Button";
import { TextField } from "../../components/Field";
import { FormError } from "../../components/States";
import { AuthCard, Notice, TextLink } from "./AuthCard";
import { showOnForm } from "./formErrors";
import { explain } from "./messages";
import { useRequestPasswordReset } from "./queries";
import { forgotPasswordSchema } from "./schemas";

const BACK_TO_SIGN_IN = (
  <p>
    <TextLink to="/sign-in">Back to sign in</TextLink>
  </p>
);

export default function ForgotPasswordPage() {
  const request = useRequestPasswordReset();
  const [failure, setFailure] = useState<unknown>(null);
  const form = useForm({ resolver: zodResolver(forgotPasswordSchema), defaultValues: { email: "" } });
  const { errors, isSubmitting } = form.formState;

  const submit = form.handleSubmit(async ({ email }) => {
    setFailure(null);
    try {
      await request.mutateAsync(email);
    } catch (error) {
      const rest = showOnForm(error, form.setError, ["email"]);
      setFailure(rest ? explain(rest) : null);
    }
  });

  if (request.isSuccess) {
    return (
      <AuthCard title="Check your mail" footer={BACK_TO_SIGN_IN}>
        <div className="space-y-3 text-sm text-slate-700 dark:text-slate-200">
          <Notice tone="success">If the address has an account, a link to choose a new password is on its way.</Notice>
          <p>The link works once and for a limited time. Nothing arrived after a few minutes? Look in your spam folder, or ask again.</p>
        </div>
      </AuthCard>
    );
  }
  return (
    <AuthCard title="Reset your password" description="Enter your account's e-mail address and Hop mails you a link to choose a new password." footer={BACK_TO_SIGN_IN}>
      <form noValidate onSubmit={(event) => void submit(event)} className="space-y-4">
        <FormError error={failure} />
        <TextField label="E-mail address" type="email" autoComplete="username" inputMode="email" error={errors.email?.message} {...form.register("email")} />
        <Button type="submit" busy={isSubmitting} className="w-full">
          Send reset link
        </Button>
      </form>
    </AuthCard>
  );
}
