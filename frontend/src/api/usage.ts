import { api, expectOk, unwrap } from './client';
import { saveDownload } from './downloads';
import type { CapLiftOut, UsageGroup, UsageItem } from './types';

export interface UsageFilters {
  date_from?: string;
  date_to?: string;
  cohort_id?: string;
}

const query = (filters: UsageFilters) => ({
  date_from: filters.date_from || undefined,
  date_to: filters.date_to || undefined,
  cohort_id: filters.cohort_id || undefined,
});

/** Tokens and cost summed by `group`: days in order, cohorts and participants biggest spend first. */
export const usageReport = (group: UsageGroup, filters: UsageFilters): Promise<UsageItem[]> =>
  unwrap(api.GET('/admin/usage', { params: { query: { group, ...query(filters) } } })).then((r) => r.items);

/** The same report as a CSV file, saved to the admin's device (audited by the API). */
export function downloadUsageCsv(group: UsageGroup, filters: UsageFilters): Promise<void> {
  const search = new URLSearchParams({ group });
  for (const [key, value] of Object.entries(query(filters))) if (value) search.set(key, value);
  return saveDownload(`/admin/usage.csv?${search.toString()}`, `usage-by-${group}.csv`);
}

/** Lets one participant past their own caps until `until` (default: the start of next month). */
export const liftUsageCap = (userId: string, until?: string): Promise<CapLiftOut> =>
  unwrap(
    api.PUT('/admin/users/{user_id}/usage-cap-lift', { params: { path: { user_id: userId } }, body: until ? { until } : {} }),
  );

export const endUsageCapLift = (userId: string): Promise<void> =>
  expectOk(api.DELETE('/admin/users/{user_id}/usage-cap-lift', { params: { path: { user_id: userId } } }));
