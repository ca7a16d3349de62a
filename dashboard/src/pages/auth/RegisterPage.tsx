import { useState } from "react";
import { Link } from "react-router";
import { useInstance } from "../../api/instance";
import { ApiError } from "../../api/problem";
import { buttonClass } from "../../components/Button";
import { LoadingState } from "../../components/States";
import { AuthCard, Notice, TextLink } from "./AuthCard";
import { NewAccountForm } from "./NewAccountForm";
import { sentence } from "./messages";
import { useRegister } from "./queries";

const SIGN_IN_FOOTER = (
  <p className="text-slate-600 dark:text-slate-300">
    Already have an account? <TextLink to="/sign-in">Sign in</TextLink>
  </p>
);

export default function RegisterPage() {
  const instance = useInstance();
  const registration = useRegister();
  const [refusedAsClosed, setRefusedAsClosed] = useState(false);
  if (instance.isPending) return <LoadingState />;
  if (refusedAsClosed || instance.data?.open_registration === false) return <RegistrationClosed />;
  if (registration.isSuccess) return <Registered detail={registration.data.detail} />;
  return (
    <AuthCard title="Create an account" description="Your account is ready as soon as you submit: no confirmation mail." footer={SIGN_IN_FOOTER}>
      <RegisterForm registration={registration} onClosed={() => setRefusedAsClosed(true)} />
    </AuthCard>
  );
}

function RegisterForm({ registration, onClosed }: { registration: ReturnType<typeof useRegister>; onClosed(): void }) {
  // The instance closed registration since this page loaded.
  const closed = (error: unknown) => {
    if (!(error instanceof ApiError && error.code === "registration_closed")) return false;
    onClosed();
    return true;
  };
  const register = async (account: { email: string; password: string }) => {
    await registration.mutateAsync(account);
  };
  return <NewAccountForm submitLabel="Create account" submit={register} handled={closed} />;
}

/** The same answer whether or not the address had an account: the API keeps that secret. */
function Registered({ detail }: { detail: string }) {
  return (
    <AuthCard title="Registration received">
      <div className="space-y-4">
        <Notice tone="success">{sentence(detail)}</Notice>
        <Link to="/sign-in" className={`${buttonClass("primary")} w-full`}>
          Sign in
        </Link>
      </div>
    </AuthCard>
  );
}

function RegistrationClosed() {
  return (
    <AuthCard title="Registration is closed" footer={SIGN_IN_FOOTER}>
      <p className="text-sm text-slate-700 dark:text-slate-200">
        This Hop instance does not take sign-ups: its admins create the accounts. Ask one of them for an account, then sign in with the address and
        password they give you.
      </p>
    </AuthCard>
  );
}
