import createClient, { type Middleware } from "openapi-fetch";
import { saveBlob } from "../lib/download";
import { ApiError, isProblem, problemFrom } from "./problem";
import type { paths } from "./schema";
import { SESSION_PATH, accessToken, endSession, refreshSession } from "./session";

// Requests kept unsent, to be sent again once after a 401 refreshed the session.
const retries = new WeakMap<Request, Request>();

const bearer: Middleware = {
  async onRequest({ request }) {
    const token = await accessToken();
    if (token) request.headers.set("Authorization", `Bearer ${token}`);
    retries.set(request, request.clone());
    return request;
  },
  async onResponse({ request, response }) {
    if (response.status !== 401 || request.url.includes(SESSION_PATH)) return response;
    const retry = retries.get(request);
    if (retry && (await refreshSession())) {
      retry.headers.set("Authorization", `Bearer ${await accessToken()}`);
      return fetch(retry);
    }
    endSession();
    return response;
  },
};

/** The typed admin API client: paths and bodies checked against the generated OpenAPI types. */
export const api = createClient<paths>({ baseUrl: "" });
api.use(bearer);

type Result<T> = { data?: T; error?: unknown; response: Response };

/** The data of a successful call; an ApiError carrying the problem details otherwise. */
export async function unwrap<T>(call: Promise<Result<T>>): Promise<T> {
  let result: Result<T>;
  try {
    result = await call;
  } catch {
    throw new ApiError(0, null, "The admin API cannot be reached. Check your connection and try again.");
  }
  const { data, error, response } = result;
  if (!response.ok) {
    const failure = new ApiError(response.status, isProblem(error) ? error : null, `${response.status} ${response.statusText}`);
    const retryAfter = Number(response.headers.get("Retry-After"));
    if (Number.isFinite(retryAfter) && retryAfter > 0) failure.retryAfter = retryAfter;
    throw failure;
  }
  return data as T;
}

/** fetch() with the session's bearer token, for what openapi-fetch does not parse (CSV, images). */
export async function authorizedFetch(url: string, init: RequestInit = {}): Promise<Response> {
  const send = async () => {
    const headers = new Headers(init.headers);
    const token = await accessToken();
    if (token) headers.set("Authorization", `Bearer ${token}`);
    return fetch(url, { ...init, headers });
  };
  let response = await send();
  if (response.status === 401 && (await refreshSession())) response = await send();
  if (response.status === 401) endSession();
  if (!response.ok) throw await problemFrom(response);
  return response;
}

/** Fetch a file with the session and hand it to the browser as a download. */
export async function downloadFile(url: string, filename: string): Promise<void> {
  saveBlob(await (await authorizedFetch(url)).blob(), filename);
}
