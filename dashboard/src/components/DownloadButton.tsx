import { Download } from "lucide-react";
import { type ReactNode, useState } from "react";
import { downloadFile } from "../api/client";
import { errorMessage } from "../api/problem";
import { Button } from "./Button";

type Props = { url: string; filename: string; children: ReactNode; disabled?: boolean; title?: string };

/** Downloads an API file (CSV, QR code) with the session; says so when the API refuses. */
export function DownloadButton({ url, filename, children, disabled = false, title }: Props) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const download = async () => {
    setBusy(true);
    setError(null);
    try {
      await downloadFile(url, filename);
    } catch (failure) {
      setError(errorMessage(failure));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div>
      <Button variant="secondary" busy={busy} disabled={disabled} title={title} onClick={() => void download()}>
        {!busy && <Download aria-hidden="true" className="h-4 w-4" />}
        {children}
      </Button>
      {error && (
        <p role="alert" className="mt-1 text-xs text-red-600 dark:text-red-400">
          {error}
        </p>
      )}
    </div>
  );
}
