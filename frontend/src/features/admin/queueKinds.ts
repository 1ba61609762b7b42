import type { AttentionKind } from '../../api/types';
import type { IconName } from '../../components/Icon';
import type { MessageKey } from '../../i18n';

/** Every kind of queue item, in the order the filter lists them. */
export const ATTENTION_KINDS: readonly AttentionKind[] = ['mentor_request', 'thumbs_down', 'fallback', 'delivery_failed', 'repeated_question', 'out_of_scope'];

export const KIND_ICONS: Record<AttentionKind, IconName> = {
  mentor_request: 'user',
  thumbs_down: 'thumbsDown',
  fallback: 'alert',
  delivery_failed: 'phone',
  repeated_question: 'refresh',
  out_of_scope: 'help',
};

export function kindLabel(kind: AttentionKind): MessageKey {
  return `queue.kind.${kind}` as MessageKey;
}
