import { describe, expect, it } from 'vitest';
import { afterLeadingLock, withoutLeadingEmoji } from './emoji';

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

describe('afterLeadingLock', () => {
  it('gives the text after a leading lock, with or without its variation selector', () => {
    expect(afterLeadingLock('🔒 Antes de seguir: Ignacio guarda')).toBe('Antes de seguir: Ignacio guarda');
    expect(afterLeadingLock('🔒\uFE0FBefore we go on')).toBe('Before we go on');
  });
  it('is null for text that does not open with the lock', () => {
    expect(afterLeadingLock('Before we go on 🔒')).toBeNull();
    expect(afterLeadingLock('🔓 Unlocked')).toBeNull();
    expect(afterLeadingLock('⚠️ Careful')).toBeNull();
  });
});
