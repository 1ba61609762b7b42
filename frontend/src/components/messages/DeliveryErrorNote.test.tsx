import { screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { renderUi } from '../../test/render';
import { DeliveryErrorNote } from './DeliveryErrorNote';

const undeliverable = { code: '131026', title: 'Message Undeliverable', reason: 'undeliverable' } as const;

describe('DeliveryErrorNote', () => {
  it('gives admins the code, the channel title and the meaning in words', () => {
    renderUi(<DeliveryErrorNote error={undeliverable} admin failed />);
    const note = screen.getByTestId('delivery-error');
    expect(note.textContent).toMatch(/^Code 131026 · Message Undeliverable: Their phone cannot receive it/);
    expect(note.textContent).toContain('may not be on WhatsApp');
  });

  it('tells admins why an answer is still waiting', () => {
    renderUi(<DeliveryErrorNote error={{ code: '131047', title: 'Re-engagement message', reason: 'window_closed' }} admin failed={false} />);
    expect(screen.getByTestId('delivery-error').textContent).toContain('More than 24 hours');
  });

  it('shows participants only the meaning, and only once it will not be sent', () => {
    const { unmount } = renderUi(<DeliveryErrorNote error={undeliverable} admin={false} failed={false} />);
    expect(screen.queryByTestId('delivery-error')).toBeNull();
    unmount();
    renderUi(<DeliveryErrorNote error={undeliverable} admin={false} failed />);
    const note = screen.getByTestId('delivery-error');
    expect(note.textContent).toMatch(/^Not delivered: /);
    expect(note.textContent).not.toContain('131026');
  });

  it('names a code it does not know as unknown', () => {
    renderUi(<DeliveryErrorNote error={{ code: '999999', title: null, reason: 'unknown' }} admin failed />);
    expect(screen.getByTestId('delivery-error').textContent).toBe('Code 999999: An error this version of Ignacio does not know.');
  });
});
