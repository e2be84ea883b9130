import type { ExportDto } from "@exports/core/contract";
import type { QueryClient, QueryKey } from "@tanstack/react-query";

/** What the live stream sends (server/trpc/live-stream.ts LiveEvent), as the client sees it. */
export type LiveChange = { kind: "export"; export: ExportDto; isNew: boolean } | { kind: "resync" };

/** A cached `exports.list` answer (its other fields are kept as they are). */
interface ListPage {
  items: ExportDto[];
}

/** The query keys the dashboard's exports queries live under (the tRPC options proxy's). */
export interface ExportsKeys {
  /** Every `exports.list` query. */
  list: QueryKey;
  /** Every `exports.get` query. */
  get: QueryKey;
  /** The `exports.get` query of one export. */
  getOne: (id: string) => QueryKey;
}

/** The input a list query was made with (tRPC keys are `[path, { input, type }]`). */
function inputOf(key: QueryKey): Record<string, unknown> {
  const second = key[1] as { input?: unknown } | undefined;
  const input = second?.input;
  return typeof input === "object" && input !== null ? (input as Record<string, unknown>) : {};
}

/**
 * Applies one pushed change to the cache, so the pages re-render without asking the server: the detail's
 * record and each list's row are replaced by the pushed record. A list asks again (once) only where the
 * change may move the export in or out of it: a new export, or a new status where the list filters by status.
 */
export function applyLiveChange(queryClient: QueryClient, keys: ExportsKeys, change: LiveChange): void {
  if (change.kind === "resync") {
    void queryClient.invalidateQueries({ queryKey: keys.list });
    void queryClient.invalidateQueries({ queryKey: keys.get });
    return;
  }
  const record = change.export;
  // Kept even before the page asks for it (a new export's page opens after its first changes arrive); an
  // older state never replaces a newer one.
  queryClient.setQueryData<ExportDto>(keys.getOne(record.id), (old) =>
    old && old.modified_date > record.modified_date ? old : record,
  );

  for (const [key, page] of queryClient.getQueriesData<ListPage>({ queryKey: keys.list })) {
    if (!page) continue;
    const at = page.items.findIndex((e) => e.id === record.id);
    const filtersByStatus = Boolean(inputOf(key).status);
    if (at === -1) {
      if (change.isNew || filtersByStatus) void queryClient.invalidateQueries({ queryKey: key, exact: true });
      continue;
    }
    const before = page.items[at];
    const items = page.items.slice();
    items[at] = record;
    queryClient.setQueryData<ListPage>(key, { ...page, items });
    if (filtersByStatus && before?.status !== record.status)
      void queryClient.invalidateQueries({ queryKey: key, exact: true });
  }
}
