/**
 * The field for a one-time code: the sign-in code sent over WhatsApp, an authenticator app's
 * code, or a recovery code. One component so the forms that ask for a code keep the attributes
 * that let phones and password managers fill it in (autocomplete="one-time-code", a numeric
 * keypad) and the same label and error wiring.
 */
import { useId, type Ref } from 'react';

interface Props {
  label: string;
  value: string;
  /** Called with what the field keeps: digits only, unless `recovery`. */
  onChange: (value: string) => void;
  maxLength: number;
  /** A recovery code: letters, digits and dashes as typed, on the text keyboard. */
  recovery?: boolean;
  required?: boolean;
  /** Shown under the field and read out with it. */
  hint?: string;
  invalid?: boolean;
  /** Ids of other text that describes the field (an intro, the form's error), after the hint. */
  describedBy?: string;
  testId: string;
  ref?: Ref<HTMLInputElement>;
}

export function CodeInput({ label, value, onChange, maxLength, recovery = false, required, hint, invalid, describedBy, testId, ref }: Props) {
  const id = useId();
  const hintId = `${id}-hint`;
  const described = [hint ? hintId : '', describedBy ?? ''].filter(Boolean).join(' ');
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input
        ref={ref}
        id={id}
        className={recovery ? undefined : 'input--code'}
        type="text"
        inputMode={recovery ? 'text' : 'numeric'}
        autoComplete="one-time-code"
        autoCapitalize="off"
        spellCheck={false}
        pattern={recovery ? undefined : '[0-9]*'}
        maxLength={maxLength}
        required={required}
        value={value}
        onChange={(e) => onChange(recovery ? e.target.value : e.target.value.replace(/\D/g, ''))}
        aria-invalid={invalid ? true : undefined}
        aria-describedby={described || undefined}
        data-testid={testId}
      />
      {hint && (
        <p id={hintId} className="field__hint">
          {hint}
        </p>
      )}
    </div>
  );
}
