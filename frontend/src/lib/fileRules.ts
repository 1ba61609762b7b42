/**
 * The server's upload rules, checked in the browser before any byte is sent,
 * so a too-large or unsupported file fails at once with a clear message.
 * (The server checks again; this is for the person, not for security.)
 */
import type { FileRules } from '../api/types';

export type FileCheck = { ok: true; kind: string } | { ok: false; reason: 'too_large' | 'unsupported' | 'empty' };

function extensionOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot <= 0 ? '' : name.slice(dot + 1).toLowerCase();
}

const bareExtension = (ext: string) => ext.replace(/^\./, '').toLowerCase();

function mimeMatches(pattern: string, mime: string): boolean {
  const p = pattern.toLowerCase();
  const m = mime.toLowerCase().split(';')[0]?.trim() ?? '';
  if (!m) return false;
  return p.endsWith('/*') ? m.startsWith(p.slice(0, -1)) : p === m;
}

export function checkFile(file: Pick<File, 'name' | 'size' | 'type'>, rules: FileRules): FileCheck {
  if (file.size === 0) return { ok: false, reason: 'empty' };
  if (file.size > rules.max_bytes) return { ok: false, reason: 'too_large' };
  const ext = extensionOf(file.name);
  const byMime = rules.types.find((type) => mimeMatches(type.mime, file.type));
  if (byMime) return { ok: true, kind: byMime.kind };
  // Browsers leave `type` empty (or guess oddly) for some files: fall back to the extension.
  const byExt = ext ? rules.types.find((type) => type.extensions.some((e) => bareExtension(e) === ext)) : undefined;
  if (byExt && (!file.type || file.type === 'application/octet-stream')) return { ok: true, kind: byExt.kind };
  return { ok: false, reason: 'unsupported' };
}

/** The `accept` attribute for file inputs: every allowed type and extension. */
export function acceptAttribute(rules: FileRules): string {
  const parts = new Set<string>();
  for (const type of rules.types) {
    parts.add(type.mime);
    for (const ext of type.extensions) parts.add(`.${bareExtension(ext)}`);
  }
  return [...parts].join(',');
}

/** Families people think in, documents first; others keep the server's order after these. */
const FAMILY_ORDER = ['document', 'spreadsheet', 'presentation', 'image', 'audio', 'video'];

export interface FamilyExtensions {
  family: string;
  /** The main extension of each type (`jpg`, not also `jpe` and `jfif`), upper case. */
  extensions: string[];
}

/** The allowed types grouped by family, for a hint a person can read at a glance. */
export function allowedByFamily(rules: FileRules): FamilyExtensions[] {
  const groups = new Map<string, Set<string>>();
  for (const type of rules.types) {
    const main = type.extensions[0];
    if (!main) continue;
    const group = groups.get(type.family) ?? new Set<string>();
    group.add(bareExtension(main).toUpperCase());
    groups.set(type.family, group);
  }
  const rank = (family: string) => {
    const index = FAMILY_ORDER.indexOf(family);
    return index === -1 ? FAMILY_ORDER.length : index;
  };
  return [...groups.entries()]
    .map(([family, extensions]) => ({ family, extensions: [...extensions] }))
    .sort((a, b) => rank(a.family) - rank(b.family));
}
