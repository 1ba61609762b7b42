import { api, expectOk, unwrap } from './client';
import type { Cohort, CohortCreate, CohortMembership, CohortUpdate, Page } from './types';

export const listCohorts = (cursor?: string | null): Promise<Page<Cohort>> =>
  unwrap(api.GET('/admin/cohorts', { params: { query: { cursor: cursor ?? undefined, limit: 100 } } }));

export const getCohort = (id: string): Promise<Cohort> =>
  unwrap(api.GET('/admin/cohorts/{cohort_id}', { params: { path: { cohort_id: id } } }));

export const createCohort = (body: CohortCreate): Promise<Cohort> => unwrap(api.POST('/admin/cohorts', { body }));

export const updateCohort = (id: string, body: CohortUpdate): Promise<Cohort> =>
  unwrap(api.PUT('/admin/cohorts/{cohort_id}', { params: { path: { cohort_id: id } }, body }));

/** Puts participants in the cohort (moving them out of any other); answers who moved. */
export const addCohortMembers = (id: string, userIds: string[]): Promise<string[]> =>
  unwrap(
    api.POST('/admin/cohorts/{cohort_id}/members', { params: { path: { cohort_id: id } }, body: { user_ids: userIds } }),
  ).then((added) => added.moved);

export const removeCohortMember = (id: string, userId: string): Promise<void> =>
  expectOk(api.DELETE('/admin/cohorts/{cohort_id}/members/{user_id}', { params: { path: { cohort_id: id, user_id: userId } } }));

export const addCohortMentor = (id: string, userId: string): Promise<void> =>
  expectOk(api.PUT('/admin/cohorts/{cohort_id}/mentors/{user_id}', { params: { path: { cohort_id: id, user_id: userId } } }));

export const removeCohortMentor = (id: string, userId: string): Promise<void> =>
  expectOk(api.DELETE('/admin/cohorts/{cohort_id}/mentors/{user_id}', { params: { path: { cohort_id: id, user_id: userId } } }));

export const userCohorts = (userId: string): Promise<CohortMembership[]> =>
  unwrap(api.GET('/admin/users/{user_id}/cohorts', { params: { path: { user_id: userId } } })).then((h) => h.items);
