import { useCallback } from 'react';
import type { FileRules } from '../../api/types';
import { formatBytes } from '../../components/ui';
import { useI18n } from '../../i18n';
import type { FileCheck } from './rules';

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
