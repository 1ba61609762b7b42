import { describe, expect, it } from 'vitest';
import type { FileRules } from '../api/types';
import { acceptAttribute, allowedByFamily, checkFile } from './fileRules';

const RULES: FileRules = {
  max_bytes: 25 * 1024 * 1024,
  types: [
    { mime: 'application/pdf', extensions: ['pdf'], kind: 'document', family: 'pdf', label: 'PDF document' },
    { mime: 'text/markdown', extensions: ['.md', 'markdown'], kind: 'document', family: 'text', label: 'Markdown' },
    { mime: 'image/png', extensions: ['png'], kind: 'image', family: 'image', label: 'PNG image' },
    { mime: 'audio/*', extensions: ['ogg', 'mp3'], kind: 'audio', family: 'audio', label: 'audio' },
  ],
};

const file = (name: string, size: number, type: string) => ({ name, size, type });

describe('client-side file checks', () => {
  it('accepts an allowed type under the limit and reports its kind', () => {
    expect(checkFile(file('plan.pdf', 1000, 'application/pdf'), RULES)).toEqual({ ok: true, kind: 'document' });
    expect(checkFile(file('photo.PNG', 10, 'image/png'), RULES)).toEqual({ ok: true, kind: 'image' });
  });

  it('matches wildcard MIME types and ignores parameters', () => {
    expect(checkFile(file('voice.ogg', 10, 'audio/ogg; codecs=opus'), RULES)).toEqual({ ok: true, kind: 'audio' });
  });

  it('refuses a file over the size limit, even by one byte', () => {
    expect(checkFile(file('big.pdf', RULES.max_bytes + 1, 'application/pdf'), RULES)).toEqual({ ok: false, reason: 'too_large' });
    expect(checkFile(file('edge.pdf', RULES.max_bytes, 'application/pdf'), RULES).ok).toBe(true);
  });

  it('refuses an empty file', () => {
    expect(checkFile(file('empty.pdf', 0, 'application/pdf'), RULES)).toEqual({ ok: false, reason: 'empty' });
  });

  it('refuses a type that is not in the rules', () => {
    expect(checkFile(file('setup.exe', 10, 'application/x-msdownload'), RULES)).toEqual({ ok: false, reason: 'unsupported' });
    expect(checkFile(file('noext', 10, ''), RULES)).toEqual({ ok: false, reason: 'unsupported' });
  });

  it('falls back to the extension only when the browser gives no useful type', () => {
    expect(checkFile(file('notes.md', 10, ''), RULES)).toEqual({ ok: true, kind: 'document' });
    expect(checkFile(file('notes.markdown', 10, 'application/octet-stream'), RULES).ok).toBe(true);
    // A known extension does not excuse a contradicting, known-bad type.
    expect(checkFile(file('fake.pdf', 10, 'application/x-msdownload'), RULES)).toEqual({ ok: false, reason: 'unsupported' });
  });

  it('builds the accept attribute from the rules', () => {
    expect(acceptAttribute(RULES).split(',')).toEqual(
      expect.arrayContaining(['application/pdf', '.pdf', '.md', '.markdown', 'image/png', 'audio/*', '.ogg']),
    );
  });

  it('groups the allowed types by family, documents first, one main extension per type', () => {
    const rules: FileRules = {
      max_bytes: 1,
      types: [
        { mime: 'image/jpeg', extensions: ['jpg', 'jpeg', 'jfif'], kind: 'image', family: 'image', label: 'JPEG image' },
        { mime: 'application/pdf', extensions: ['pdf'], kind: 'document', family: 'document', label: 'PDF' },
        { mime: 'application/x-thing', extensions: ['.thg'], kind: 'document', family: 'thing', label: 'Thing' },
        { mime: 'image/png', extensions: ['png'], kind: 'image', family: 'image', label: 'PNG image' },
        { mime: 'application/vnd.ms-excel', extensions: ['xls'], kind: 'document', family: 'spreadsheet', label: 'Excel' },
      ],
    };
    expect(allowedByFamily(rules)).toEqual([
      { family: 'document', extensions: ['PDF'] },
      { family: 'spreadsheet', extensions: ['XLS'] },
      { family: 'image', extensions: ['JPG', 'PNG'] },
      { family: 'thing', extensions: ['THG'] },
    ]);
  });
});
