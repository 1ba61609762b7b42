import { describe, expect, it } from 'vitest';
import { attachmentName } from './downloads';

describe('attachmentName', () => {
  it('reads the file name the server gave', () => {
    expect(attachmentName('attachment; filename="ignacio-export-20261202.zip"')).toBe('ignacio-export-20261202.zip');
    expect(attachmentName('attachment; filename=usage-by-day.csv')).toBe('usage-by-day.csv');
    expect(attachmentName("attachment; filename*=UTF-8''informe%20de%20uso.csv")).toBe('informe de uso.csv');
  });

  it('answers null without one', () => {
    expect(attachmentName(null)).toBeNull();
    expect(attachmentName('inline')).toBeNull();
  });
});
