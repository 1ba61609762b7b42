import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import type { Message } from '../../api/types';
import { renderUi } from '../../test/render';
import { MessageItem } from './MessageItem';

function answer(extra: Partial<Message> = {}): Message {
  return {
    id: 'a1',
    conversation_id: 'c1',
    role: 'assistant',
    content: 'Start with ten interviews.',
    message_type: 'text',
    channel: 'web',
    agent: 'marketing',
    answer: null,
    status: 'sent',
    error_code: null,
    is_fallback: false,
    feedback: null,
    created_at: '2025-01-01T10:00:00Z',
    attachments: [],
    edited: false,
    ...extra,
  };
}

describe('MessageItem', () => {
  it("shows a mentor's own message as 'Mentor · name', with no specialist and no rating", () => {
    const onRate = vi.fn(() => Promise.resolve());
    renderUi(
      <ul>
        <MessageItem message={answer({ author_name: 'Marta', agent: null, content: 'Soy Marta.' })} onRate={onRate} />
      </ul>,
    );
    const card = screen.getByTestId('mentor-message');
    expect(within(card).getByTestId('mentor-author').textContent).toBe('Mentor · Marta');
    expect(screen.queryByTestId('specialist-card')).toBeNull();
    expect(screen.queryByTestId('feedback-down')).toBeNull();
  });

  it('after a 👎 asks why, and sends the chosen reasons with it', async () => {
    const onRate = vi.fn(() => Promise.resolve());
    renderUi(
      <ul>
        <MessageItem message={answer()} onRate={onRate} />
      </ul>,
    );
    expect(screen.queryByTestId('feedback-reason')).toBeNull();
    fireEvent.click(screen.getByTestId('feedback-down'));
    expect(onRate).toHaveBeenLastCalledWith(-1);
    fireEvent.click(screen.getByTestId('feedback-tag-too_long'));
    fireEvent.change(screen.getByTestId('feedback-comment'), { target: { value: ' Shorter, please ' } });
    fireEvent.click(screen.getByTestId('feedback-send'));
    await waitFor(() => expect(screen.queryByTestId('feedback-reason')).toBeNull());
    expect(onRate).toHaveBeenLastCalledWith(-1, { tags: ['too_long'], comment: 'Shorter, please' });
    expect(screen.getByRole('status').textContent).toContain('Thanks');
  });
  it('draws a lock in place of the 🔒 the consent notice was stored with for WhatsApp', () => {
    const stored = '🔒 Before we go on: Ignacio keeps what you write here.';
    renderUi(
      <ul>
        <MessageItem message={answer({ agent: null, channel: 'whatsapp', content: stored })} variant="admin" />
      </ul>,
    );
    const notice = screen.getByTestId('consent-message');
    expect(notice.textContent).toBe('Before we go on: Ignacio keeps what you write here.');
    expect(notice.querySelector('svg.icon')).not.toBeNull();
    expect(screen.getByTestId('specialist-card').textContent).not.toContain('🔒');
  });

  it("leaves a specialist's answer that opens with a 🔒 as written", () => {
    renderUi(
      <ul>
        <MessageItem message={answer({ content: '🔒 Keep the password safe.' })} />
      </ul>,
    );
    expect(screen.queryByTestId('consent-message')).toBeNull();
    expect(screen.getByTestId('specialist-card').textContent).toContain('🔒 Keep the password safe.');
  });
});
