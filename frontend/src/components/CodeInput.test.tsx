import { fireEvent, render, screen } from '@testing-library/react';
import { useState } from 'react';
import { describe, expect, it } from 'vitest';
import { CodeInput } from './CodeInput';

function Field(props: { recovery?: boolean; hint?: string; describedBy?: string; invalid?: boolean; required?: boolean }) {
  const [code, setCode] = useState('');
  return <CodeInput label="Code" value={code} onChange={setCode} maxLength={props.recovery ? 16 : 6} testId="code" {...props} />;
}

describe('CodeInput', () => {
  it('asks for digits the way phones and password managers fill a one-time code', () => {
    render(<Field required />);
    const input = screen.getByLabelText('Code');
    expect(input).toBe(screen.getByTestId('code'));
    expect(input.getAttribute('autocomplete')).toBe('one-time-code');
    expect(input.getAttribute('inputmode')).toBe('numeric');
    expect(input.getAttribute('pattern')).toBe('[0-9]*');
    expect(input.getAttribute('maxlength')).toBe('6');
    expect(input.getAttribute('type')).toBe('text');
    expect(input.getAttribute('autocapitalize')).toBe('off');
    expect(input.getAttribute('spellcheck')).toBe('false');
    expect(input.className).toBe('input--code');
    expect(input.hasAttribute('required')).toBe(true);
    expect(input.hasAttribute('aria-invalid')).toBe(false);
    expect(input.hasAttribute('aria-describedby')).toBe(false);
  });

  it('keeps only the digits of what is typed or pasted', () => {
    render(<Field />);
    const input = screen.getByLabelText<HTMLInputElement>('Code');
    fireEvent.change(input, { target: { value: '12 3-45a6' } });
    expect(input.value).toBe('123456');
  });

  it('takes a recovery code as typed, on the text keyboard', () => {
    render(<Field recovery />);
    const input = screen.getByLabelText<HTMLInputElement>('Code');
    expect(input.getAttribute('autocomplete')).toBe('one-time-code');
    expect(input.getAttribute('inputmode')).toBe('text');
    expect(input.hasAttribute('pattern')).toBe(false);
    expect(input.getAttribute('maxlength')).toBe('16');
    expect(input.className).toBe('');
    expect(input.hasAttribute('required')).toBe(false);
    fireEvent.change(input, { target: { value: 'abcd-efgh-23' } });
    expect(input.value).toBe('abcd-efgh-23');
  });

  it('is described by its hint first, then the text it is given, and marked invalid', () => {
    render(
      <>
        <p id="form-error">Wrong code</p>
        <Field hint="Six digits" describedBy="form-error" invalid />
      </>,
    );
    const input = screen.getByLabelText('Code');
    const [hintId, errorId] = (input.getAttribute('aria-describedby') ?? '').split(' ');
    expect(document.getElementById(hintId as string)?.textContent).toBe('Six digits');
    expect(errorId).toBe('form-error');
    expect(input.getAttribute('aria-invalid')).toBe('true');
  });
});
