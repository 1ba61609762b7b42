import { useCallback } from 'react';
import type { FileRules } from '../api/types';
import { formatBytes } from '../components/ui';
import { useI18n, type MessageKey } from '../i18n';
import { allowedByFamily, type FileCheck } from '../lib/fileRules';

const FAMILIES = ['document', 'spreadsheet', 'presentation', 'image', 'audio', 'video'];

/** "You can upload documents (PDF, DOCX), images (JPG, PNG) and audio (MP3). Up to 25 MB per file." */
export function useAllowedText() {
  const { t, lang } = useI18n();
  return useCallback(
    (rules: FileRules) => {
      const groups = allowedByFamily(rules).map(({ family, extensions }) => {
        const name = FAMILIES.includes(family) ? t(`files.family.${family}` as MessageKey) : family;
        return `${name} (${extensions.join(', ')})`;
      });
      const types = new Intl.ListFormat(lang, { type: 'conjunction' }).format(groups);
      return t('files.allowed', { types, max: formatBytes(rules.max_bytes) });
    },
    [t, lang],
  );
}

/** The sentence for a failed client-side file check. */
export function useFileCheckText() {
  const { t } = useI18n();
  return useCallback(
    (file: File, check: Exclude<FileCheck, { ok: true }>, rules: FileRules) => {
      if (check.reason === 'too_large') {
        return t('files.tooLarge', { name: file.name, size: formatBytes(file.size), max: formatBytes(rules.max_bytes) });
      }
      if (check.reason === 'empty') return t('files.emptyFile', { name: file.name });
      return t('files.unsupported', { name: file.name });
    },
    [t],
  );
}
