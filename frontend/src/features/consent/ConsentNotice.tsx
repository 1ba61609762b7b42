/**
 * The consent notice after the first sign-in on the web: what Ignacio stores and how to get it
 * or have it deleted, until the participant says they have read it (recorded with the time).
 * The server's text starts with a 🔒 for WhatsApp; here a drawn lock stands in for it (a browser
 * without an emoji font would show a box).
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId } from 'react';
import { acknowledgeConsent, getConsent } from '../../api/consent';
import { Icon } from '../../components/Icon';
import { useI18n } from '../../i18n';
import { withoutLeadingEmoji } from '../../lib/emoji';

const KEY = ['consent'] as const;

export function ConsentNotice() {
  const { t, lang } = useI18n();
  const id = useId();
  const client = useQueryClient();
  const consent = useQuery({ queryKey: KEY, queryFn: getConsent, staleTime: Infinity });
  const acknowledge = useMutation({
    mutationFn: () => acknowledgeConsent(lang),
    onSuccess: (data) => client.setQueryData(KEY, data),
  });
  if (!consent.data?.show) return null;
  return (
    <section className="consent-notice alert alert--info" aria-labelledby={`${id}-title`} data-testid="consent-notice">
      <Icon name="lock" />
      <div className="alert__body">
        <strong id={`${id}-title`} className="consent-notice__title">
          {t('consent.title')}
        </strong>
        <p>{withoutLeadingEmoji(consent.data.notice[lang] ?? consent.data.notice.es ?? '')}</p>
        {acknowledge.isError && <p className="form-error">{t('consent.failed')}</p>}
      </div>
      <button type="button" className="btn btn--primary" onClick={() => acknowledge.mutate()} disabled={acknowledge.isPending} data-testid="consent-ack">
        {t('consent.ack')}
      </button>
    </section>
  );
}
