import type { IconName } from '../components/Icon';

/** The icon for a file kind ('image', 'audio', 'video', 'document', …). */
export function fileIcon(kind: string): IconName {
  if (kind === 'image') return 'image';
  if (kind === 'audio') return 'audio';
  if (kind === 'video') return 'video';
  return 'file';
}
