/** Text written for WhatsApp, shown in the web app where an emoji font may be missing. */

const LEADING_EMOJI = /^(?:\p{Extended_Pictographic}(?:\uFE0F|\u200D\p{Extended_Pictographic})*\s*)+/u;

/** "🔒 Before we go on" -> "Before we go on": the web draws its own icon in the emoji's place. */
export function withoutLeadingEmoji(text: string): string {
  return text.replace(LEADING_EMOJI, '');
}
