/** The cohort form's values (strings, as inputs hold them) and the API body they become. */
import type { Cohort, CohortCreate, Language } from '../../api/types';

export const CAPS = ['participant_daily_tokens', 'participant_monthly_tokens', 'cohort_daily_tokens', 'cohort_monthly_tokens'] as const;
export type Cap = (typeof CAPS)[number];

export type Form = Record<'name' | 'starts_on' | 'ends_on' | 'retention_days' | Cap, string> & { language: Language };

export function fromCohort(c: Cohort | null): Form {
  const cap = (key: Cap) => (c?.[key] == null ? '' : String(c[key]));
  return {
    name: c?.name ?? '',
    starts_on: c?.starts_on ?? '',
    ends_on: c?.ends_on ?? '',
    language: c?.language ?? 'es',
    retention_days: String(c?.retention_days ?? 365),
    ...(Object.fromEntries(CAPS.map((k) => [k, cap(k)])) as Record<Cap, string>),
  };
}

export function toBody(form: Form): CohortCreate {
  const caps = Object.fromEntries(CAPS.map((k) => [k, form[k].trim() ? Number(form[k]) : null])) as Record<Cap, number | null>;
  const { name, starts_on, ends_on, language } = form;
  return { name: name.trim(), starts_on, ends_on, language, retention_days: Number(form.retention_days), ...caps };
}
