/**
 * Search in the participant's own conversations (web and WhatsApp): each result shows the words
 * around the match, highlighted, and opens the conversation at that message.
 */
import { useQuery } from '@tanstack/react-query';
import { useEffect, useId, useState } from 'react';
import { NavLink } from 'react-router';
import { searchConversations } from '../../api/conversations';
import { Icon } from '../../components/Icon';
import { Snippet } from '../../components/Snippet';
import { Alert, Spinner } from '../../components/ui';
import { useErrorText } from '../../hooks/useErrorText';
import { useI18n } from '../../i18n';
import { isReadOnly, useChannelLabel, useChannels } from '../../components/channels';

/** Shorter queries would match nearly everything. */
export const MIN_QUERY = 2;
const DEBOUNCE_MS = 250;

export function SearchBox({ value, onChange }: { value: string; onChange: (value: string) => void }) {
  const { t } = useI18n();
  const id = useId();
  return (
    <div className="conv-search" role="search">
      <label htmlFor={id} className="visually-hidden">
        {t('chat.searchLabel')}
      </label>
      <Icon name="search" size={15} className="conv-search__icon" />
      <input
        id={id}
        type="search"
        className="conv-search__input"
        placeholder={t('chat.searchPlaceholder')}
        value={value}
        maxLength={200}
        onChange={(event) => onChange(event.target.value)}
        onKeyDown={(event) => {
          if (event.key === 'Escape' && value) {
            event.stopPropagation();
            onChange('');
          }
        }}
        data-testid="conversation-search"
      />
    </div>
  );
}

function useDebounced(value: string): string {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = window.setTimeout(() => setSettled(value), DEBOUNCE_MS);
    return () => window.clearTimeout(timer);
  }, [value]);
  return settled;
}

export function SearchResults({ query, activeId, onOpen }: { query: string; activeId?: string; onOpen: () => void }) {
  const { t } = useI18n();
  const errorText = useErrorText();
  const channels = useChannels();
  const channelLabel = useChannelLabel();
  const q = useDebounced(query.trim());
  const result = useQuery({
    queryKey: ['conversations', 'search', q],
    queryFn: ({ signal }) => searchConversations(q, signal),
    enabled: q.length >= MIN_QUERY,
    staleTime: 30_000,
  });

  if (q.length < MIN_QUERY || result.isPending) return <Spinner size="sm" label={t('chat.searching')} />;
  if (result.error) return <Alert onRetry={() => void result.refetch()} retryLabel={t('common.retry')}>{errorText(result.error)}</Alert>;
  const hits = result.data;
  return (
    <>
      <p className="visually-hidden" role="status">
        {t('chat.searchCount', { n: hits.length })}
      </p>
      {hits.length === 0 ? (
        <p className="sidebar__empty">{t('chat.searchNothing')}</p>
      ) : (
        <ul className="conv-list" data-testid="search-results">
          {hits.map((hit) => (
            <li key={hit.id} className={hit.id === activeId ? 'conv is-active' : 'conv'} data-testid="search-result">
              <NavLink to={`/c/${hit.id}?message=${hit.match.message_id}`} className="conv__link conv__link--hit" onClick={onOpen}>
                <span className="conv__title">{hit.title?.trim() || t('chat.untitled')}</span>
                <Snippet parts={hit.match.snippet} className="conv__snippet" />
                {isReadOnly(channels, hit.channel) && (
                  <span className="conv__meta">
                    <span className="conv__channel">
                      <Icon name="phone" size={12} />
                      {channelLabel(hit.channel, channels)}
                    </span>
                  </span>
                )}
              </NavLink>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
