import { useEffect, useState } from "react";
import { errorMessage } from "../../api/problem";
import { Card } from "../../components/Card";
import { DownloadButton } from "../../components/DownloadButton";
import { Spinner } from "../../components/Spinner";
import { type LinkRef, linkApiUrl } from "./linkRef";
import { type Link, useQrCode } from "./queries";

// A print-ready PNG (admin/qr.py allows 64 to 2048 pixels); the SVG scales to any size anyway.
const PNG_SIZE = 1024;

/** An object URL for ``blob`` while the component shows it, revoked after. */
function useObjectUrl(blob: Blob | undefined): string | null {
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    if (!blob) return;
    const href = URL.createObjectURL(blob);
    setUrl(href);
    return () => {
      URL.revokeObjectURL(href);
      setUrl(null);
    };
  }, [blob]);
  return url;
}

function qrPath(ref: LinkRef, format: "svg" | "png"): string {
  return linkApiUrl(ref, "/qr", format === "png" ? { format, size: String(PNG_SIZE) } : { format });
}

function QrDownload({ link, format }: { link: LinkRef; format: "svg" | "png" }) {
  return (
    <DownloadButton url={qrPath(link, format)} filename={`${link.code}-qr.${format}`}>
      Download {format.toUpperCase()}
    </DownloadButton>
  );
}

export function QrCard({ link }: { link: Link }) {
  const qr = useQrCode(link);
  const url = useObjectUrl(qr.data);
  return (
    <Card title="QR code">
      <div className="flex flex-col items-center gap-4">
        {/* The code stays black on white in dark mode too: scanners need the contrast. */}
        <div className="flex h-52 w-52 items-center justify-center rounded-md border border-slate-200 bg-white p-2 dark:border-slate-700">
          {qr.isError ? (
            <p role="alert" className="text-center text-sm text-red-700">
              {errorMessage(qr.error)}
            </p>
          ) : url ? (
            <img src={url} alt={`QR code for ${link.short_url}`} className="h-full w-full" />
          ) : (
            <Spinner label="Loading QR code…" />
          )}
        </div>
        <div className="flex flex-wrap justify-center gap-2">
          <QrDownload link={link} format="svg" />
          <QrDownload link={link} format="png" />
        </div>
      </div>
    </Card>
  );
}
