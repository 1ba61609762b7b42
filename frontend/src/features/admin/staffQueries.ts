/**
 * The staff area's server state (mentors: their participants; admins: everyone). Keys start
 * with `staff` so the live stream refetches what a change touches (see `useStaffLive`).
 */
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import {
  claimItem,
  mentorConversations,
  mentorTranscript,
  pauseConversation,
  queueList,
  resolveItem,
  resumeConversation,
  sendMentorMessage,
  snoozeItem,
} from '../../api/mentor';
import type { AdminConversation, AttentionKind, QueueItem } from '../../api/types';
import { useLiveSignal } from '../../hooks/useLive';
import { pagedList, type PagedList } from './queries';

export { useQueueCounts } from './staffCounts';

export const staffKeys = {
  all: ['staff'] as const,
  conversations: (userId: string) => ['staff', 'conversations', userId] as const,
  transcript: (id: string) => ['staff', 'transcript', id] as const,
  queue: (kind: AttentionKind | '') => ['staff', 'queue', kind] as const,
};

export function useStaffConversations(userId: string): PagedList<AdminConversation> {
  return pagedList(
    useInfiniteQuery({
      queryKey: staffKeys.conversations(userId),
      queryFn: ({ pageParam }) => mentorConversations(userId, pageParam),
      initialPageParam: null as string | null,
      getNextPageParam: (last) => last.next_cursor ?? null,
    }),
  );
}

export function useStaffTranscript(id: string) {
  return useQuery({ queryKey: staffKeys.transcript(id), queryFn: () => mentorTranscript(id) });
}

export function useQueue(kind: AttentionKind | ''): PagedList<QueueItem> {
  return pagedList(
    useInfiniteQuery({
      queryKey: staffKeys.queue(kind),
      queryFn: ({ pageParam }) => queueList(kind || undefined, pageParam),
      initialPageParam: null as string | null,
      getNextPageParam: (last) => last.next_cursor ?? null,
    }),
  );
}

/** Pause, resume and write: each refetches the transcript (and the lists it changes). */
export function useTakeover(conversationId: string) {
  const client = useQueryClient();
  const settle = () => client.invalidateQueries({ queryKey: staffKeys.all });
  return {
    pause: useMutation({ mutationFn: () => pauseConversation(conversationId), onSettled: settle }),
    resume: useMutation({ mutationFn: () => resumeConversation(conversationId), onSettled: settle }),
    send: useMutation({ mutationFn: (content: string) => sendMentorMessage(conversationId, content), onSettled: settle }),
  };
}

/** Claim, snooze and resolve a queue item; the queue and its counts refetch after each. */
export function useQueueActions() {
  const client = useQueryClient();
  const settle = () => client.invalidateQueries({ queryKey: staffKeys.all });
  return {
    claim: useMutation({ mutationFn: (id: string) => claimItem(id), onSettled: settle }),
    snooze: useMutation({ mutationFn: ({ id, minutes }: { id: string; minutes: number }) => snoozeItem(id, minutes), onSettled: settle }),
    resolve: useMutation({ mutationFn: ({ id, note }: { id: string; note: string }) => resolveItem(id, note), onSettled: settle }),
  };
}

/** Live changes refetch the staff lists and the transcript they touch (only those on screen refetch now). */
export function useStaffLive(): void {
  const client = useQueryClient();
  useLiveSignal((signal) => {
    if (signal.type === 'reload') {
      void client.invalidateQueries({ queryKey: staffKeys.all });
      return;
    }
    void client.invalidateQueries({ queryKey: ['staff', 'conversations'] });
    void client.invalidateQueries({ queryKey: ['staff', 'queue'] });
    const id = signal.change.conversation_id;
    if (id) void client.invalidateQueries({ queryKey: staffKeys.transcript(id) });
  });
}
