/** Admin: every conversation, filtered by user, channel, specialist, dates and text; filters live in the URL. */
import { useEffect, useId, useState, type SyntheticEvent } from 'react';
import { useSearchParams } from 'react-router';
import type { User } from '../../api/types';
import { listUsers } from '../../api/users';
import { Icon } from '../../components/Icon';
import { Alert, EmptyState, Spinner } from '../../components/ui';
import { useErrorText } from '../../hooks/useErrorText';
import { useI18n } from '../../i18n';
import { AGENTS, SPECIALISTS } from '../../lib/specialists';
import { useChannelLabel, useChannels } from '../../components/channels';
import { CohortSelect } from './CohortSelect';
import { ConversationResults } from './ConversationResults';
import { FILTER_KEYS, FLAGS, readFilters, toApiFilters, type FilterForm, type FilterKey } from './conversationFilters';
import { useAdminConversations } from './queries';

function useUserOptions(): User[] {
  const [users, setUsers] = useState<User[]>([]);
  useEffect(() => {
    let active = true;
    listUsers({ limit: 100 }).then(
      (page) => active && setUsers(page.items),
      () => undefined,
    );
    return () => {
      active = false;
    };
  }, []);
  return users;
}

export function ConversationsPage() {
  const { t } = useI18n();
  const channels = useChannels();
  const channelLabel = useChannelLabel();
  const errorText = useErrorText();
  const id = useId();
  const [params, setParams] = useSearchParams();
  const applied = readFilters(params);
  const [form, setForm] = useState<FilterForm>(applied);
  const userOptions = useUserOptions();
  const key = params.toString();
  const conversations = useAdminConversations(toApiFilters(applied));

  const [syncedKey, setSyncedKey] = useState(key);
  if (syncedKey !== key) {
    // The URL changed (back button, a link from the users page): show its filters.
    setSyncedKey(key);
    setForm(applied);
  }

  const apply = (event?: SyntheticEvent, next: FilterForm = form) => {
    event?.preventDefault();
    const search = new URLSearchParams();
    for (const k of FILTER_KEYS) if (next[k]) search.set(k, next[k]);
    setParams(search);
  };

  const set = (k: FilterKey) => (value: string) => setForm((f) => ({ ...f, [k]: value }));
  const field = (k: string) => `${id}-${k}`;
  const hasFilters = FILTER_KEYS.some((k) => applied[k]);
  const knownUser = userOptions.some((u) => u.id === form.user_id);

  return (
    <section className="panel" aria-labelledby={field('title')}>
      <div className="panel__header">
        <h2 id={field('title')} className="panel__title">
          {t('admin.conversations')}
        </h2>
      </div>
      <form className="filters" onSubmit={apply} aria-label={t('common.filters')} data-testid="conversation-filters">
        <div className="field filters__wide">
          <label htmlFor={field('q')}>{t('admin.textSearch')}</label>
          <div className="input-with-icon">
            <Icon name="search" />
            <input id={field('q')} type="search" value={form.q} onChange={(e) => set('q')(e.target.value)} />
          </div>
        </div>
        <div className="field">
          <label htmlFor={field('user')}>{t('admin.user')}</label>
          <select id={field('user')} value={form.user_id} onChange={(e) => set('user_id')(e.target.value)}>
            <option value="">{t('admin.allUsers')}</option>
            {form.user_id && !knownUser && <option value={form.user_id}>{form.user_id.slice(0, 8)}…</option>}
            {userOptions.map((u) => (
              <option key={u.id} value={u.id}>
                {u.name || u.phone_number}
              </option>
            ))}
          </select>
        </div>
        <CohortSelect value={form.cohort_id} onChange={set('cohort_id')} />
        <div className="field">
          <label htmlFor={field('channel')}>{t('admin.channel')}</label>
          <select id={field('channel')} value={form.channel} onChange={(e) => set('channel')(e.target.value)}>
            <option value="">{t('admin.allChannels')}</option>
            {Object.keys(channels ?? { web: null, whatsapp: null }).map((name) => (
              <option key={name} value={name}>
                {channelLabel(name, channels)}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={field('agent')}>{t('admin.agent')}</label>
          <select id={field('agent')} value={form.agent} onChange={(e) => set('agent')(e.target.value)}>
            <option value="">{t('admin.allAgents')}</option>
            {AGENTS.map((agent) => (
              <option key={agent} value={agent}>
                {t(SPECIALISTS[agent].label)}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={field('from')}>{t('admin.dateFrom')}</label>
          <input id={field('from')} type="date" value={form.date_from} onChange={(e) => set('date_from')(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor={field('to')}>{t('admin.dateTo')}</label>
          <input id={field('to')} type="date" value={form.date_to} onChange={(e) => set('date_to')(e.target.value)} />
        </div>
        <fieldset className="filters__flags">
          <legend>{t('admin.lookAt')}</legend>
          {FLAGS.map(([k, label]) => (
            <label key={k} className="check">
              <input
                type="checkbox"
                checked={form[k] === '1'}
                onChange={(e) => set(k)(e.target.checked ? '1' : '')}
                data-testid={`filter-${k}`}
              />
              {t(label)}
            </label>
          ))}
        </fieldset>
        <div className="filters__actions">
          <button type="submit" className="btn btn--primary">
            {t('common.apply')}
          </button>
          {hasFilters && (
            <button
              type="button"
              className="btn btn--ghost"
              onClick={() => apply(undefined, Object.fromEntries(FILTER_KEYS.map((k) => [k, ''])) as FilterForm)}
            >
              {t('common.clearFilters')}
            </button>
          )}
        </div>
      </form>

      {conversations.error != null && (
        <Alert onRetry={conversations.reload} retryLabel={t('common.retry')}>
          {errorText(conversations.error)}
        </Alert>
      )}
      {conversations.items.length === 0 && !conversations.loading && conversations.error == null ? (
        <EmptyState icon="chat" title={t('admin.noConversations')} />
      ) : (
        <ConversationResults items={conversations.items} />
      )}
      {conversations.loading && <Spinner label={t('app.loading')} />}
      {conversations.hasMore && !conversations.loading && (
        <button type="button" className="btn btn--ghost" onClick={conversations.loadMore}>
          {t('common.loadMore')}
        </button>
      )}
    </section>
  );
}
