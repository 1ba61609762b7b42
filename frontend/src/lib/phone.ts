/** Phone numbers as people type them, made comparable before they go to the server. */

/** "+34 600-12 34 56" -> "+34600123456"; "0034…" -> "+34…". The server validates the rest. */
export function normalisePhone(raw: string): string {
  const compact = raw.replace(/[\s\-().]/g, '');
  return compact.startsWith('00') ? `+${compact.slice(2)}` : compact;
}
