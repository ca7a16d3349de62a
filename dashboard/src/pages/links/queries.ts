/**
 * The links area's server state: TanStack Query hooks over /api/v1/links and /api/v1/tags.
 * Keys start with "links"; every mutation invalidates ["links"] (lists, details, tags and QR codes).
 * A link is its code and its domain (linkRef.ts): every call for one passes both, and its keys hold
 * its ``linkKey``.
 */
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, authorizedFetch, unwrap } from "../../api/client";
import type { components } from "../../api/schema";
import { byDomain } from "./bulkActions";
import type { BulkResult } from "./csvImport";
import type { FileSource, ImportReport } from "./sourceImport";
import type { LinkCreateBody, LinkUpdateBody } from "./linkSchema";
import { type LinkRef, domainQuery, linkApiUrl, linkKey } from "./linkRef";
import { type ListParams, apiQuery } from "./listParams";

export type Link = components["schemas"]["LinkPublic"];
export type LinkAction = components["schemas"]["LinkActionsIn"]["action"];
export type LinkActionsResult = components["schemas"]["LinkActionsResult"];

export const linkKeys = {
  all: ["links"] as const,
  list: (params: ListParams) => ["links", "list", params] as const,
  detail: (ref: LinkRef) => ["links", "detail", linkKey(ref)] as const,
  qr: (ref: LinkRef) => ["links", "qr", linkKey(ref)] as const,
  tags: ["links", "tags"] as const,
};

export function useLinks(params: ListParams) {
  return useQuery({
    queryKey: linkKeys.list(params),
    queryFn: () => unwrap(api.GET("/api/v1/links", { params: { query: apiQuery(params) } })),
    // The old page stays on screen (dimmed) while the next one loads, instead of a spinner flash.
    placeholderData: keepPreviousData,
  });
}

export function useTags() {
  return useQuery({ queryKey: linkKeys.tags, queryFn: () => unwrap(api.GET("/api/v1/tags")), staleTime: 60_000 });
}

/** The path and query of the API's routes for one link. */
export function linkParams({ code, domain }: LinkRef) {
  return { params: { path: { code }, query: domainQuery(domain) } };
}

export function useLink(ref: LinkRef, { enabled = true }: { enabled?: boolean } = {}) {
  return useQuery({
    queryKey: linkKeys.detail(ref),
    enabled,
    queryFn: () => unwrap(api.GET("/api/v1/links/{code}", linkParams(ref))),
  });
}

/** The QR code as an SVG blob (the page shows it through an object URL: img-src allows blob:). */
export function useQrCode(ref: LinkRef) {
  return useQuery({
    queryKey: linkKeys.qr(ref),
    queryFn: async () => (await authorizedFetch(linkApiUrl(ref, "/qr", { format: "svg" }))).blob(),
    staleTime: Infinity,
  });
}

// A QR code never changes for a code: refetching it after every change would be waste.
const notQr = (query: { queryKey: readonly unknown[] }) => query.queryKey[1] !== "qr";

function useInvalidateLinks() {
  const client = useQueryClient();
  return () => client.invalidateQueries({ queryKey: linkKeys.all, predicate: notQr });
}

export function useCreateLink() {
  const invalidate = useInvalidateLinks();
  return useMutation({
    mutationFn: (body: LinkCreateBody) => unwrap(api.POST("/api/v1/links", { body })),
    onSuccess: () => invalidate(),
  });
}

function useStoreLink() {
  const client = useQueryClient();
  return async (link: Link) => {
    client.setQueryData(linkKeys.detail(link), link);
    // The detail is fresh from the answer; lists and tag counts may have changed.
    await client.invalidateQueries({ queryKey: linkKeys.all, predicate: (query) => notQr(query) && query.queryKey[1] !== "detail" });
  };
}

export function useUpdateLink(ref: LinkRef) {
  const store = useStoreLink();
  return useMutation({
    mutationFn: (body: LinkUpdateBody) => unwrap(api.PATCH("/api/v1/links/{code}", { ...linkParams(ref), body })),
    onSuccess: store,
  });
}

export function useSetDisabled(ref: LinkRef) {
  const store = useStoreLink();
  return useMutation({
    mutationFn: (disabled: boolean) => {
      const options = linkParams(ref);
      return unwrap(disabled ? api.POST("/api/v1/links/{code}/disable", options) : api.POST("/api/v1/links/{code}/enable", options));
    },
    onSuccess: store,
  });
}

export function useDeleteLink(ref: LinkRef) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: () => unwrap(api.DELETE("/api/v1/links/{code}", linkParams(ref))),
    onSuccess: async () => {
      // Gone: asking for it again would only answer 404 on the page being left.
      client.removeQueries({ queryKey: linkKeys.detail(ref) });
      client.removeQueries({ queryKey: linkKeys.qr(ref) });
      await client.invalidateQueries({ queryKey: linkKeys.all, predicate: notQr });
    },
  });
}

export type BulkActionInput = { links: LinkRef[]; action: LinkAction; tags?: string[] };

/** One request per domain of the selection, their results as one. */
export function useBulkAction() {
  const invalidate = useInvalidateLinks();
  return useMutation({
    mutationFn: async ({ links, action, tags }: BulkActionInput): Promise<LinkActionsResult> => {
      const merged: LinkActionsResult = { results: [], succeeded: 0, failed: 0 };
      for (const [domain, codes] of byDomain(links)) {
        const body = { codes, action, ...(tags ? { tags } : {}), ...(domain === null ? {} : { domain }) };
        const result = await unwrap(api.POST("/api/v1/links/actions", { body }));
        merged.results.push(...result.results);
        merged.succeeded += result.succeeded;
        merged.failed += result.failed;
      }
      return merged;
    },
    onSettled: () => invalidate(),
  });
}

/** Upload a CSV as the multipart field `file` (admin/routes/links.py IMPORT_FIELD). */
export function useImportCsv() {
  const invalidate = useInvalidateLinks();
  return useMutation({
    mutationFn: async (file: File): Promise<BulkResult> => {
      const form = new FormData();
      form.append("file", file, file.name);
      const response = await authorizedFetch("/api/v1/links/import.csv", { method: "POST", body: form });
      return (await response.json()) as BulkResult;
    },
    onSuccess: () => invalidate(),
  });
}

export type SourceImportInput = { file: File; source: FileSource; dryRun: boolean };

/** Another shortener's export to POST /api/v1/imports: a dry run (nothing written) or the import. */
export function useSourceImport() {
  const invalidate = useInvalidateLinks();
  return useMutation({
    mutationFn: async ({ file, source, dryRun }: SourceImportInput): Promise<ImportReport> => {
      const form = new FormData();
      form.append("file", file, file.name);
      const query = new URLSearchParams({ source, dry_run: String(dryRun) });
      const response = await authorizedFetch(`/api/v1/imports?${query.toString()}`, { method: "POST", body: form });
      return (await response.json()) as ImportReport;
    },
    onSuccess: async (report) => {
      if (!report.dry_run) await invalidate();
    },
  });
}
