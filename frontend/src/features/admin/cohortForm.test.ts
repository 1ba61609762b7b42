import { describe, expect, it } from 'vitest';
import type { Cohort } from '../../api/types';
import { fromCohort, toBody } from './cohortForm';

const cohort: Cohort = {
  id: '7b0f3a52-1f55-4d8e-9a59-0d3f7c1b2a10',
  name: 'Primavera 2027',
  starts_on: '2027-03-01',
  ends_on: '2027-06-30',
  language: 'en',
  retention_days: 90,
  participant_daily_tokens: 1000,
  participant_monthly_tokens: null,
  cohort_daily_tokens: null,
  cohort_monthly_tokens: 250000,
  member_count: 2,
  mentor_ids: [],
  created_at: '2027-01-01T00:00:00Z',
  updated_at: '2027-01-01T00:00:00Z',
};

describe('cohort form', () => {
  it('starts a new cohort in Spanish with a year of retention and no caps', () => {
    expect(fromCohort(null)).toEqual({
      name: '',
      starts_on: '',
      ends_on: '',
      language: 'es',
      retention_days: '365',
      participant_daily_tokens: '',
      participant_monthly_tokens: '',
      cohort_daily_tokens: '',
      cohort_monthly_tokens: '',
    });
  });

  it('round-trips a cohort: a blank cap is sent as null (no cap), numbers as numbers', () => {
    const form = fromCohort(cohort);
    expect(form.participant_daily_tokens).toBe('1000');
    expect(form.participant_monthly_tokens).toBe('');
    expect(toBody({ ...form, name: '  Primavera 2027  ', participant_daily_tokens: ' ' })).toEqual({
      name: 'Primavera 2027',
      starts_on: '2027-03-01',
      ends_on: '2027-06-30',
      language: 'en',
      retention_days: 90,
      participant_daily_tokens: null,
      participant_monthly_tokens: null,
      cohort_daily_tokens: null,
      cohort_monthly_tokens: 250000,
    });
  });
});
