import { api, expectOk, unwrap } from './client';
import type { MemoryNote, Page } from './types';

/** What Ignacio remembers about the signed-in participant, newest first. */
export const listMyMemory = (cursor?: string | null): Promise<Page<MemoryNote>> =>
  unwrap(api.GET('/users/me/memory', { params: { query: { cursor: cursor ?? undefined } } }));

/** Forget one note: gone from the next answer on, and never noted again. */
export const forgetNote = (id: string): Promise<void> =>
  expectOk(api.DELETE('/users/me/memory/{note_id}', { params: { path: { note_id: id } } }));

/** Admin: a participant's notes (each read is recorded in the audit log). */
export const adminUserMemory = (userId: string, cursor?: string | null): Promise<Page<MemoryNote>> =>
  unwrap(
    api.GET('/admin/users/{user_id}/memory', {
      params: { path: { user_id: userId }, query: { cursor: cursor ?? undefined } },
    }),
  );
