import { fireEvent, screen, waitFor } from '@testing-library/react';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { FileRules, UserFile } from '../../api/types';
import { renderUi } from '../../test/render';
import { loadDraft } from './drafts';

const files = vi.hoisted(() => ({
  getFileRules: vi.fn(),
  uploadFile: vi.fn(),
}));
vi.mock('../../api/files', () => files);

const { Composer } = await import('./Composer');

// The rules are fetched once per page load (cached): they stay pending through the first test
// and arrive in the second.
let deliverRules: (rules: FileRules) => void = () => undefined;
const rules = new Promise<FileRules>((resolve) => (deliverRules = resolve));

const stored: UserFile = {
  id: '00000000-0000-4000-8000-000000000001',
  file_name: 'plan.pdf',
  file_type: 'application/pdf',
  file_size: 4,
  kind: 'document',
  created_at: '2026-01-01T00:00:00Z',
  extraction_status: 'pending',
  extraction_error: null,
  part_count: null,
  part_label: null,
  conversation_id: null,
  source: 'web',
};

describe('Composer', () => {
  beforeEach(() => {
    files.getFileRules.mockReturnValue(rules);
    files.uploadFile.mockResolvedValue(stored);
  });

  it('uploads a file picked before the upload rules arrived (the server checks it) and sends it', async () => {
    const onSend = vi.fn();
    renderUi(<Composer busy={false} onSend={onSend} draftKey="c1" />);

    const input = screen.getByTestId('composer-file-input');
    expect((input as HTMLInputElement).disabled).toBe(false);
    fireEvent.change(input, { target: { files: [new File(['%PDF'], 'plan.pdf', { type: 'application/pdf' })] } });

    expect(await screen.findByTestId('composer-attachment')).toBeTruthy();
    expect(files.uploadFile).toHaveBeenCalledTimes(1);
    const send = screen.getByTestId('send-button');
    await waitFor(() => expect((send as HTMLButtonElement).disabled).toBe(false));
    fireEvent.click(send);
    expect(onSend).toHaveBeenCalledWith('📎 plan.pdf', [
      { file_id: stored.id, file_name: 'plan.pdf', content_type: 'application/pdf', size: 4, kind: 'document' },
    ]);
  });

  it('refuses a file the rules do not allow, without uploading it', async () => {
    deliverRules({
      max_bytes: 10,
      types: [{ mime: 'application/pdf', extensions: ['pdf'], kind: 'document', family: 'document', label: 'PDF' }],
    });
    renderUi(<Composer busy={false} onSend={vi.fn()} draftKey="c1" />);
    // Wait for the rules: the attach button's hint lists them.
    await waitFor(() => expect(screen.getByRole('button', { name: 'Attach a file' }).title).toContain('PDF'));

    fireEvent.change(screen.getByTestId('composer-file-input'), {
      target: { files: [new File(['x'.repeat(20)], 'big.pdf', { type: 'application/pdf' })] },
    });
    expect(await screen.findByText(/big\.pdf/)).toBeTruthy();
    expect(files.uploadFile).not.toHaveBeenCalled();
    expect(screen.queryByTestId('composer-attachment')).toBeNull();
  });

  it('keeps the unsent text per conversation, and forgets it once sent', () => {
    const onSend = vi.fn();
    const first = renderUi(<Composer busy={false} onSend={onSend} draftKey="c1" />);
    fireEvent.change(screen.getByTestId('message-input'), { target: { value: 'Mi idea es' } });
    first.unmount();

    const other = renderUi(<Composer busy={false} onSend={onSend} draftKey="c2" />);
    expect(screen.getByTestId<HTMLTextAreaElement>('message-input').value).toBe('');
    other.unmount();

    renderUi(<Composer busy={false} onSend={onSend} draftKey="c1" />);
    const input = screen.getByTestId<HTMLTextAreaElement>('message-input');
    expect(input.value).toBe('Mi idea es');
    fireEvent.keyDown(input, { key: 'Enter' });
    expect(onSend).toHaveBeenCalledWith('Mi idea es', []);
    expect(loadDraft('c1')).toBe('');
  });

  it('shows Stop instead of Send while answering', () => {
    const onStop = vi.fn();
    renderUi(<Composer busy onSend={vi.fn()} onStop={onStop} draftKey="c1" />);
    expect(screen.queryByTestId('send-button')).toBeNull();
    fireEvent.click(screen.getByTestId('stop-button'));
    expect(onStop).toHaveBeenCalledTimes(1);
  });
});
