import { useState } from "react";
import { Link, useNavigate } from "react-router";
import { ApiError } from "../../api/problem";
import { buttonClass } from "../../components/Button";
import { AuthCard, Notice } from "../auth/AuthCard";
import { NewAccountForm } from "../auth/NewAccountForm";
import { useMarkSetupDone, useSetup } from "./queries";

export default function SetupPage() {
  const [alreadyDone, setAlreadyDone] = useState(false);
  if (alreadyDone) return <SetupAlreadyDone />;
  return (
    <AuthCard
      title="Create the first admin"
      description="Hop has no accounts yet. The account you create now is an admin: it manages users, reads the audit log and sees every link."
    >
      <SetupForm onAlreadyDone={() => setAlreadyDone(true)} />
    </AuthCard>
  );
}

function SetupForm({ onAlreadyDone }: { onAlreadyDone(): void }) {
  const setup = useSetup();
  const navigate = useNavigate();
  const alreadyDone = (error: unknown) => {
    if (!(error instanceof ApiError && error.code === "setup_done")) return false;
    onAlreadyDone();
    return true;
  };
  const create = async (account: { email: string; password: string }) => {
    await setup.mutateAsync(account);
    navigate("/links", { replace: true });
  };
  return <NewAccountForm submitLabel="Create admin account" submit={create} handled={alreadyDone} />;
}

/** 409 setup_done: another browser created the first account a moment ago. */
function SetupAlreadyDone() {
  const markSetupDone = useMarkSetupDone();
  return (
    <AuthCard title="Hop is already set up">
      <div className="space-y-4">
        <Notice tone="info">Someone created the first admin account while this page was open, so this instance needs no setup any more.</Notice>
        <p className="text-sm text-slate-700 dark:text-slate-200">If that was not you, ask that admin for an account.</p>
        <Link to="/sign-in" onClick={markSetupDone} className={`${buttonClass("primary")} w-full`}>
          Go to sign in
        </Link>
      </div>
    </AuthCard>
  );
}
