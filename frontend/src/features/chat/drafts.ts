/**
 * What the participant has typed but not sent, per conversation (`new` for the
 * welcome screen), kept in local storage so a reload, a crash or moving to
 * another conversation loses nothing. Sign-out clears them all.
 */
const PREFIX = 'ignacio.draft.';

function storage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null; // storage disabled: drafts live as long as the composer does
  }
}

export function loadDraft(key: string): string {
  return storage()?.getItem(PREFIX + key) ?? '';
}

export function saveDraft(key: string, text: string): void {
  const store = storage();
  if (!store) return;
  try {
    if (text.trim()) store.setItem(PREFIX + key, text);
    else store.removeItem(PREFIX + key);
  } catch {
    // quota exceeded: the text stays in the composer
  }
}

export function clearDrafts(): void {
  const store = storage();
  if (!store) return;
  for (const name of Object.keys(store)) if (name.startsWith(PREFIX)) store.removeItem(name);
}
