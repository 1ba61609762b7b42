import { describe, expect, it } from 'vitest';
import { withoutLeadingEmoji } from './emoji';

describe('withoutLeadingEmoji', () => {
  it('drops the leading emoji and its space', () => {
    expect(withoutLeadingEmoji('🔒 Antes de seguir: Ignacio guarda')).toBe('Antes de seguir: Ignacio guarda');
    expect(withoutLeadingEmoji('⚠️👩‍💻 Two')).toBe('Two');
  });
  it('keeps text without one, and emoji further in', () => {
    expect(withoutLeadingEmoji('Before we go on 🔒')).toBe('Before we go on 🔒');
    expect(withoutLeadingEmoji('12 files')).toBe('12 files');
  });
});
