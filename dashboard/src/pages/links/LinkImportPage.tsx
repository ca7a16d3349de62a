import { ArrowLeft, FileDown, Upload } from "lucide-react";
import { useState } from "react";
import { Link as RouterLink } from "react-router";
import { Button, buttonClass } from "../../components/Button";
import { Card, PageHeader } from "../../components/Card";
import { SelectField } from "../../components/Field";
import { FormError } from "../../components/States";
import { CsvPreviewTable, PREVIEW_ROWS } from "./CsvPreviewTable";
import { type CsvPreview, MAX_IMPORT_BYTES, MAX_IMPORT_ROWS, previewCsv, templateCsv } from "./csvImport";
import { saveText } from "../../lib/download";
import { DropZone } from "./DropZone";
import { ImportResults } from "./ImportResults";
import { useImportCsv } from "./queries";
import { SourceHelp, SourceImport } from "./SourceImport";
import { type ImportSource, SOURCES, isFileSource } from "./sourceImport";

const COLUMN_HELP: [string, string][] = [
  ["target_url", "Required. The URL to shorten (http:// or https://)."],
  ["code", "Your own short code; empty for a random one."],
  ["domain", "The short domain (one listed under Domains); empty for the default one."],
  ["redirect_status", "301, 302 (the default), 307 or 308."],
  ["expires_at", "When the link stops working, with a time zone: 2026-12-31T23:59:00+00:00."],
  ["max_clicks", "Stop redirecting after this many clicks; empty for no limit."],
  ["forward_query", "true to pass the visitor's query string on to the target."],
  ["title", "A name for you; visitors never see it."],
  ["tags", "Comma-separated in one cell: \"newsletter,spring\"."],
];

