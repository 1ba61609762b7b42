/**
 * The field for a WhatsApp number: the sign-in form's and the one an admin types when creating
 * a user. One component so both keep the phone keypad, the same example and the hint about the
 * country code (the server refuses a number without it). The value is kept as typed; callers
 * pass it through `normalisePhone` before it goes to the server.
 */
import { useId } from 'react';
import { useI18n } from '../i18n';
import { Icon } from './Icon';

interface Props {
  label: string;
  value: string;
  /** Called with the field's text as typed. */
  onChange: (value: string) => void;
  /**
   * The person's own number (sign-in): autocomplete="tel" lets the browser offer it. Not for an
   * admin typing someone else's, where the admin's own number would be the wrong suggestion.
   */
  ownNumber?: boolean;
  /** The phone icon inside the field, as on the sign-in page. */
  icon?: boolean;
  autoFocus?: boolean;
  invalid?: boolean;
  /** Ids of other text that describes the field (the form's error), after the hint. */
  describedBy?: string;
  testId: string;
}

export function PhoneInput({ label, value, onChange, ownNumber = false, icon = false, autoFocus, invalid, describedBy, testId }: Props) {
  const { t } = useI18n();
  const id = useId();
  const hintId = `${id}-hint`;
  const input = (
    <input
      id={id}
      type="tel"
      inputMode="tel"
      autoComplete={ownNumber ? 'tel' : undefined}
      required
      placeholder="+34 600 123 456"
      value={value}
      onChange={(e) => onChange(e.target.value)}
      aria-invalid={invalid ? true : undefined}
      aria-describedby={describedBy ? `${hintId} ${describedBy}` : hintId}
      data-testid={testId}
      autoFocus={autoFocus}
    />
  );
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {icon ? (
        <div className="input-with-icon">
          <Icon name="phone" />
          {input}
        </div>
      ) : (
        input
      )}
      <p id={hintId} className="field__hint">
        {t('auth.phoneHint')}
      </p>
    </div>
  );
}
