/**
 * A fenced code block in an answer: shown as plain text at once, highlighted when the lazily
 * loaded highlighter arrives, with a Copy button for the block alone.
 */
import { useEffect, useState } from 'react';
import { useI18n } from '../i18n';
import { Icon } from './Icon';

export function CodeBlock({ code, language }: { code: string; language?: string }) {
  const { t } = useI18n();
  const [html, setHtml] = useState<string | null>(null);
  const [copied, setCopied] = useState(false);

  useEffect(() => {
    let live = true;
    import('./highlight')
      .then(({ highlight }) => {
        if (live) setHtml(highlight(code, language));
      })
      .catch(() => {
        // Offline or the chunk failed: the block stays plain, still readable and copyable.
      });
    return () => {
      live = false;
    };
  }, [code, language]);

  useEffect(() => {
    if (!copied) return;
    const timer = window.setTimeout(() => setCopied(false), 2000);
    return () => window.clearTimeout(timer);
  }, [copied]);

  const copy = () => {
    // Absent outside secure contexts (plain http on a LAN address).
    const clipboard = navigator.clipboard as Clipboard | undefined;
    clipboard
      ?.writeText(code)
      .then(() => setCopied(true))
      .catch(() => setCopied(false));
  };

  return (
    <div className="code-block" data-testid="code-block">
      <div className="code-block__bar">
        <span className="code-block__lang">{language ?? t('code.plain')}</span>
        <button type="button" className="code-block__copy" onClick={copy} data-testid="code-copy">
          <Icon name={copied ? 'check' : 'copy'} size={13} />
          <span aria-live="polite">{copied ? t('code.copied') : t('code.copy')}</span>
        </button>
      </div>
      <pre tabIndex={0} aria-label={t('code.label', { language: language ?? t('code.plain') })}>
        {html === null ? (
          <code>{code}</code>
        ) : (
          // highlight.js escapes the text itself: this HTML holds only its token spans.
          <code className="hljs" data-highlighted="true" dangerouslySetInnerHTML={{ __html: html }} />
        )}
      </pre>
    </div>
  );
}
