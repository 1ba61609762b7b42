/** Adding the authenticator app: its QR code, the key to type instead, and the first code to confirm. */
import type { TotpEnrolment } from '../../api/types';
import { confirmTotpEnrolment } from '../../api/totp';
import { useI18n } from '../../i18n';
import { TotpCodeForm } from './TotpCodeForm';

interface Props {
  enrolment: TotpEnrolment;
  onConfirmed: (codes: string[]) => void;
  onCancel: () => void;
}

/** "JBSWY3DPEHPK3PXP" -> "JBSW Y3DP EHPK 3PXP": easier to type into an app. */
export function groupKey(secret: string): string {
  return secret.replace(/(.{4})(?=.)/g, '$1 ');
}

export function TotpEnrolmentForm({ enrolment, onConfirmed, onCancel }: Props) {
  const { t } = useI18n();
  return (
    <div className="totp-enrol" data-testid="totp-enrolment">
      <p>{t('totp.scan')}</p>
      <img className="totp-enrol__qr" src={enrolment.qr_svg_data_uri} alt={t('totp.qrAlt')} width={225} height={225} />
      <p className="muted">{t('totp.manual')}</p>
      <p>
        <code className="totp-enrol__key" data-testid="totp-secret">
          {groupKey(enrolment.secret)}
        </code>
      </p>
      <TotpCodeForm
        intro={t('totp.confirmIntro')}
        submitLabel={t('totp.confirm')}
        onSubmit={async (code) => onConfirmed(await confirmTotpEnrolment(code))}
        onCancel={onCancel}
        testId="totp-confirm"
      />
    </div>
  );
}
