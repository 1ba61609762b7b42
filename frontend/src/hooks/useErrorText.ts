import { useCallback } from 'react';
import { ApiError } from '../api/errors';
import { useI18n } from '../i18n';
import { waitText } from '../i18n/wait';

/** Turns any thrown error into a sentence for the current language. */
export function useErrorText(): (error: unknown) => string {
  const { t } = useI18n();
  return useCallback(
    (error: unknown) => {
      if (error instanceof ApiError) {
        if (error.status === 0) return t('common.networkError');
        if (error.status === 403) return t('common.forbidden');
        if (error.status === 429) {
          return error.retryAfter ? t('auth.rateLimited', { wait: waitText(t, error.retryAfter) }) : t('auth.rateLimitedShort');
        }
        if (error.status >= 500) return t('common.error');
        return error.message || t('common.error');
      }
      return t('common.error');
    },
    [t],
  );
}
