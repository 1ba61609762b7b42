/**
 * WhatsApp's own formatting, as the phone shows it: *bold*, _italic_, ~strikethrough~ and
 * ```monospace```. Rendered as React elements (never HTML), so a message cannot inject markup.
 */
import type { ReactNode } from 'react';

const TOKEN = /(```[\s\S]+?```|\*[^*\n]+\*|_[^_\n]+_|~[^~\n]+~)/g;

export function whatsappText(text: string): ReactNode[] {
  return text.split(TOKEN).map((part, index) => {
    if (part.startsWith('```') && part.endsWith('```') && part.length > 6) return <code key={index}>{part.slice(3, -3)}</code>;
    const inner = part.slice(1, -1);
    if (part.length > 2 && part.startsWith('*') && part.endsWith('*')) return <strong key={index}>{inner}</strong>;
    if (part.length > 2 && part.startsWith('_') && part.endsWith('_')) return <em key={index}>{inner}</em>;
    if (part.length > 2 && part.startsWith('~') && part.endsWith('~')) return <s key={index}>{inner}</s>;
    return part;
  });
}
