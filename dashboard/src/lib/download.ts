/** Handing data to the browser as a file download. */

export function saveBlob(blob: Blob, filename: string): void {
  const href = URL.createObjectURL(blob);
  const anchor = document.createElement("a");
  anchor.href = href;
  anchor.download = filename;
  document.body.append(anchor);
  anchor.click();
  anchor.remove();
  // Revoked on the next task: the click has started the download by then.
  setTimeout(() => URL.revokeObjectURL(href), 0);
}

/** A string made in the browser (a CSV template, a chart's data) as a file. */
export function saveText(text: string, filename: string, type = "text/csv;charset=utf-8"): void {
  saveBlob(new Blob([text], { type }), filename);
}
