/**
 * The admin area's server state, in the app's query cache. Keys start with `admin` so the live
 * stream can refetch exactly what a change touches (see `useAdminLive`).
 */
import { useInfiniteQuery, useQuery, useQueryClient, type InfiniteData } from '@tanstack/react-query';
import { adminAudit, adminListConversations, adminTranscript, type AuditFilters, type ConversationFilters } from '../../api/admin';
import type { AdminConversation, AuditEntry, Page } from '../../api/types';
import { useLiveSignal } from '../../hooks/useLive';

export const adminKeys = {
  all: ['admin'] as const,
  conversations: (filters: ConversationFilters) => ['admin', 'conversations', filters] as const,
  transcript: (id: string) => ['admin', 'transcript', id] as const,
  audit: (filters: AuditFilters) => ['admin', 'audit', filters] as const,
};

export function useTranscript(id: string) {
  return useQuery({ queryKey: adminKeys.transcript(id), queryFn: () => adminTranscript(id) });
}

export interface PagedList<T> {
  items: T[];
  loading: boolean;
  error: unknown;
  hasMore: boolean;
  loadMore: () => void;
  reload: () => void;
}

/** A cursor-paged list as the pages loaded so far, newest first. */
export function pagedList<T>(query: {
  data?: InfiniteData<Page<T>>;
  isPending: boolean;
  isFetchingNextPage: boolean;
  error: unknown;
  hasNextPage: boolean;
  fetchNextPage: () => unknown;
  refetch: () => unknown;
}): PagedList<T> {
  return {
    items: query.data?.pages.flatMap((page) => page.items) ?? [],
    loading: query.isPending || query.isFetchingNextPage,
    error: query.error,
    hasMore: query.hasNextPage,
    loadMore: () => void query.fetchNextPage(),
    reload: () => void query.refetch(),
  };
}

export function useAdminConversations(filters: ConversationFilters): PagedList<AdminConversation> {
  return pagedList(
    useInfiniteQuery({
      queryKey: adminKeys.conversations(filters),
      queryFn: ({ pageParam }) => adminListConversations(filters, pageParam),
      initialPageParam: null as string | null,
      getNextPageParam: (last) => last.next_cursor ?? null,
    }),
  );
}

/** The audit log for the filters, newest first, a page at a time. */
export function useAdminAudit(filters: AuditFilters): PagedList<AuditEntry> {
  return pagedList(
    useInfiniteQuery({
      queryKey: adminKeys.audit(filters),
      queryFn: ({ pageParam }) => adminAudit(filters, pageParam),
      initialPageParam: null as string | null,
      getNextPageParam: (last) => last.next_cursor ?? null,
    }),
  );
}

/** Live changes refetch the lists and the transcript they touch (only those on screen refetch now). */
export function useAdminLive(): void {
  const client = useQueryClient();
  useLiveSignal((signal) => {
    if (signal.type === 'reload') {
      void client.invalidateQueries({ queryKey: adminKeys.all });
      return;
    }
    void client.invalidateQueries({ queryKey: ['admin', 'conversations'] });
    const id = signal.change.conversation_id;
    if (id) void client.invalidateQueries({ queryKey: adminKeys.transcript(id) });
  });
}
