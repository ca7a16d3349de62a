import { zodResolver } from "@hookform/resolvers/zod";
import { useState } from "react";
import { useForm } from "react-hook-form";
import { useUser } from "../../auth/context";
import { Button } from "../../components/Button";
import { Card, PageHeader } from "../../components/Card";
import { ConfirmDialog } from "../../components/ConfirmDialog";
import { FormError } from "../../components/States";
import { formatDate } from "../../lib/format";
import { TextLink } from "../auth/AuthCard";
import { PasswordField } from "../auth/PasswordField";
import { showOnForm } from "../auth/formErrors";
import { explain } from "../auth/messages";
import { changePasswordSchema } from "../auth/schemas";
import { useChangePassword, useSignOutEverywhere } from "./queries";

export default function AccountPage() {
  return (
    <div className="max-w-2xl space-y-6">
      <PageHeader title="Account" description="Your sign-in details and sessions." />
      <Profile />
      <ChangePassword />
      <Sessions />
    </div>
  );
}

function Profile() {
  const user = useUser();
  const rows: [string, string][] = [
    ["E-mail address", user.email],
    ["Role", user.is_admin ? "Admin: manages users, reads the audit log and sees every link" : "User: manages their own links"],
    ["Member since", formatDate(user.created_at)],
  ];
  return (
    <Card title="Profile">
      <dl className="grid gap-3 text-sm sm:grid-cols-[10rem_1fr]">
        {rows.map(([term, value]) => (
          <div key={term} className="contents">
            <dt className="font-medium text-slate-600 dark:text-slate-300">{term}</dt>
            <dd className="break-words">{value}</dd>
          </div>
        ))}
      </dl>
    </Card>
  );
}

function ChangePassword() {
  const user = useUser();
  const change = useChangePassword();
  const [failure, setFailure] = useState<unknown>(null);
  const form = useForm({ resolver: zodResolver(changePasswordSchema), defaultValues: { current_password: "", new_password: "", confirm: "" } });
  const { errors, isSubmitting } = form.formState;

  const submit = form.handleSubmit(async ({ current_password, new_password }) => {
    setFailure(null);
    try {
      await change.mutateAsync({ current_password, new_password });
    } catch (error) {
      const rest = showOnForm(error, form.setError, ["current_password", "new_password"]);
      setFailure(rest ? explain(rest) : null);
    }
  });

  return (
    <Card title="Change password">
      <form noValidate onSubmit={(event) => void submit(event)} className="space-y-4">
        <p className="text-sm text-slate-600 dark:text-slate-300">
          Changing the password ends every session of your account, this one included: you will sign in again with the new password. API keys keep
          working.
        </p>
        {/* For password managers: which account the new password belongs to. */}
        <input type="email" name="username" autoComplete="username" value={user.email} readOnly hidden />
        <FormError error={failure} />
        <PasswordField
          label="Current password"
          autoComplete="current-password"
          error={errors.current_password?.message}
          {...form.register("current_password")}
        />
        <PasswordField label="New password" autoComplete="new-password" showStrength error={errors.new_password?.message} {...form.register("new_password")} />
        <PasswordField label="Confirm new password" autoComplete="new-password" error={errors.confirm?.message} {...form.register("confirm")} />
        <Button type="submit" busy={isSubmitting}>
          Change password
        </Button>
      </form>
    </Card>
  );
}

function Sessions() {
  const signOutEverywhere = useSignOutEverywhere();
  const [confirming, setConfirming] = useState(false);
  const close = () => {
    setConfirming(false);
    signOutEverywhere.reset();
  };
  return (
    <Card title="Sessions">
      <div className="space-y-3 text-sm">
        <p className="text-slate-600 dark:text-slate-300">
          Signed in on a computer you no longer use, or think someone else is? Signing out everywhere ends every session of your account on every
          device, this one included. API keys keep working: revoke them on the <TextLink to="/keys">API keys</TextLink> page.
        </p>
        <Button variant="danger" onClick={() => setConfirming(true)}>
          Sign out everywhere
        </Button>
      </div>
      <ConfirmDialog
        open={confirming}
        title="Sign out everywhere?"
        confirmLabel="Sign out everywhere"
        danger
        busy={signOutEverywhere.isPending}
        onConfirm={() => signOutEverywhere.mutate()}
        onClose={close}
      >
        <div className="space-y-3">
          <p>Every session of your account ends now, on every device, and this browser goes back to the sign-in page.</p>
          <FormError error={signOutEverywhere.error ? explain(signOutEverywhere.error) : null} />
        </div>
      </ConfirmDialog>
    </Card>
  );
}
