/** Staff: the conversations of the participants assigned to you (admins: everyone's), newest activity first. */
import { Link, useSearchParams } from 'react-router';
import { Alert, EmptyState, Spinner } from '../../components/ui';
import { useErrorText } from '../../hooks/useErrorText';
import { useI18n } from '../../i18n';
import { ConversationResults } from './ConversationResults';
import { useStaffConversations } from './staffQueries';

export function StaffConversationsPage() {
  const { t } = useI18n();
  const errorText = useErrorText();
  const [params] = useSearchParams();
  const userId = params.get('user_id') ?? '';
  const list = useStaffConversations(userId);
  return (
    <section className="panel" data-testid="staff-conversations">
      {userId && (
        <p>
          <Link to="/staff/conversations">{t('staff.allParticipants')}</Link>
        </p>
      )}
      {list.error != null && (
        <Alert onRetry={list.reload} retryLabel={t('common.retry')}>
          {errorText(list.error)}
        </Alert>
      )}
      {list.items.length === 0 && !list.loading && list.error == null ? (
        <EmptyState icon="chat" title={t('staff.noConversations')} />
      ) : (
        <ConversationResults items={list.items} base="/staff/conversations" />
      )}
      {list.loading && <Spinner label={t('app.loading')} />}
      {list.hasMore && !list.loading && (
        <button type="button" className="btn btn--ghost" onClick={list.loadMore}>
          {t('common.loadMore')}
        </button>
      )}
    </section>
  );
}
