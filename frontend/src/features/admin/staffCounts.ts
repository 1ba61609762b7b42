/**
 * How many queue items wait, for the top bar's badge and the staff area's tabs. Its own small
 * module: the top bar is in the first load, the rest of the staff area is not.
 */
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { queueCounts } from '../../api/mentor';
import { useLiveSignal } from '../../hooks/useLive';

export const countsKey = ['staff', 'counts'] as const;

/** Open items per kind (kept fresh by the live stream, and each minute for snoozes ending). */
export function useQueueCounts(enabled: boolean) {
  const client = useQueryClient();
  useLiveSignal(() => {
    if (enabled) void client.invalidateQueries({ queryKey: countsKey });
  });
  return useQuery({ queryKey: countsKey, queryFn: queueCounts, enabled, refetchInterval: 60_000 });
}
