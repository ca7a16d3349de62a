/**
 * Where an API error about a link belongs in the form: validation problems (`errors` with
 * loc ["body", field]) and a rejected target under their field; a taken or reserved code (409
 * code_taken, 422 code_reserved, which carry no `errors`) under the code; the rest above the buttons.
 */
import { ApiError, fieldErrors } from "../../api/problem";
import { LINK_FIELDS, type LinkField } from "./linkSchema";
import { routingErrors } from "./routing";

const CODE_ERRORS = new Set(["code_taken", "code_reserved"]);
// Objects of the body whose fields are inputs of their own (utm.source is the utm_source input).
const NESTED: ReadonlySet<string> = new Set(["utm", "preview"]);
// Lists whose errors the routing editor places itself (routing.ts routingErrors).
const ROUTING: ReadonlySet<string> = new Set(["rules", "variants"]);

export type LinkFormErrors = {
  fields: Partial<Record<LinkField, string>>;
  /** What no field shows (null when every message found its field). */
  form: unknown;
};

function isLinkField(name: string): name is LinkField {
  return (LINK_FIELDS as readonly string[]).includes(name);
}

// Pydantic prefixes the messages of custom validators: "Value error, expires_at ... is not in the future".
function readable(message: string): string {
  const text = message.replace(/^Value error, /, "");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export function linkFormErrors(error: unknown): LinkFormErrors {
  if (error instanceof ApiError && CODE_ERRORS.has(error.code)) {
    return { fields: { code: readable(error.message) }, form: null };
  }
  const fields: LinkFormErrors["fields"] = {};
  let unplaced = false;
  for (const [name, message] of Object.entries(fieldErrors(error, NESTED))) {
    if (isLinkField(name)) fields[name] = readable(message);
    else if (!ROUTING.has(name)) unplaced = true;
  }
  const placed = Object.keys(fields).length > 0 || routingErrors(error).length > 0;
  return { fields, form: !placed || unplaced ? error : null };
}
