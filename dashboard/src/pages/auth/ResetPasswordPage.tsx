import { zodResolver } from "@hookform/resolvers/zod";
import { useEffect, useState } from "react";
import { useForm } from "react-hook-form";
import { Link } from "react-router";
import { ApiError } from "../../api/problem";
import { useAuth } from "../../auth/context";
import { Button, buttonClass } from "../../components/Button";
import { FormError } from "../../components/States";
import { AuthCard, Notice, TextLink } from "./AuthCard";
import { PasswordField } from "./PasswordField";
import { showOnForm, splitFieldErrors } from "./formErrors";
import { explain } from "./messages";
import { useConfirmPasswordReset } from "./queries";
import { clearHash, resetTokenFromHash } from "./resetToken";
import { resetPasswordSchema } from "./schemas";
import { useSessionEnded } from "./useSessionEnded";

type Outcome = "form" | "done" | "invalid-token";

export default function ResetPasswordPage() {
  // Read from the fragment, then taken out of the address bar (see resetToken.ts).
  const [token, setToken] = useState(() => resetTokenFromHash(window.location.hash));
  const [outcome, setOutcome] = useState<Outcome>("form");
  useEffect(() => {
    // Also when another reset link is opened over this page: that changes only the fragment.
    const take = () => {
      const fresh = resetTokenFromHash(window.location.hash);
      clearHash(window.history, window.location);
      if (!fresh) return;
      setToken(fresh);
      setOutcome("form");
    };
    take();
    window.addEventListener("hashchange", take);
    return () => window.removeEventListener("hashchange", take);
  }, []);

  if (!token) return <NoToken />;
  if (outcome === "invalid-token") return <InvalidToken />;
  if (outcome === "done") return <PasswordReset />;
  return <ResetForm key={token} token={token} onOutcome={setOutcome} />;
}

function ResetForm({ token, onOutcome }: { token: string; onOutcome(outcome: Outcome): void }) {
  const auth = useAuth();
  const sessionEnded = useSessionEnded();
  const confirm = useConfirmPasswordReset();
  const [failure, setFailure] = useState<unknown>(null);
  const form = useForm({ resolver: zodResolver(resetPasswordSchema), defaultValues: { new_password: "", confirm: "" } });
  const { errors, isSubmitting } = form.formState;

  const submit = form.handleSubmit(async ({ new_password }) => {
    setFailure(null);
    try {
      await confirm.mutateAsync({ token, new_password });
      // Every session of the account has ended, this browser's too if it was signed in.
      if (auth.status === "signed-in") sessionEnded();
      onOutcome("done");
    } catch (error) {
      if (isTokenRefused(error)) return onOutcome("invalid-token");
      const rest = showOnForm(error, form.setError, ["new_password"]);
      setFailure(rest ? explain(rest) : null);
    }
  });

  return (
    <AuthCard title="Choose a new password" description="Every session of your account ends when the password changes." footer={<SignInLink />}>
      <form noValidate onSubmit={(event) => void submit(event)} className="space-y-4">
        <FormError error={failure} />
        <PasswordField label="New password" autoComplete="new-password" showStrength error={errors.new_password?.message} {...form.register("new_password")} />
        <PasswordField label="Confirm new password" autoComplete="new-password" error={errors.confirm?.message} {...form.register("confirm")} />
        <Button type="submit" busy={isSubmitting} className="w-full">
          Set new password
        </Button>
      </form>
    </AuthCard>
  );
}

/** A 400 invalid_reset_token, or a 422 about the token itself (too long to be one). */
function isTokenRefused(error: unknown): boolean {
  if (!(error instanceof ApiError)) return false;
  return error.code === "invalid_reset_token" || "token" in splitFieldErrors(error, ["token"]).byField;
}

function SignInLink() {
  return (
    <p>
      <TextLink to="/sign-in">Back to sign in</TextLink>
    </p>
  );
}

function NewLinkButton() {
  return (
    <Link to="/forgot-password" className={`${buttonClass("primary")} w-full`}>
      Ask for a new link
    </Link>
  );
}

function NoToken() {
  return (
    <AuthCard title="This reset link is incomplete" footer={<SignInLink />}>
      <div className="space-y-4 text-sm text-slate-700 dark:text-slate-200">
        <p>
          The link has no reset token. Open the link from the mail again, copying all of it if your mail program split it over several lines, or ask for a
          new one.
        </p>
        <NewLinkButton />
      </div>
    </AuthCard>
  );
}

function InvalidToken() {
  return (
    <AuthCard title="This reset link no longer works" footer={<SignInLink />}>
      <div className="space-y-4 text-sm text-slate-700 dark:text-slate-200">
        <p>The link is invalid, has expired or was already used: each link works once, for a limited time. Ask for a new one.</p>
        <NewLinkButton />
      </div>
    </AuthCard>
  );
}

function PasswordReset() {
  return (
    <AuthCard title="Password changed">
      <div className="space-y-4">
        <Notice tone="success">Your new password is set and every session of the account has ended. Sign in with the new password.</Notice>
        <Link to="/sign-in" className={`${buttonClass("primary")} w-full`}>
          Sign in
        </Link>
      </div>
    </AuthCard>
  );
}
