/** The admin conversation list's filters: as the URL and the form hold them, and as the API takes them. */
import type { ConversationFilters } from '../../api/admin';
import type { Agent } from '../../api/types';

export const FILTER_KEYS = ['user_id', 'cohort_id', 'channel', 'agent', 'date_from', 'date_to', 'q', 'thumbs_down', 'fallback', 'failed_delivery'] as const;
/** Yes/no filters: "1" in the form and the URL when set. */
export const FLAGS = [
  ['thumbs_down', 'admin.thumbsDown'],
  ['fallback', 'admin.fallbacks'],
  ['failed_delivery', 'admin.failedDeliveries'],
] as const;
export type FilterKey = (typeof FILTER_KEYS)[number];
export type FilterForm = Record<FilterKey, string>;

export function readFilters(params: URLSearchParams): FilterForm {
  return Object.fromEntries(FILTER_KEYS.map((key) => [key, params.get(key) ?? ''])) as FilterForm;
}

/** A day from <input type="date"> as the start or the end of that day in the user's time zone. */
export const dayStart = (d: string): string | undefined => (d ? new Date(`${d}T00:00:00`).toISOString() : undefined);
export const dayEnd = (d: string): string | undefined => (d ? new Date(`${d}T23:59:59.999`).toISOString() : undefined);

export function toApiFilters(form: FilterForm): ConversationFilters {
  return {
    user_id: form.user_id || undefined,
    cohort_id: form.cohort_id || undefined,
    channel: form.channel || undefined,
    agent: (form.agent || undefined) as Agent | undefined,
    date_from: dayStart(form.date_from),
    date_to: dayEnd(form.date_to),
    q: form.q.trim() || undefined,
    thumbs_down: form.thumbs_down === '1' || undefined,
    fallback: form.fallback === '1' || undefined,
    failed_delivery: form.failed_delivery === '1' || undefined,
  };
}
