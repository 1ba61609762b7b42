import { useCallback, useEffect, useRef, useState } from 'react';
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

interface State<T> {
  /** Which query these items answer; differs from the current one while it loads. */
  key: string | null;
  items: T[];
  cursor: string | null;
  error: unknown;
  loadingMore: boolean;
}

/**
 * Cursor pagination for lists: the first page loads whenever `key` changes
 * (e.g. the filters), later pages append. Answers to stale queries are dropped.
 */
export function usePaged<T>(fetchPage: (cursor: string | null) => Promise<Page<T>>, key: string): Paged<T> {
  const [generation, setGeneration] = useState(0);
  const [state, setState] = useState<State<T>>({ key: null, items: [], cursor: null, error: null, loadingMore: false });
  const fetchRef = useRef(fetchPage);
  const query = `${key}#${generation}`;

  useEffect(() => {
    fetchRef.current = fetchPage;
  });

  useEffect(() => {
    let active = true;
    fetchRef.current(null).then(
      (page) => active && setState({ key: query, items: page.items, cursor: page.next_cursor ?? null, error: null, loadingMore: false }),
      (error: unknown) => active && setState((s) => ({ ...s, key: query, error, loadingMore: false })),
    );
    return () => {
      active = false;
    };
  }, [query]);

  const loading = state.key !== query || state.loadingMore;
  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  const setItems = useCallback((update: (items: T[]) => T[]) => setState((s) => ({ ...s, items: update(s.items) })), []);

  return {
    items: state.items,
    loading,
    error: state.key === query ? state.error : null,
    hasMore: state.cursor !== null && state.key === query,
    loadMore: () => {
      const { cursor } = state;
      if (!cursor || loading) return;
      setState((s) => ({ ...s, loadingMore: true }));
      fetchRef.current(cursor).then(
        (page) =>
          setState((s) =>
            s.key === query ? { ...s, items: [...s.items, ...page.items], cursor: page.next_cursor ?? null, loadingMore: false } : s,
          ),
        (error: unknown) => setState((s) => (s.key === query ? { ...s, error, loadingMore: false } : s)),
      );
    },
    reload,
    setItems,
  };
}
