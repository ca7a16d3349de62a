import { FileUp } from "lucide-react";
import { type ChangeEvent, type DragEvent, useState } from "react";
import { buttonClass } from "../../components/Button";

/** A file dropped here or chosen with the button; ``label`` names the button for everyone (screen readers too). */
export function DropZone({ onFile, accept, label, kind }: { onFile(file: File): void; accept: string; label: string; kind: string }) {
  const [over, setOver] = useState(false);
  const onDrop = (event: DragEvent) => {
    event.preventDefault();
    setOver(false);
    const file = event.dataTransfer.files[0];
    if (file) onFile(file);
  };
  const onChange = (event: ChangeEvent<HTMLInputElement>) => {
    const file = event.target.files?.[0];
    // Cleared, so that choosing the same file again (after fixing it) reads it again.
    event.target.value = "";
    if (file) onFile(file);
  };
  return (
    <div
      onDragOver={(event) => {
        event.preventDefault();
        setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={onDrop}
      className={`flex flex-col items-center gap-3 rounded-lg border-2 border-dashed px-6 py-10 text-center ${
        over ? "border-indigo-500 bg-indigo-50 dark:bg-indigo-950/40" : "border-slate-300 dark:border-slate-700"
      }`}
    >
      <FileUp aria-hidden="true" className="h-8 w-8 text-slate-400" />
      <p className="text-sm text-slate-600 dark:text-slate-300">Drag {kind} here, or</p>
      <label className={`${buttonClass("secondary")} cursor-pointer focus-within:ring-2 focus-within:ring-indigo-500`}>
        {label}
        <input type="file" accept={accept} className="sr-only" onChange={onChange} />
      </label>
    </div>
  );
}
