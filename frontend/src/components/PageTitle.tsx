/**
 * One tab title per page ("Chat · Ignacio"), so tabs, history and screen readers tell pages
 * apart. Set from the route in one place rather than by each page.
 */
import { useEffect } from 'react';
import { matchPath, useLocation } from 'react-router';
import { useI18n, type MessageKey } from '../i18n';

const TITLES: readonly [pattern: string, key: MessageKey][] = [
  ['/login', 'title.signIn'],
  ['/', 'title.chat'],
  ['/c/:conversationId', 'title.chat'],
  ['/profile', 'title.profile'],
  ['/two-factor', 'title.twoFactor'],
  ['/admin', 'title.users'],
  ['/admin/users', 'title.users'],
  ['/admin/cohorts', 'title.cohorts'],
  ['/admin/cohorts/:cohortId', 'title.cohort'],
  ['/admin/usage', 'title.usage'],
  ['/admin/conversations', 'title.conversations'],
  ['/admin/conversations/:conversationId', 'title.transcript'],
  ['/admin/audit', 'title.audit'],
  ['/staff', 'title.queue'],
  ['/staff/queue', 'title.queue'],
  ['/staff/conversations', 'title.staffConversations'],
  ['/staff/conversations/:conversationId', 'title.takeover'],
  ['/simulator', 'title.simulator'],
];

export function pageTitleKey(pathname: string): MessageKey {
  const found = TITLES.find(([pattern]) => matchPath(pattern, pathname));
  return found ? found[1] : 'title.notFound';
}

export function PageTitle() {
  const { pathname } = useLocation();
  const { t } = useI18n();
  const page = t(pageTitleKey(pathname));
  useEffect(() => {
    document.title = t('title.page', { page });
  }, [page, t]);
  return null;
}
