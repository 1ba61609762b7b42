/** The staff area's API: mentors (their participants) and admins (everyone). */
import { api, expectOk, unwrap, unwrapAs } from './client';
import type {
  AdminConversation,
  AttentionKind,
  EvalCase,
  MentorAssignment,
  MentorTranscript,
  Message,
  Page,
  PauseInfo,
  PromoteRequest,
  QueueCounts,
  QueueItem,
} from './types';

const conversation = (id: string) => ({ params: { path: { conversation_id: id } } });
const item = (id: string) => ({ params: { path: { item_id: id } } });

export const mentorConversations = (userId?: string, cursor?: string | null): Promise<Page<AdminConversation>> =>
  unwrap(api.GET('/mentor/conversations', { params: { query: { user_id: userId || undefined, cursor: cursor ?? undefined } } }));

export const mentorTranscript = (id: string): Promise<MentorTranscript> =>
  unwrapAs(api.GET('/mentor/conversations/{conversation_id}', conversation(id)));

export const pauseConversation = (id: string): Promise<PauseInfo> =>
  unwrap(api.POST('/mentor/conversations/{conversation_id}/pause', conversation(id)));

export const resumeConversation = (id: string): Promise<void> =>
  expectOk(api.POST('/mentor/conversations/{conversation_id}/resume', conversation(id)));

export const sendMentorMessage = (id: string, content: string): Promise<Message> =>
  unwrapAs(api.POST('/mentor/conversations/{conversation_id}/messages', { ...conversation(id), body: { content } }));

export const queueList = (kind?: AttentionKind, cursor?: string | null): Promise<Page<QueueItem>> =>
  unwrap(api.GET('/mentor/queue', { params: { query: { kind, cursor: cursor ?? undefined } } }));

export const queueCounts = (): Promise<QueueCounts> => unwrap(api.GET('/mentor/queue/counts'));

export const claimItem = (id: string): Promise<QueueItem> => unwrap(api.POST('/mentor/queue/{item_id}/claim', item(id)));

export const snoozeItem = (id: string, minutes: number): Promise<QueueItem> =>
  unwrap(api.POST('/mentor/queue/{item_id}/snooze', { ...item(id), body: { minutes } }));

export const resolveItem = (id: string, note: string): Promise<void> =>
  expectOk(api.POST('/mentor/queue/{item_id}/resolve', { ...item(id), body: { note } }));

export const promoteMessage = (messageId: string, body: PromoteRequest): Promise<EvalCase[]> =>
  unwrap(api.POST('/mentor/messages/{message_id}/promote', { params: { path: { message_id: messageId } }, body }));

export const evalCases = (): Promise<EvalCase[]> => unwrap(api.GET('/mentor/eval-cases'));

export const participantMentors = (participantId: string): Promise<MentorAssignment[]> =>
  unwrap(api.GET('/mentor/assignments', { params: { query: { participant_id: participantId } } }));

export const assignMentor = (mentorId: string, participantId: string): Promise<MentorAssignment> =>
  unwrap(api.POST('/mentor/assignments', { body: { mentor_id: mentorId, participant_id: participantId } }));

export const unassignMentor = (mentorId: string, participantId: string): Promise<void> =>
  expectOk(
    api.DELETE('/mentor/assignments/{mentor_id}/{participant_id}', {
      params: { path: { mentor_id: mentorId, participant_id: participantId } },
    }),
  );

