/**
 * The destination of a link with UTM fields, computed in the browser exactly as the edge's record
 * is built (common/utm.py with_utm): each set field replaces the parameter of the same name
 * (utm_source, ...); the target's other parameters stay byte for byte as they were, in their order,
 * and so does the fragment. Used for the live destination under the form's UTM inputs.
 */

export const UTM_FIELDS = ["source", "medium", "campaign", "term", "content"] as const;
export type UtmField = (typeof UTM_FIELDS)[number];
export type UtmValues = Partial<Record<UtmField, string | null | undefined>>;
// common/utm.py MAX_UTM_LENGTH.
export const MAX_UTM_LENGTH = 200;

/** Python's urllib.parse.quote_plus: only letters, digits and _.-~ stay; a space is "+". */
export function quotePlus(text: string): string {
  return encodeURIComponent(text)
    .replace(/[!'()*]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, "+");
}

/** Python's urllib.parse.unquote_plus, which leaves a malformed escape as it is instead of failing. */
function unquotePlus(text: string): string {
  const spaced = text.replace(/\+/g, " ");
  try {
    return decodeURIComponent(spaced);
  } catch {
    return spaced.replace(/(?:%[0-9a-fA-F]{2})+/g, (run) => {
      try {
        return decodeURIComponent(run);
      } catch {
        return run;
      }
    });
  }
}

/** The set fields as utm_<field> → value, in UTM_FIELDS order; blank values are not set. */
function wantedParameters(utm: UtmValues): Map<string, string> {
  const wanted = new Map<string, string>();
  for (const field of UTM_FIELDS) {
    const value = utm[field]?.trim();
    if (value) wanted.set(`utm_${field}`, value);
  }
  return wanted;
}

/**
 * ``target`` with ``utm_<field>=<value>`` for every set field; ``target`` itself when none is set.
 * Null when fields are set but the target is no absolute URL (the form shows that error already).
 */
export function withUtm(target: string, utm: UtmValues): string | null {
  const wanted = wantedParameters(utm);
  if (wanted.size === 0) return target;
  let url: URL;
  try {
    url = new URL(target.trim());
  } catch {
    return null;
  }
  const kept = url.search
    .slice(1)
    .split("&")
    .filter((pair) => pair && !wanted.has(unquotePlus(pair.split("=", 1)[0] ?? "")));
  const added = [...wanted].map(([name, value]) => `${quotePlus(name)}=${quotePlus(value)}`).join("&");
  url.search = [...kept, added].join("&");
  return url.href;
}
