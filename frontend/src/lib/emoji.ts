/** Text written for WhatsApp, shown in the web app where an emoji font may be missing. */

const LEADING_EMOJI = /^(?:\p{Extended_Pictographic}(?:\uFE0F|\u200D\p{Extended_Pictographic})*\s*)+/u;

/** "🔒 Before we go on" -> "Before we go on": the web draws its own icon in the emoji's place. */
export function withoutLeadingEmoji(text: string): string {
  return text.replace(LEADING_EMOJI, '');
}

const LEADING_LOCK = /^\u{1F512}\uFE0F?\s*/u;

/**
 * "🔒 Before we go on" -> "Before we go on"; null for text that does not open with the lock (the
 * consent notice as written for WhatsApp, which the web shows with a drawn lock instead).
 */
export function afterLeadingLock(text: string): string | null {
  const match = LEADING_LOCK.exec(text);
  return match ? text.slice(match[0].length) : null;
}