function formatSize(bytes: number): string {
  return bytes < 1024 * 1024 ? `${Math.ceil(bytes / 1024)} KB` : `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

function FormatHelp() {
  return (
    <Card title="The CSV format" actions={<TemplateButton />}>
      <div className="space-y-3 text-sm text-slate-700 dark:text-slate-200">
        <p>
          A UTF-8 CSV file whose first line names the columns. Only <code>target_url</code> is required; the order of the columns does not matter. A file exported from
          Hop imports as it is.
        </p>
        <dl className="grid gap-x-4 gap-y-1 sm:grid-cols-[auto_1fr]">
          {COLUMN_HELP.map(([name, help]) => (
            <div key={name} className="contents">
              <dt className="font-mono text-xs leading-5 font-semibold">{name}</dt>
              <dd className="text-slate-600 dark:text-slate-300">{help}</dd>
            </div>
          ))}
        </dl>
        <p className="text-slate-600 dark:text-slate-300">
          Other columns (short_url, disabled, the click counts, created_at) are ignored. At most {MAX_IMPORT_ROWS.toLocaleString()} rows and 4 MB per file; each row
          succeeds or fails on its own.
        </p>
      </div>
    </Card>
  );
}

function TemplateButton() {
  return (
    <Button variant="secondary" onClick={() => saveText(templateCsv(), "hop-links-template.csv")}>
      <FileDown aria-hidden="true" className="h-4 w-4" />
      Download template
    </Button>
  );
}

function Notes({ preview }: { preview: CsvPreview }) {
  return (
    <>
      {preview.problems.length > 0 && (
        <div role="alert" className="rounded-md border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-800 dark:border-red-900 dark:bg-red-950/40 dark:text-red-200">
          <p className="font-medium">This file cannot be imported:</p>
          <ul className="list-disc pl-5">
            {preview.problems.map((problem) => (
              <li key={problem}>{problem}</li>
            ))}
          </ul>
        </div>
      )}
      {preview.warnings.length > 0 && (
        <ul className="list-disc space-y-0.5 pl-5 text-sm text-amber-800 dark:text-amber-200">
          {preview.warnings.map((warning) => (
            <li key={warning}>{warning}</li>
          ))}
        </ul>
      )}
    </>
  );
}

function PreviewCard({ file, preview, busy, onImport }: { file: File; preview: CsvPreview; busy: boolean; onImport(): void }) {
  const count = preview.rows.length;
  const shown = Math.min(count, PREVIEW_ROWS);
  return (
    <Card title={`Preview of ${file.name}`}>
      <div className="space-y-4">
        <p className="text-sm text-slate-600 dark:text-slate-300">
          {formatSize(file.size)}, {count.toLocaleString()} row{count === 1 ? "" : "s"}
          {count > shown ? `; the first ${shown} as the import reads them:` : "."}
        </p>
        <Notes preview={preview} />
        {count > 0 && preview.used.length > 0 && <CsvPreviewTable preview={preview} />}
        <Button busy={busy} disabled={preview.problems.length > 0 || count === 0} onClick={onImport}>
          {!busy && <Upload aria-hidden="true" className="h-4 w-4" />}
          Import {count.toLocaleString()} link{count === 1 ? "" : "s"}
        </Button>
      </div>
    </Card>
  );
}

function SourceChoice({ source, onSource }: { source: ImportSource; onSource(source: ImportSource): void }) {
  return (
    <Card>
      <div className="max-w-sm">
        <SelectField
          label="Import from"
          hint="Hop's own CSV, or the export of another shortener."
          value={source}
          onChange={(event) => onSource(event.target.value as ImportSource)}
        >
          {SOURCES.map((option) => (
            <option key={option.id} value={option.id}>
              {option.label}
            </option>
          ))}
        </SelectField>
      </div>
    </Card>
  );
}

export default function LinkImportPage() {
  const [source, setSource] = useState<ImportSource>("hop-csv");
  return (
    <>
      <PageHeader
        title="Import links"
        description="Create many links at once: from a spreadsheet, a Hop export, or Bitly, Shlink, Kutt and YOURLS."
        actions={
          <RouterLink to="/links" className={buttonClass("ghost")}>
            <ArrowLeft aria-hidden="true" className="h-4 w-4" />
            Back to links
          </RouterLink>
        }
      />
      <div className="max-w-4xl space-y-6">
        <SourceChoice source={source} onSource={setSource} />
        {isFileSource(source) ? (
          // Keyed: another source starts afresh, without the last one's file and report.
          <div key={source} className="space-y-6">
            <SourceHelp source={source} />
            <SourceImport source={source} />
          </div>
        ) : (
          <HopCsvImport />
        )}
      </div>
    </>
  );
}

function HopCsvImport() {
  const [file, setFile] = useState<File | null>(null);
  const [preview, setPreview] = useState<CsvPreview | null>(null);
  const [readError, setReadError] = useState<string | null>(null);
  const upload = useImportCsv();

  const choose = async (chosen: File) => {
    upload.reset();
    setReadError(null);
    setFile(null);
    setPreview(null);
    if (chosen.size > MAX_IMPORT_BYTES) {
      setReadError(`${chosen.name} is ${formatSize(chosen.size)}; an import takes at most 4 MB. Split the file.`);
      return;
    }
    try {
      const text = await chosen.text();
      setPreview(previewCsv(text));
      setFile(chosen);
    } catch {
      setReadError(`${chosen.name} could not be read.`);
    }
  };

  return (
    <>
      <FormatHelp />
      <Card title="Choose a file">
        <div className="space-y-3">
          <DropZone onFile={(chosen) => void choose(chosen)} accept=".csv,text/csv" label="Choose a CSV file" kind="a CSV file" />
          {readError && <FormError error={new Error(readError)} />}
        </div>
      </Card>
      {file && preview && !upload.data && <PreviewCard file={file} preview={preview} busy={upload.isPending} onImport={() => upload.mutate(file)} />}
      {upload.isError && <FormError error={upload.error} />}
      {upload.data && <ImportResults preview={preview} result={upload.data} />}
    </>
  );
}
