/**
 * The composer's attachments: each picked or dropped file is checked against the server's rules,
 * then uploaded at once with its progress; what is stored becomes an attachment to send.
 */
import { useState } from 'react';
import { uploadFile } from '../../api/files';
import type { Attachment, UserFile } from '../../api/types';
import { useErrorText } from '../../hooks/useErrorText';
import { useFileCheckText } from '../../hooks/useFileCheckText';
import { useFileRules } from '../../hooks/useFileRules';
import { useI18n } from '../../i18n';
import { checkFile } from '../../lib/fileRules';

export interface Upload {
  key: string;
  file: File;
  progress: number;
  stored: UserFile | null;
  error: string | null;
  controller: AbortController;
}

export function toAttachment(file: UserFile): Attachment {
  return { file_id: file.id, file_name: file.file_name, content_type: file.file_type, size: file.file_size, kind: file.kind };
}

let uploadCounter = 0;

export function useUploads() {
  const { t } = useI18n();
  const errorText = useErrorText();
  const checkText = useFileCheckText();
  const rules = useFileRules();
  const [uploads, setUploads] = useState<Upload[]>([]);
  const [rejections, setRejections] = useState<string[]>([]);

  const update = (key: string, patch: Partial<Upload>) =>
    setUploads((list) => list.map((u) => (u.key === key ? { ...u, ...patch } : u)));

  const addFiles = (files: FileList | File[]) => {
    const problems: string[] = [];
    for (const file of Array.from(files)) {
      // Until the rules arrive (or if they cannot be fetched), the server's own check answers.
      const check = rules ? checkFile(file, rules) : null;
      if (rules && check && !check.ok) {
        problems.push(checkText(file, check, rules));
        continue;
      }
      const key = `upload-${++uploadCounter}`;
      const controller = new AbortController();
      setUploads((list) => [...list, { key, file, progress: 0, stored: null, error: null, controller }]);
      uploadFile(file, { onProgress: (progress) => update(key, { progress }), signal: controller.signal }).then(
        (stored) => update(key, { stored, progress: 1 }),
        (error: unknown) => {
          if (!controller.signal.aborted) update(key, { error: t('chat.uploadFailed', { name: file.name, reason: errorText(error) }) });
        },
      );
    }
    setRejections(problems);
  };

  const remove = (upload: Upload) => {
    upload.controller.abort();
    setUploads((list) => list.filter((u) => u.key !== upload.key));
  };

  /** After sending: the attachments went with the message. */
  const clear = () => {
    setUploads([]);
    setRejections([]);
  };

  return {
    rules,
    uploads,
    rejections,
    addFiles,
    remove,
    clear,
    uploading: uploads.some((u) => !u.stored && !u.error),
    ready: uploads.flatMap((u) => (u.stored ? [toAttachment(u.stored)] : [])),
  };
}
