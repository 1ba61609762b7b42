import { api, expectOk, unwrap } from './client';
import { errorFromResponse, networkError } from './errors';
import { session } from './session';
import type { ImportReport, MeUpdate, Page, User, UserCreate, UserUpdate } from './types';

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

/** Enrols the participants a CSV file lists; the report names, by line, the rows that were not. */
export async function importUsers(csv: string): Promise<ImportReport> {
  let response: Response;
  try {
    response = await session.fetch(
      new Request(`${session.baseUrl}/admin/users/import`, {
        method: 'POST',
        headers: { 'Content-Type': 'text/csv' },
        body: csv,
      }),
    );
  } catch (cause) {
    throw networkError(cause);
  }
  if (!response.ok) throw await errorFromResponse(response);
  return (await response.json()) as ImportReport;
}
