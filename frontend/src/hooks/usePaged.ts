import { keepPreviousData, useInfiniteQuery, useQueryClient, type InfiniteData } from '@tanstack/react-query';
import { useCallback, useEffect, useRef } from 'react';
import type { Page } from '../api/types';

export interface Paged<T> {
  items: T[];
  loading: boolean;
  error: unknown;
  hasMore: boolean;
  loadMore: () => void;
  reload: () => void;
  /** Local edits (after a create, update or delete) without refetching. */
  setItems: (update: (items: T[]) => T[]) => void;
}

/**
 * Cursor pagination for lists, as an infinite query in the app's one query cache: the first
 * page loads whenever `key` changes (e.g. the filters; the previous items stay on screen until
 * the new ones arrive), later pages append, and a list seen before shows at once while it is
 * fetched again. `key` names the list and everything it depends on.
 */
export function usePaged<T>(fetchPage: (cursor: string | null) => Promise<Page<T>>, key: string): Paged<T> {
  const client = useQueryClient();
  const fetchRef = useRef(fetchPage);
  useEffect(() => {
    fetchRef.current = fetchPage;
  });
  const queryKey = ['paged', key] as const;
  const query = useInfiniteQuery({
    queryKey,
    queryFn: ({ pageParam }) => fetchRef.current(pageParam),
    initialPageParam: null as string | null,
    getNextPageParam: (last: Page<T>) => last.next_cursor ?? null,
    placeholderData: keepPreviousData,
    // Lists are read fresh on every visit (shown from the cache meanwhile) and fail fast, as before.
    staleTime: 0,
    retry: false,
  });
  const { fetchNextPage, refetch } = query;

  const setItems = useCallback(
    (update: (items: T[]) => T[]) =>
      client.setQueryData<InfiniteData<Page<T>, string | null>>(['paged', key], (data) => {
        if (!data) return data;
        const [first, ...rest] = data.pages;
        if (!first) return data;
        // The edited list goes in the first page; the later pages keep their cursors.
        const items = update(data.pages.flatMap((page) => page.items));
        return { ...data, pages: [{ ...first, items }, ...rest.map((page) => ({ ...page, items: [] }))] };
      }),
    [client, key],
  );
  const reload = useCallback(() => void refetch(), [refetch]);

  const current = !query.isPlaceholderData;
  const loading = query.isPending || query.isFetching;
  return {
    items: query.data?.pages.flatMap((page) => page.items) ?? [],
    loading,
    error: current ? query.error : null,
    hasMore: current && query.hasNextPage,
    loadMore: () => {
      if (!query.hasNextPage || loading) return;
      void fetchNextPage();
    },
    reload,
    setItems,
  };
}
