/**
 * What each API key scope allows (admin/auth/principal.py and the routes that require it). A key
 * acts as its owner within its scopes; no key, whatever its scopes, can manage API keys, change a
 * password or manage users.
 */
import { z } from "zod";
import type { components } from "../../api/schema";

export type Scope = components["schemas"]["ApiKeyPublic"]["scopes"][number];

export const SCOPES: readonly { scope: Scope; label: string; allows: string }[] = [
  { scope: "links:read", label: "Read links", allows: "List and read your links, their tags and QR codes, and export them as CSV." },
  { scope: "links:write", label: "Write links", allows: "Create, change, disable, enable and delete your links, one by one, in bulk or by CSV import." },
  { scope: "analytics:read", label: "Read analytics", allows: "Read the click analytics and recent clicks of your links, and export clicks as CSV." },
];

const SCOPE_NAMES = SCOPES.map(({ scope }) => scope) as [Scope, ...Scope[]];
// The API's limits on a key's name (admin/apikeys.py, ApiKeyCreate).
const MAX_NAME_LENGTH = 100;
// The API refuses control characters (line breaks, escapes) in a name.
const CONTROL_CHARACTERS = /\p{Cc}/u;

export const createKeySchema = z.object({
  name: z
    .string()
    .trim()
    .min(1, "Name the key after what will use it, e.g. “Deploy script”.")
    .max(MAX_NAME_LENGTH, `Use at most ${MAX_NAME_LENGTH} characters.`)
    .refine((name) => !CONTROL_CHARACTERS.test(name), "Use no line breaks or control characters."),
  scopes: z.array(z.enum(SCOPE_NAMES)).min(1, "Choose at least one scope."),
});

export type CreateKeyValues = z.output<typeof createKeySchema>;

/** The `curl` line that shows how a key is sent: in the X-API-Key header. */
export function curlExample(origin: string, key = "<your key>"): string {
  return `curl -H "X-API-Key: ${key}" ${origin}/api/v1/links`;
}
