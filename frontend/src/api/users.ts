import { api, expectOk, unwrap } from './client';
import type { MeUpdate, Page, User, UserCreate, UserUpdate } from './types';

export const getMe = (): Promise<User> => unwrap(api.GET('/users/me'));

export const updateMe = (body: MeUpdate): Promise<User> => unwrap(api.PUT('/users/me', { body }));

export const listUsers = (params: {
  search?: string;
  /** Only that cohort's current participants. */
  cohort_id?: string;
  cursor?: string | null;
  limit?: number;
}): Promise<Page<User>> =>
  unwrap(
    api.GET('/users', {
      params: {
        query: {
          search: params.search || undefined,
          cohort_id: params.cohort_id || undefined,
          cursor: params.cursor ?? undefined,
          limit: params.limit,
        },
      },
    }),
  );

export const createUser = (body: UserCreate): Promise<User> => unwrap(api.POST('/users', { body }));

export const updateUser = (id: string, body: UserUpdate): Promise<User> =>
  unwrap(api.PUT('/users/{user_id}', { params: { path: { user_id: id } }, body }));

export const deleteUser = (id: string): Promise<void> =>
  expectOk(api.DELETE('/users/{user_id}', { params: { path: { user_id: id } } }));
