/**
 * On a development server without WhatsApp, the sign-in page says where the
 * code is (the server console and the WhatsApp simulator); a real deployment
 * shows nothing.
 */
import { useEffect, useState } from 'react';
import { api } from '../../api/client';
import { Alert } from '../../components/ui';
import { useI18n } from '../../i18n';

export function DevCodeHint() {
  const { t } = useI18n();
  const [development, setDevelopment] = useState(false);
  useEffect(() => {
    let live = true;
    api
      .GET('/auth/code-delivery')
      .then(({ data }) => {
        if (live) setDevelopment(data?.delivery === 'development');
      })
      .catch(() => undefined); // unknown: say nothing
    return () => {
      live = false;
    };
  }, []);
  if (!development) return null;
  return (
    <div data-testid="dev-code-hint">
      <Alert tone="info">{t('auth.devCodeHint')}</Alert>
    </div>
  );
}
