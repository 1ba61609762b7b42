/** Take a transcript away: as a Markdown file, or printed (the print styles leave only the transcript). */
import type { Transcript } from '../../api/types';
import { Icon } from '../../components/Icon';
import { useI18n } from '../../i18n';
import { transcriptFileName, transcriptMarkdown } from './transcriptMarkdown';

function download(text: string, fileName: string) {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/markdown;charset=utf-8' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  document.body.append(link);
  link.click();
  link.remove();
  // Revoked after the click has been handled, so the download has started.
  window.setTimeout(() => URL.revokeObjectURL(url), 0);
}

export function TranscriptActions({ data }: { data: Transcript }) {
  const { t, formatDate } = useI18n();
  return (
    <div className="transcript__actions" role="group" aria-label={t('transcript.export')}>
      <button
        type="button"
        className="btn btn--secondary btn--sm"
        onClick={() => download(transcriptMarkdown(data, t, formatDate), transcriptFileName(data))}
        data-testid="transcript-markdown"
      >
        <Icon name="download" size={15} />
        {t('transcript.markdown')}
      </button>
      <button type="button" className="btn btn--secondary btn--sm" onClick={() => window.print()} data-testid="transcript-print">
        <Icon name="file" size={15} />
        {t('transcript.print')}
      </button>
    </div>
  );
}
