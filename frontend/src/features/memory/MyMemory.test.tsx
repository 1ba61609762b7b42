import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { MemoryNote } from '../../api/types';
import { renderUi } from '../../test/render';

const memory = vi.hoisted(() => ({
  listMyMemory: vi.fn(),
  forgetNote: vi.fn(),
  adminUserMemory: vi.fn(),
}));
vi.mock('../../api/memory', () => memory);

const { MyMemory } = await import('./MyMemory');

const note = (id: string, kind: MemoryNote['kind'], text: string, channel: MemoryNote['channel']): MemoryNote => ({
  id,
  kind,
  text,
  channel,
  conversation_id: '00000000-0000-4000-8000-0000000000c1',
  conversation_title: 'Pilotos',
  said_at: '2026-11-24T10:00:00Z',
  created_at: '2026-11-24T10:01:00Z',
});

const PILOTS = note('00000000-0000-4000-8000-000000000001', 'number', 'Tenemos 3 pilotos de pago en Valencia.', 'whatsapp');
const PRICE = note('00000000-0000-4000-8000-000000000002', 'decision', 'Hemos decidido cobrar 12 euros al mes.', 'web');

describe('MyMemory', () => {
  beforeEach(() => {
    memory.listMyMemory.mockReset().mockResolvedValue({ items: [PILOTS, PRICE], next_cursor: null });
    memory.forgetNote.mockReset().mockResolvedValue(undefined);
  });

  it('lists what Ignacio remembers with its kind and channel, and forgets a note after confirming', async () => {
    renderUi(<MyMemory />);
    const [pilots, price, ...rest] = await screen.findAllByTestId('memory-note');
    if (!pilots || !price) throw new Error('two notes expected');
    expect(rest).toHaveLength(0);
    expect(within(pilots).getByText('Number')).toBeTruthy();
    expect(within(pilots).getByText('WhatsApp')).toBeTruthy();
    expect(within(price).getByText('Decision')).toBeTruthy();

    fireEvent.click(within(pilots).getByTestId('memory-forget'));
    const dialog = await screen.findByTestId('confirm-dialog');
    expect(dialog.textContent).toContain('Tenemos 3 pilotos de pago en Valencia.');
    expect(memory.forgetNote).not.toHaveBeenCalled(); // nothing is forgotten before confirming
    fireEvent.click(within(dialog).getByTestId('confirm-button'));

    await waitFor(() => expect(screen.getAllByTestId('memory-note')).toHaveLength(1));
    expect(memory.forgetNote).toHaveBeenCalledWith(PILOTS.id);
    expect(screen.queryByText('Tenemos 3 pilotos de pago en Valencia.')).toBeNull();
  });

  it('says when nothing is remembered yet, in Spanish too', async () => {
    memory.listMyMemory.mockResolvedValue({ items: [], next_cursor: null });
    renderUi(<MyMemory />, { lang: 'es' });
    expect(await screen.findByText('Todavía no recuerda nada.')).toBeTruthy();
    expect(screen.getByRole('heading', { name: 'Lo que Ignacio recuerda' })).toBeTruthy();
  });
});
