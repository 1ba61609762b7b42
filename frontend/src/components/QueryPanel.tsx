/**
 * What a page that reads one thing shows before it has it: a loader while it loads, and, when
 * it failed, the way back and the reason with Retry. Pages render their content once `data` is
 * there (`if (!query.data) return <QueryPanel query={query} back={back} />`).
 */
import type { ReactNode } from 'react';
import { Link } from 'react-router';
import { useErrorText } from '../hooks/useErrorText';
import { useI18n } from '../i18n';
import { Icon } from './Icon';
import { Alert, PageLoader } from './ui';

interface QueryState {
  isPending: boolean;
  error: unknown;
  refetch: () => unknown;
}

export function QueryPanel({ query, back }: { query: QueryState; back: ReactNode }) {
  const { t } = useI18n();
  const errorText = useErrorText();
  if (query.isPending) return <PageLoader label={t('app.loading')} />;
  return (
    <section className="panel">
      {back}
      <Alert onRetry={() => void query.refetch()} retryLabel={t('common.retry')}>
        {errorText(query.error)}
      </Alert>
    </section>
  );
}

/** The "← back to the list" link at the top of a detail page. */
export function BackLink({ to, label }: { to: string; label: string }) {
  return (
    <Link to={to} className="back-link">
      <Icon name="arrowLeft" size={16} />
      {label}
    </Link>
  );
}
