import { fireEvent, render, screen } from '@testing-library/react';
import { useState } from 'react';
import { describe, expect, it, vi } from 'vitest';
import { I18nProvider, translate } from '../i18n';
import { PhoneInput } from './PhoneInput';

const HINT = translate('en', 'auth.phoneHint');

function Field(props: { ownNumber?: boolean; icon?: boolean; describedBy?: string; invalid?: boolean; onChange?: (value: string) => void }) {
  const [phone, setPhone] = useState('');
  return (
    <I18nProvider lang="en">
      <PhoneInput
        label="Phone"
        value={phone}
        testId="phone"
        {...props}
        onChange={(value) => {
          setPhone(value);
          props.onChange?.(value);
        }}
      />
    </I18nProvider>
  );
}

describe('PhoneInput', () => {
  it('is labelled and asks for a number on the phone keypad', () => {
    render(<Field />);
    const input = screen.getByLabelText('Phone');
    expect(input).toBe(screen.getByTestId('phone'));
    expect(input.getAttribute('type')).toBe('tel');
    expect(input.getAttribute('inputmode')).toBe('tel');
    expect(input.hasAttribute('required')).toBe(true);
    expect(input.hasAttribute('autocomplete')).toBe(false);
    expect(input.hasAttribute('aria-invalid')).toBe(false);
    expect(input.parentElement?.className).toBe('field');
  });

  it('is described by the country-code hint', () => {
    render(<Field />);
    const input = screen.getByLabelText('Phone');
    const hint = document.getElementById(input.getAttribute('aria-describedby') ?? '');
    expect(hint?.textContent).toBe(HINT);
    expect(hint?.className).toBe('field__hint');
  });

  it('offers the person their own number, with the icon inside the field', () => {
    render(<Field ownNumber icon />);
    const input = screen.getByLabelText('Phone');
    expect(input.getAttribute('autocomplete')).toBe('tel');
    expect(input.parentElement?.className).toBe('input-with-icon');
    expect(input.parentElement?.querySelector('.icon')).not.toBeNull();
  });

  it('is described by its hint first, then the error, and marked invalid', () => {
    render(
      <>
        <p id="form-error">Not a valid number</p>
        <Field describedBy="form-error" invalid />
      </>,
    );
    const input = screen.getByLabelText('Phone');
    const [hintId, errorId] = (input.getAttribute('aria-describedby') ?? '').split(' ');
    expect(document.getElementById(hintId as string)?.textContent).toBe(HINT);
    expect(errorId).toBe('form-error');
    expect(input.getAttribute('aria-invalid')).toBe('true');
  });

  it('passes the number on as typed (callers normalise it)', () => {
    const onChange = vi.fn();
    render(<Field onChange={onChange} />);
    const input = screen.getByLabelText<HTMLInputElement>('Phone');
    fireEvent.change(input, { target: { value: '+34 600-12 34 56' } });
    expect(onChange).toHaveBeenCalledWith('+34 600-12 34 56');
    expect(input.value).toBe('+34 600-12 34 56');
  });
});
