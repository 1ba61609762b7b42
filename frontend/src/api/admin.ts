import { api, unwrap, unwrapAs } from './client';
import { attachmentName, saveBlob } from './download';
import { networkError, toApiError } from './errors';
import type { AdminConversation, Agent, AuditEntry, Channel, Page, Transcript } from './types';

export interface ConversationFilters {
  user_id?: string;
  /** The conversations of that cohort's current participants. */
  cohort_id?: string;
  channel?: Channel;
  agent?: Agent;
  date_from?: string;
  date_to?: string;
  q?: string;
  thumbs_down?: boolean;
  fallback?: boolean;
  failed_delivery?: boolean;
}

/** Drops empty strings so the API sees only the filters that are set. */
function compact<T extends object>(filters: T): T {
  return Object.fromEntries(Object.entries(filters).filter(([, v]) => v !== '' && v != null && v !== false)) as T;
}

export const adminListConversations = (
  filters: ConversationFilters,
  cursor?: string | null,
): Promise<Page<AdminConversation>> =>
  unwrap(
    api.GET('/admin/conversations', { params: { query: { ...compact(filters), cursor: cursor ?? undefined } } }),
  );

export const adminTranscript = (id: string): Promise<Transcript> =>
  unwrapAs(api.GET('/admin/conversations/{conversation_id}', { params: { path: { conversation_id: id } } }));

export const adminUserConversations = (userId: string, cursor?: string | null): Promise<Page<AdminConversation>> =>
  unwrap(
    api.GET('/admin/users/{user_id}/conversations', {
      params: { path: { user_id: userId }, query: { cursor: cursor ?? undefined } },
    }),
  );

export interface AuditFilters {
  action?: string;
  actor_id?: string;
  /** Calendar days in UTC ("2026-03-01"), both inclusive. */
  from?: string;
  to?: string;
}

export const adminAudit = (filters: AuditFilters, cursor?: string | null): Promise<Page<AuditEntry>> =>
  unwrap(api.GET('/admin/audit', { params: { query: { ...compact(filters), cursor: cursor ?? undefined } } }));

/** Downloads the audit log of the filters' range as CSV (the export is itself audited). */
export async function downloadAuditCsv(filters: AuditFilters): Promise<void> {
  let result;
  try {
    result = await api.GET('/admin/audit.csv', { params: { query: compact(filters) }, parseAs: 'blob' });
  } catch (cause) {
    throw networkError(cause);
  }
  if (!result.response.ok) throw toApiError(result.response, result.error);
  saveBlob(result.data as Blob, attachmentName(result.response, 'audit.csv'));
}
