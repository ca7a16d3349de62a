import type { components } from "./schema";

export type ProblemDetails = components["schemas"]["ProblemDetails"];

/** An error the admin API answered (RFC 9457 problem details), or a network failure (status 0). */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly problem: ProblemDetails | null;

  constructor(status: number, problem: ProblemDetails | null, fallback: string) {
    super(problem?.detail ?? problem?.title ?? fallback);
    this.name = "ApiError";
    this.status = status;
    this.code = problem?.code ?? "unknown";
    this.problem = problem;
  }

  /** Seconds to wait before trying again, from a 429's Retry-After, when the API said. */
  retryAfter: number | null = null;
}

export function isProblem(value: unknown): value is ProblemDetails {
  return typeof value === "object" && value !== null && "status" in value && "code" in value;
}

export async function problemFrom(response: Response): Promise<ApiError> {
  let body: unknown = null;
  try {
    body = await response.json();
  } catch {
    // Not JSON (a proxy's error page, say): the status line is all there is.
  }
  const error = new ApiError(response.status, isProblem(body) ? body : null, `${response.status} ${response.statusText}`);
  const retry = Number(response.headers.get("Retry-After"));
  if (Number.isFinite(retry) && retry > 0) error.retryAfter = retry;
  return error;
}

const NONE: ReadonlySet<string> = new Set();

/** `loc: ["body", "utm", "source"]` is `utm_source` when "utm" is one of the ``nested`` objects, else `utm`. */
function fieldName(loc: unknown[], nested: ReadonlySet<string>): string {
  const name = String(loc[1]);
  return nested.has(name) && loc.length > 2 ? `${name}_${String(loc[2])}` : name;
}

/**
 * The per-field messages of a validation problem, keyed by the body field they concern
 * (`loc: ["body", "target_url"]` becomes `target_url`; a field of a ``nested`` object is named
 * `<object>_<field>`); errors about the whole body go under "".
 */
export function fieldErrors(error: unknown, nested: ReadonlySet<string> = NONE): Record<string, string> {
  if (!(error instanceof ApiError) || !error.problem?.errors) return {};
  const fields: Record<string, string> = {};
  for (const item of error.problem.errors) {
    const loc = Array.isArray(item.loc) ? item.loc : [];
    const field = loc[0] === "body" && loc.length > 1 ? fieldName(loc, nested) : "";
    const message = typeof item.msg === "string" ? item.msg : "is not valid";
    fields[field] ??= message;
  }
  return fields;
}

export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof Error) return error.message;
  return "Something went wrong.";
}
