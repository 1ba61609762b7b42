/** A list of memory notes: what was noted, of which kind, where and when it was said. */
import type { MemoryKind, MemoryNote } from '../api/types';
import { Icon, type IconName } from './Icon';
import { useI18n, type MessageKey } from '../i18n';
import { ChannelBadge } from './channels';

const KIND_ICON: Record<MemoryKind, IconName> = {
  fact: 'info',
  decision: 'check',
  number: 'chart',
  commitment: 'calendar',
  open_question: 'help',
};

export const kindLabel = (kind: MemoryKind): MessageKey => `memory.kind.${kind}` as MessageKey;

interface Props {
  notes: MemoryNote[];
  /** When given, each note gets a delete button. */
  onForget?: (note: MemoryNote) => void;
}

export function MemoryList({ notes, onForget }: Props) {
  const { t, formatDate } = useI18n();
  return (
    <ul className="memory-list" data-testid="memory-list">
      {notes.map((note) => (
        <li key={note.id} className="memory-row" data-testid="memory-note" data-kind={note.kind}>
          <span className={`memory-row__icon memory-row__icon--${note.kind}`} aria-hidden="true">
            <Icon name={KIND_ICON[note.kind]} size={16} />
          </span>
          <div className="memory-row__main">
            <span className="memory-row__kind">{t(kindLabel(note.kind))}</span>
            <p className="memory-row__text">{note.text}</p>
            <span className="memory-row__meta">
              <ChannelBadge channel={note.channel} />
              <span>{formatDate(note.said_at, 'date')}</span>
              {note.conversation_title && <span className="memory-row__conversation">{note.conversation_title}</span>}
            </span>
          </div>
          {onForget && (
            <button
              type="button"
              className="icon-btn icon-btn--danger"
              aria-label={t('memory.forget', { text: note.text })}
              title={t('memory.forgetShort')}
              onClick={() => onForget(note)}
              data-testid="memory-forget"
            >
              <Icon name="trash" />
            </button>
          )}
        </li>
      ))}
    </ul>
  );
}
