import { fireEvent, screen, waitFor } from '@testing-library/react';
import { useState } from 'react';
import { describe, expect, it, vi } from 'vitest';
import type { Conversation } from '../../api/types';
import { renderUi } from '../../test/render';
import { ConversationItem } from './ConversationItem';

const conversation = { id: 'c1', title: '  ', channel: 'web', updated_at: '2025-01-01T10:00:00Z' } as Conversation;

function item(props: Partial<Parameters<typeof ConversationItem>[0]> = {}, route = '/') {
  const handlers = { onOpen: vi.fn(), onEdit: vi.fn(), onRename: vi.fn(() => Promise.resolve()), onDelete: vi.fn() };
  renderUi(
    <ul>
      <ConversationItem conversation={conversation} active={false} editing={false} {...handlers} {...props} />
    </ul>,
    { route },
  );
  return handlers;
}

describe('ConversationItem', () => {
  it('links to the conversation under its title, and names it on its rename and delete buttons', () => {
    const { onEdit, onDelete, onOpen } = item({ active: true }, '/c/c1');
    const link = screen.getByRole('link');
    expect(link.getAttribute('href')).toBe('/c/c1');
    expect(link.getAttribute('aria-current')).toBe('page');
    expect(link.textContent).toContain('Untitled conversation');
    fireEvent.click(screen.getByRole('button', { name: 'Rename “Untitled conversation”' }));
    expect(onEdit).toHaveBeenCalledWith(true);
    fireEvent.click(screen.getByRole('button', { name: 'Delete “Untitled conversation”' }));
    expect(onDelete).toHaveBeenCalledOnce();
    fireEvent.click(link);
    expect(onOpen).toHaveBeenCalledOnce();
  });

  it('renames in place with the trimmed title, and Escape gives up', async () => {
    const { onRename, onEdit } = item({ editing: true });
    expect(screen.queryByRole('link')).toBeNull();
    const input = screen.getByLabelText('New title');
    fireEvent.change(input, { target: { value: '  Pricing plan ' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(onRename).toHaveBeenCalledWith('Pricing plan'));
    fireEvent.keyDown(input, { key: 'Escape' });
    expect(onEdit).toHaveBeenCalledWith(false);
  });

  it('puts focus back on the pencil when the rename form closes, unless another field has it', async () => {
    const a = { id: 'a', title: 'Pricing', channel: 'web', updated_at: '2025-01-01T10:00:00Z' } as Conversation;
    const b = { id: 'b', title: 'Hiring', channel: 'web', updated_at: '2025-01-01T10:00:00Z' } as Conversation;
    // As the sidebar does: one item at a time is being renamed, and a save closes the form.
    function List() {
      const [items, setItems] = useState([a, b]);
      const [editing, setEditing] = useState<string | null>(null);
      return (
        <ul>
          {items.map((c) => (
            <ConversationItem
              key={c.id}
              conversation={c}
              active={false}
              editing={editing === c.id}
              onOpen={vi.fn()}
              onEdit={(on) => setEditing(on ? c.id : null)}
              onRename={async (title) => {
                await Promise.resolve();
                setItems((all) => all.map((x) => (x.id === c.id ? { ...x, title } : x)));
                setEditing(null);
              }}
              onDelete={vi.fn()}
            />
          ))}
        </ul>
      );
    }
    renderUi(<List />);

    fireEvent.click(screen.getByRole('button', { name: 'Rename “Pricing”' }));
    fireEvent.keyDown(screen.getByLabelText('New title'), { key: 'Escape' });
    expect(document.activeElement).toBe(screen.getByRole('button', { name: 'Rename “Pricing”' }));

    fireEvent.click(screen.getByRole('button', { name: 'Rename “Pricing”' }));
    fireEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(document.activeElement).toBe(screen.getByRole('button', { name: 'Rename “Pricing”' }));

    fireEvent.click(screen.getByRole('button', { name: 'Rename “Pricing”' }));
    fireEvent.change(screen.getByLabelText('New title'), { target: { value: 'Pricing plan' } });
    fireEvent.submit(screen.getByLabelText('New title'));
    await waitFor(() => expect(document.activeElement).toBe(screen.getByRole('button', { name: 'Rename “Pricing plan”' })));

    // Renaming another one while this one is open: the new field keeps the focus.
    fireEvent.click(screen.getByRole('button', { name: 'Rename “Pricing plan”' }));
    fireEvent.click(screen.getByRole('button', { name: 'Rename “Hiring”' }));
    expect(screen.getAllByLabelText('New title')).toHaveLength(1);
    expect(document.activeElement).toBe(screen.getByLabelText('New title'));
    expect(screen.getByLabelText('New title')).toHaveProperty('value', 'Hiring');
  });
});
