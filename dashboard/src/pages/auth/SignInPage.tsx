import { zodResolver } from "@hookform/resolvers/zod";
import { useEffect, useState } from "react";
import { useForm } from "react-hook-form";
import { useNavigate, useSearchParams } from "react-router";
import { useInstance } from "../../api/instance";
import { useAuth } from "../../auth/context";
import { Button } from "../../components/Button";
import { TextField } from "../../components/Field";
import { FormError } from "../../components/States";
import { AuthCard, Notice, TextLink } from "./AuthCard";
import { PasswordField } from "./PasswordField";
import { SIGN_IN_MESSAGES, explain, safeNext } from "./messages";
import { signInSchema } from "./schemas";
import { clearSignInNotice, peekSignInNotice } from "./signInNotice";

export default function SignInPage() {
  const auth = useAuth();
  const instance = useInstance();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const next = safeNext(params.get("next"));
  // Why the visitor is here, when a page that ended the session said so (read once).
  const [notice] = useState(peekSignInNotice);
  useEffect(() => clearSignInNotice(), []);
  const [failure, setFailure] = useState<Error | null>(null);
  const form = useForm({ resolver: zodResolver(signInSchema), defaultValues: { email: "", password: "" } });
  const { errors, isSubmitting } = form.formState;

  const submit = form.handleSubmit(async ({ email, password }) => {
    setFailure(null);
    try {
      await auth.signIn(email, password);
      navigate(next, { replace: true });
    } catch (error) {
      setFailure(explain(error, SIGN_IN_MESSAGES));
    }
  });

  return (
    <AuthCard
      title="Sign in to Hop"
      footer={
        <>
          <p>
            <TextLink to="/forgot-password">Forgot your password?</TextLink>
          </p>
          {instance.data?.open_registration && (
            <p className="text-slate-600 dark:text-slate-300">
              No account yet? <TextLink to="/register">Create an account</TextLink>
            </p>
          )}
        </>
      }
    >
      <form noValidate onSubmit={(event) => void submit(event)} className="space-y-4">
        {notice && <Notice tone="info">{notice}</Notice>}
        <FormError error={failure} />
        <TextField label="E-mail address" type="email" autoComplete="username" inputMode="email" error={errors.email?.message} {...form.register("email")} />
        <PasswordField label="Password" autoComplete="current-password" error={errors.password?.message} {...form.register("password")} />
        <Button type="submit" busy={isSubmitting} className="w-full">
          Sign in
        </Button>
      </form>
    </AuthCard>
  );
}
