/**
 * Tolerant readers for typed answers. Streamed partial answers have missing
 * fields, and list items are specified as strings but may arrive as small
 * objects ({title, url}, {label, value}): render whatever is there.
 */
import { safeUrl } from '../Markdown';

/** Any value as display text: strings as-is, objects as their values joined. */
export function asText(value: unknown): string {
  if (value == null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return value.map(asText).filter(Boolean).join(', ');
  if (typeof value === 'object') {
    return Object.values(value as Record<string, unknown>)
      .map(asText)
      .filter(Boolean)
      .join(' — ');
  }
  return '';
}

export function asList(value: unknown): unknown[] {
  return Array.isArray(value) ? value.filter((item) => asText(item).trim() !== '') : [];
}

export interface Resource {
  title: string;
  url: string | null;
  note: string;
}

const MD_LINK = /\[([^\]]+)\]\(([^)\s]+)\)/;
const BARE_URL = /(https?:\/\/[^\s<>()]+[^\s<>().,;:!?'"])/i;

function hostOf(url: string): string {
  try {
    return new URL(url).hostname.replace(/^www\./, '');
  } catch {
    return url;
  }
}

const trimSeparators = (text: string) => text.replace(/^[\s:—–\-|,]+|[\s:—–\-|,(]+$/g, '').trim();

/** A resource line as a link where it names one: "[T](url)", "T - url", "url", or an object. */
export function parseResource(item: unknown): Resource {
  if (item && typeof item === 'object' && !Array.isArray(item)) {
    const record = item as Record<string, unknown>;
    const url = safeUrl(asText(record.url ?? record.link ?? record.href)) || null;
    const title = asText(record.title ?? record.name) || (url ? hostOf(url) : asText(item));
    return { title, url, note: asText(record.description ?? record.note) };
  }
  const text = asText(item).trim();
  const md = MD_LINK.exec(text);
  if (md?.[1] && md[2]) {
    const url = safeUrl(md[2]) || null;
    return { title: md[1], url, note: trimSeparators(text.replace(md[0], '')) };
  }
  const bare = BARE_URL.exec(text);
  if (bare?.[1]) {
    const url = safeUrl(bare[1]) || null;
    const rest = trimSeparators(text.replace(bare[1], ''));
    return { title: rest || hostOf(bare[1]), url, note: '' };
  }
  return { title: text, url: null, note: '' };
}

export interface Figure {
  label: string | null;
  value: string;
}

/** "Break-even: month 14" -> label + value; anything else is a value alone. */
export function parseFigure(item: unknown): Figure {
  if (item && typeof item === 'object' && !Array.isArray(item)) {
    const record = item as Record<string, unknown>;
    const label = asText(record.label ?? record.name ?? record.metric);
    const value = asText(record.value ?? record.amount ?? record.figure);
    if (value) return { label: label || null, value };
  }
  const text = asText(item).trim();
  const colon = text.indexOf(':');
  if (colon > 0 && colon <= 48 && colon < text.length - 1) {
    return { label: text.slice(0, colon).trim(), value: text.slice(colon + 1).trim() };
  }
  return { label: null, value: text };
}
