import { fireEvent, screen, waitFor } from '@testing-library/react';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../../api/errors';
import { renderUi } from '../../test/render';

const users = vi.hoisted(() => ({ createUser: vi.fn(), updateUser: vi.fn() }));
vi.mock('../../api/users', () => users);

const { UserDialog } = await import('./UserDialog');

const describedBy = (el: HTMLElement) => (el.getAttribute('aria-describedby') ?? '').split(' ').map((id) => document.getElementById(id)?.textContent);

describe('UserDialog', () => {
  beforeEach(() => {
    users.createUser.mockReset();
  });

  it('marks the phone field when the server refuses the number, until it is edited', async () => {
    users.createUser.mockRejectedValue(new ApiError(422, 'invalid_phone', 'invalid phone number'));
    renderUi(<UserDialog open user={null} onClose={vi.fn()} onSaved={vi.fn()} />);
    const phone = screen.getByTestId('user-phone');
    fireEvent.change(phone, { target: { value: '+34 600 12' } });
    expect(phone.getAttribute('aria-invalid')).toBeNull();
    fireEvent.click(screen.getByTestId('user-save'));

    await waitFor(() => expect(phone.getAttribute('aria-invalid')).toBe('true'));
    const alert = screen.getByRole('alert');
    expect(alert.textContent).not.toBe('');
    // The hint first, then the server's refusal: a screen reader reads both on the field.
    expect(describedBy(phone)).toEqual([expect.stringContaining('+'), alert.textContent]);

    fireEvent.change(phone, { target: { value: '+34 600 123 456' } });
    expect(phone.getAttribute('aria-invalid')).toBeNull();
    expect(describedBy(phone)).toHaveLength(1);
  });

  it('does not blame the phone field for an error that is not about the number', async () => {
    users.createUser.mockRejectedValue(new ApiError(409, 'conflict', 'a user with this phone number exists'));
    renderUi(<UserDialog open user={null} onClose={vi.fn()} onSaved={vi.fn()} />);
    const phone = screen.getByTestId('user-phone');
    fireEvent.change(phone, { target: { value: '+34 600 123 456' } });
    fireEvent.click(screen.getByTestId('user-save'));

    await waitFor(() => expect(screen.getByRole('alert').textContent).not.toBe(''));
    expect(phone.getAttribute('aria-invalid')).toBeNull();
    expect(describedBy(phone)).toHaveLength(1);
  });
});
