/**
 * Action items the participant can tick off. Ticks are remembered on this
 * device per message, so the list still works as a to-do list tomorrow.
 */
import { useId, useState } from 'react';
import { Markdown } from '../Markdown';
import { useI18n } from '../../i18n';
import { asText } from './answerFormat';

function load(key: string | undefined): number[] {
  if (!key) return [];
  try {
    const raw = localStorage.getItem(key);
    const parsed: unknown = raw ? JSON.parse(raw) : [];
    return Array.isArray(parsed) ? parsed.filter((n): n is number => typeof n === 'number') : [];
  } catch {
    return [];
  }
}

export function Checklist({ items, storageKey, disabled }: { items: unknown[]; storageKey?: string; disabled?: boolean }) {
  const { t } = useI18n();
  const [done, setDone] = useState<number[]>(() => load(storageKey));
  const id = useId();

  const toggle = (index: number) => {
    setDone((previous) => {
      const next = previous.includes(index) ? previous.filter((n) => n !== index) : [...previous, index];
      if (storageKey) {
        try {
          localStorage.setItem(storageKey, JSON.stringify(next));
        } catch {
          // not remembered: fine
        }
      }
      return next;
    });
  };

  const count = done.filter((n) => n < items.length).length;

  return (
    <div className="checklist">
      <ul className="checklist__items" data-testid="checklist">
        {items.map((item, index) => {
          const inputId = `${id}-${index}`;
          const checked = done.includes(index);
          return (
            <li key={index} className={checked ? 'checklist__item is-done' : 'checklist__item'}>
              <input
                id={inputId}
                type="checkbox"
                className="checklist__box"
                checked={checked}
                disabled={disabled}
                onChange={() => toggle(index)}
              />
              <label htmlFor={inputId} className="checklist__label">
                <Markdown className="markdown--inline">{asText(item)}</Markdown>
              </label>
            </li>
          );
        })}
      </ul>
      {items.length > 1 && !disabled && (
        <p className="checklist__progress" aria-live="polite">
          {t('card.progress', { done: count, total: items.length })}
        </p>
      )}
    </div>
  );
}
