/**
 * What the participant can do with one of Ignacio's answers: copy it as plain
 * text (what the card shows) or as Markdown (to paste into a document), ask
 * for another answer (the last one only), and page through the answers
 * Regenerate produced.
 */
import { useEffect, useRef, useState, type MouseEvent } from 'react';
import type { Message } from '../../api/types';
import { Icon } from '../../components/Icon';
import { useI18n } from '../../i18n';

type Copied = 'text' | 'markdown' | null;

/** The answer as the card shows it, without Markdown marks. */
function cardText(button: HTMLElement): string {
  const card = button.closest('[data-testid="specialist-card"]');
  const body = card?.querySelector<HTMLElement>('.answer__body');
  return (body?.innerText ?? body?.textContent ?? '').trim();
}

export interface AnswerPager {
  /** 0-based position of the answer shown among `total`. */
  index: number;
  total: number;
  onMove: (index: number) => void;
}

interface AnswerToolbarProps {
  message: Message;
  onRegenerate?: () => void;
  pager?: AnswerPager;
}

function Pager({ index, total, onMove }: AnswerPager) {
  const { t } = useI18n();
  return (
    <span className="answer__pager" data-testid="answer-pager">
      <button
        type="button"
        className="icon-btn icon-btn--sm"
        onClick={() => onMove(index - 1)}
        disabled={index === 0}
        aria-label={t('chat.previousAnswer')}
        data-testid="previous-answer"
      >
        <Icon name="chevronLeft" size={14} />
      </button>
      <span aria-live="polite" data-testid="answer-position">
        {t('chat.answerPosition', { n: index + 1, total })}
      </span>
      <button
        type="button"
        className="icon-btn icon-btn--sm"
        onClick={() => onMove(index + 1)}
        disabled={index === total - 1}
        aria-label={t('chat.nextAnswer')}
        data-testid="next-answer"
      >
        <Icon name="chevronRight" size={14} />
      </button>
    </span>
  );
}

export function AnswerToolbar({ message, onRegenerate, pager }: AnswerToolbarProps) {
  const { t } = useI18n();
  const [copied, setCopied] = useState<Copied>(null);
  const timer = useRef<ReturnType<typeof setTimeout>>(undefined);
  useEffect(() => () => clearTimeout(timer.current), []);

  const copy = (kind: Exclude<Copied, null>) => async (event: MouseEvent<HTMLButtonElement>) => {
    const text = kind === 'markdown' ? message.content : cardText(event.currentTarget) || message.content;
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      return; // the browser refused (no permission, insecure context): nothing to confirm
    }
    setCopied(kind);
    clearTimeout(timer.current);
    timer.current = setTimeout(() => setCopied(null), 2000);
  };

  return (
    <div className="answer__toolbar" role="group" aria-label={t('chat.answerActions')} data-testid="answer-toolbar">
      <button type="button" className="btn btn--ghost btn--sm" onClick={(e) => void copy('text')(e)} data-testid="copy-text">
        <Icon name={copied === 'text' ? 'check' : 'copy'} size={14} />
        {copied === 'text' ? t('chat.copied') : t('chat.copy')}
      </button>
      <button type="button" className="btn btn--ghost btn--sm" onClick={(e) => void copy('markdown')(e)} data-testid="copy-markdown">
        <Icon name={copied === 'markdown' ? 'check' : 'code'} size={14} />
        {copied === 'markdown' ? t('chat.copied') : t('chat.copyMarkdown')}
      </button>
      {onRegenerate && (
        <button type="button" className="btn btn--ghost btn--sm" onClick={onRegenerate} data-testid="regenerate">
          <Icon name="refresh" size={14} />
          {t('chat.regenerate')}
        </button>
      )}
      {pager && pager.total > 1 && <Pager {...pager} />}
    </div>
  );
}
