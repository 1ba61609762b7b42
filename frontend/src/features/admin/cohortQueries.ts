/**
 * Cohorts and usage in the app's query cache. Keys start with `admin` (see `adminKeys`), so the
 * live stream's reload refetches them too; every change invalidates what it touched.
 */
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import {
  addCohortMembers,
  addCohortMentor,
  createCohort,
  getCohort,
  listCohorts,
  removeCohortMember,
  removeCohortMentor,
  updateCohort,
} from '../../api/cohorts';
import type { Cohort, CohortCreate, CohortUpdate, UsageGroup, User } from '../../api/types';
import { usageReport, type UsageFilters } from '../../api/usage';
import { listUsers } from '../../api/users';
import { pagedList, type PagedList } from './queries';

export const cohortKeys = {
  all: ['admin', 'cohorts'] as const,
  list: ['admin', 'cohorts', 'list'] as const,
  one: (id: string) => ['admin', 'cohorts', 'one', id] as const,
  members: (id: string) => ['admin', 'cohorts', 'members', id] as const,
  usage: (group: UsageGroup, filters: UsageFilters) => ['admin', 'usage', group, filters] as const,
};

export function useCohorts(): PagedList<Cohort> {
  return pagedList(
    useInfiniteQuery({
      queryKey: cohortKeys.list,
      queryFn: ({ pageParam }) => listCohorts(pageParam),
      initialPageParam: null as string | null,
      getNextPageParam: (last) => last.next_cursor ?? null,
    }),
  );
}

export function useCohort(id: string) {
  return useQuery({ queryKey: cohortKeys.one(id), queryFn: () => getCohort(id) });
}

/** The cohort's current participants (the user list filtered by cohort). */
export function useCohortMembers(id: string): PagedList<User> {
  return pagedList(
    useInfiniteQuery({
      queryKey: cohortKeys.members(id),
      queryFn: ({ pageParam }) => listUsers({ cohort_id: id, cursor: pageParam, limit: 100 }),
      initialPageParam: null as string | null,
      getNextPageParam: (last) => last.next_cursor ?? null,
    }),
  );
}

/** Create (no id) or edit a cohort; the lists and the cohort refetch. */
export function useSaveCohort(id: string | null) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: CohortCreate | CohortUpdate) => (id ? updateCohort(id, body) : createCohort(body as CohortCreate)),
    onSuccess: (saved) => {
      client.setQueryData(cohortKeys.one(saved.id), saved);
      void client.invalidateQueries({ queryKey: cohortKeys.list });
    },
  });
}

type Change =
  | { kind: 'addMembers'; userIds: string[] }
  | { kind: 'removeMember' | 'addMentor' | 'removeMentor'; userId: string };

/** Members and mentors of one cohort: add, remove; its counts and lists refetch after. */
export function useCohortChange(id: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async (change: Change): Promise<void> => {
      if (change.kind === 'addMembers') await addCohortMembers(id, change.userIds);
      else if (change.kind === 'removeMember') await removeCohortMember(id, change.userId);
      else if (change.kind === 'addMentor') await addCohortMentor(id, change.userId);
      else await removeCohortMentor(id, change.userId);
    },
    onSettled: () => client.invalidateQueries({ queryKey: cohortKeys.all }),
  });
}

export function useUsage(group: UsageGroup, filters: UsageFilters) {
  return useQuery({ queryKey: cohortKeys.usage(group, filters), queryFn: () => usageReport(group, filters) });
}
