/**
 * The structured parts of an answer card: a titled section that folds long lists, and the lists it
 * holds (bullets, numbered steps, a timeline, resources with links, key figures, follow-up questions).
 */
import { useState, type ReactNode } from 'react';
import { Icon, type IconName } from '../Icon';
import { Markdown } from '../Markdown';
import { useI18n, type MessageKey } from '../../i18n';
import { asText, parseFigure, parseResource } from './answerFormat';

/** Sections longer than this show their first items and a "show more" toggle. */
export const SECTION_VISIBLE_ITEMS = 4;

export function Section({ title, icon, count, children }: { title: MessageKey; icon: IconName; count: number; children: ReactNode }) {
  const { t } = useI18n();
  const [expanded, setExpanded] = useState(false);
  const long = count > SECTION_VISIBLE_ITEMS;
  const collapsed = long && !expanded;
  // Collapsed items are hidden by CSS, not removed, so checklist ticks and counts stay whole.
  return (
    <section className={collapsed ? 'answer__section is-collapsed' : 'answer__section'}>
      <h3 className="answer__section-title">
        <Icon name={icon} size={15} />
        {t(title)}
      </h3>
      {children}
      {long && (
        <button
          type="button"
          className="answer__more"
          aria-expanded={expanded}
          onClick={() => setExpanded((value) => !value)}
          data-testid="section-toggle"
        >
          {expanded ? t('card.showLess') : t('card.showMore', { n: count - SECTION_VISIBLE_ITEMS })}
        </button>
      )}
    </section>
  );
}

export function Bullets({ items, icon, className }: { items: unknown[]; icon?: IconName; className?: string }) {
  return (
    <ul className={className ? `bullets ${className}` : 'bullets'}>
      {items.map((item, index) => (
        <li key={index}>
          {icon && <Icon name={icon} size={15} className="bullets__icon" />}
          <Markdown className="markdown--inline">{asText(item)}</Markdown>
        </li>
      ))}
    </ul>
  );
}

export function Steps({ items }: { items: unknown[] }) {
  return (
    <ol className="steps">
      {items.map((item, index) => (
        <li key={index} className="steps__item">
          <span className="steps__number" aria-hidden="true">
            {index + 1}
          </span>
          <Markdown className="markdown--inline">{asText(item)}</Markdown>
        </li>
      ))}
    </ol>
  );
}

export function Timeline({ items }: { items: unknown[] }) {
  return (
    <ol className="timeline">
      {items.map((item, index) => (
        <li key={index} className="timeline__item">
          <span className="timeline__dot" aria-hidden="true" />
          <Markdown className="markdown--inline">{asText(item)}</Markdown>
        </li>
      ))}
    </ol>
  );
}

export function Resources({ items }: { items: unknown[] }) {
  return (
    <ul className="resources">
      {items.map((item, index) => {
        const resource = parseResource(item);
        return (
          <li key={index} className="resources__item">
            <Icon name={resource.url ? 'link' : 'lightbulb'} size={15} />
            <div className="resources__text">
              {resource.url ? (
                <a href={resource.url} target="_blank" rel="noopener noreferrer nofollow" className="resources__link">
                  {resource.title}
                  <Icon name="external" size={12} />
                </a>
              ) : (
                <span>{resource.title}</span>
              )}
              {resource.note && <span className="resources__note">{resource.note}</span>}
            </div>
          </li>
        );
      })}
    </ul>
  );
}

export function Figures({ items }: { items: unknown[] }) {
  return (
    <dl className="figures">
      {items.map((item, index) => {
        const figure = parseFigure(item);
        return (
          <div key={index} className="figures__item">
            {figure.label && <dt className="figures__label">{figure.label}</dt>}
            <dd className="figures__value">{figure.value}</dd>
          </div>
        );
      })}
    </dl>
  );
}

/** Ignacio's questions to the participant: tapping one starts the participant's answer to it. */
export function FollowUps({ items, onAsk }: { items: unknown[]; onAsk?: (question: string) => void }) {
  const { t } = useI18n();
  if (!onAsk) return <Bullets items={items} icon="help" />;
  return (
    <div className="chips">
      {items.map((item, index) => (
        <button
          key={index}
          type="button"
          className="chip"
          onClick={() => onAsk(asText(item))}
          title={t('chat.answerFollowUp')}
          data-testid="follow-up"
        >
          {asText(item)}
        </button>
      ))}
    </div>
  );
}
