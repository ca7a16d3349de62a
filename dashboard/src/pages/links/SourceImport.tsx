import { Upload } from "lucide-react";
import { useState } from "react";
import { Button } from "../../components/Button";
import { Card } from "../../components/Card";
import { FormError, LoadingState } from "../../components/States";
import { MAX_IMPORT_BYTES } from "./csvImport";
import { DropZone } from "./DropZone";
import { ImportReportView } from "./ImportResults";
import { useSourceImport } from "./queries";
import { type FileSource, canImport, sourceInfo } from "./sourceImport";

function formatSize(bytes: number): string {
  return bytes < 1024 * 1024 ? `${Math.ceil(bytes / 1024)} KB` : `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

export function SourceHelp({ source }: { source: FileSource }) {
  const info = sourceInfo(source);
  return (
    <Card title={`Importing from ${info.label}`}>
      <div className="space-y-3 text-sm text-slate-700 dark:text-slate-200">
        <p>{info.help}</p>
        <p className="text-slate-600 dark:text-slate-300">
          Each link keeps its code, target, title, tags and created date; its click total there is kept as <em>clicks before Hop</em>, apart from the clicks Hop counts.
          The file is checked first (a dry run that writes nothing): you see what would be created, what is there already and what cannot be imported, and then
          import. Importing the same file again creates nothing twice; a code that holds another link is reported, never overwritten. At most 10,000 rows and 4 MB per
          file.
        </p>
      </div>
    </Card>
  );
}

/** Another shortener's export: a dry run as soon as the file is chosen, then the import on request. */
export function SourceImport({ source }: { source: FileSource }) {
  const [file, setFile] = useState<File | null>(null);
  const [readError, setReadError] = useState<string | null>(null);
  const preview = useSourceImport();
  const run = useSourceImport();
  const info = sourceInfo(source);

  const choose = (chosen: File) => {
    preview.reset();
    run.reset();
    setReadError(null);
    setFile(null);
    if (chosen.size > MAX_IMPORT_BYTES) {
      setReadError(`${chosen.name} is ${formatSize(chosen.size)}; an import takes at most 4 MB. Split the file.`);
      return;
    }
    setFile(chosen);
    preview.mutate({ file: chosen, source, dryRun: true });
  };

  return (
    <>
      <Card title="Choose a file">
        <div className="space-y-3">
          <DropZone onFile={choose} accept={info.accept} label="Choose a file" kind={`the ${info.label} file`} />
          {readError && <FormError error={new Error(readError)} />}
        </div>
      </Card>
      {preview.isPending && <LoadingState label="Checking the file…" />}
      {preview.isError && <FormError error={preview.error} />}
      {file && preview.data && !run.data && (
        <Card title={`Dry run of ${file.name}`}>
          <div className="space-y-4">
            <p className="text-sm text-slate-600 dark:text-slate-300">Nothing has been written yet. This is what the import would do:</p>
            {/* Keyed by the file: another file's report starts on its own filter and first page. */}
            <ImportReportView key={`${file.name}:${file.size}:${file.lastModified}`} report={preview.data} caption="Dry run per row" />
            <Button
              busy={run.isPending}
              disabled={!canImport(preview.data)}
              onClick={() => run.mutate({ file, source, dryRun: false })}
            >
              {!run.isPending && <Upload aria-hidden="true" className="h-4 w-4" />}
              Import {preview.data.counts.would_create.toLocaleString()} link{preview.data.counts.would_create === 1 ? "" : "s"}
            </Button>
          </div>
        </Card>
      )}
      {run.isError && <FormError error={run.error} />}
      {run.data && (
        <Card title="Result">
          <ImportReportView report={run.data} caption="Import result per row" />
        </Card>
      )}
    </>
  );
}
