/** Usage by one grouping (cohort, participant or day): a chart, the same figures as a table, CSV. */
import { lazy, Suspense, useId, useState, type ReactNode } from 'react';
import type { UsageGroup, UsageItem } from '../../api/types';
import { downloadUsageCsv, type UsageFilters } from '../../api/usage';
import { Icon } from '../../components/Icon';
import { Alert, EmptyState, Spinner } from '../../components/ui';
import { useErrorText } from '../../hooks/useErrorText';
import { useI18n } from '../../i18n';
import { useUsage } from './cohortQueries';
import type { UsagePoint } from './UsageChart';

const UsageChart = lazy(() => import('./UsageChart'));

interface Props {
  group: UsageGroup;
  filters: UsageFilters;
  /** Extra cells at the end of a row (the participant's cap lift). */
  actions?: (item: UsageItem) => ReactNode;
}

export function UsageSection({ group, filters, actions }: Props) {
  const { t, lang, formatDate } = useI18n();
  const errorText = useErrorText();
  const id = useId();
  const usage = useUsage(group, filters);
  const [csvError, setCsvError] = useState<unknown>(null);
  const number = new Intl.NumberFormat(lang === 'es' ? 'es-ES' : 'en-GB');
  const usd = new Intl.NumberFormat(lang === 'es' ? 'es-ES' : 'en-GB', { style: 'currency', currency: 'USD', maximumFractionDigits: 4 });
  const label = (item: UsageItem) => {
    if (group === 'day') return item.key ? formatDate(`${item.key}T12:00:00`, 'date') : '—';
    if (item.label) return item.label;
    return group === 'cohort' ? t('usage.noCohort') : t('usage.deletedParticipant');
  };
  const items = usage.data ?? [];
  const points: UsagePoint[] = items.map((i) => ({ label: label(i), input: i.input_tokens, output: i.output_tokens, cost: Number(i.cost_usd) }));
  const title = t(`usage.by.${group}`);

  const csv = () => {
    setCsvError(null);
    downloadUsageCsv(group, filters).catch(setCsvError);
  };

  return (
    <section className="usage-section" aria-labelledby={`${id}-title`} data-testid={`usage-${group}`}>
      <div className="panel__header">
        <h3 id={`${id}-title`} className="cohort-section__title">
          {title}
        </h3>
        <button type="button" className="btn btn--ghost btn--sm" onClick={csv} data-testid={`usage-csv-${group}`}>
          <Icon name="download" />
          {t('usage.csv')}
        </button>
      </div>
      {(usage.error ?? csvError) != null && <Alert>{errorText(usage.error ?? csvError)}</Alert>}
      {usage.isPending && <Spinner label={t('app.loading')} />}
      {usage.data && items.length === 0 && <EmptyState icon="chart" title={t('usage.none')} />}
      {items.length > 0 && (
        <div className="usage-section__body">
          <Suspense fallback={<Spinner label={t('app.loading')} />}>
            <UsageChart points={points} summary={t('usage.chartSummary', { title, count: items.length })} />
          </Suspense>
          <div className="table-wrap" tabIndex={0} aria-label={title}>
            <table className="table" data-testid={`usage-table-${group}`}>
              <thead>
                <tr>
                  <th scope="col">{t(`usage.col.${group}`)}</th>
                  <th scope="col">{t('usage.requests')}</th>
                  <th scope="col" title={t('usage.inputTokens')}>
                    {t('usage.col.input')}
                  </th>
                  <th scope="col" title={t('usage.outputTokens')}>
                    {t('usage.col.output')}
                  </th>
                  <th scope="col" title={t('usage.costUsd')}>
                    {t('usage.col.cost')}
                  </th>
                  {actions && (
                    <th scope="col">
                      <span className="visually-hidden">{t('admin.actions')}</span>
                    </th>
                  )}
                </tr>
              </thead>
              <tbody>
                {items.map((item, index) => (
                  <tr key={item.key ?? `none-${index}`} data-testid="usage-row">
                    <th scope="row" className="cell-strong">
                      {label(item)}
                    </th>
                    <td>{number.format(item.requests)}</td>
                    <td>{number.format(item.input_tokens)}</td>
                    <td>{number.format(item.output_tokens)}</td>
                    <td>{usd.format(Number(item.cost_usd))}</td>
                    {actions && <td className="table__actions">{actions(item)}</td>}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </div>
      )}
    </section>
  );
}
