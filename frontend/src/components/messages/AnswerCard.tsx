/**
 * A typed answer as a card: which specialist answered, the main advice, and
 * the structured parts (checklists, links, risks, timeline, key figures).
 */
import { useState, type ReactNode } from 'react';
import type { Agent, Answer, PartialAnswer } from '../../api/types';
import { Icon, type IconName } from '../Icon';
import { Markdown } from '../Markdown';
import { useI18n, type MessageKey } from '../../i18n';
import { asList, asText, parseFigure, parseResource } from './answerFormat';
import { Checklist } from './Checklist';
import { specialistLook } from '../../lib/specialists';

interface AnswerCardProps {
  answer: Answer | PartialAnswer;
  /** The agent that answered, when the message says so (falls back to the answer's kind). */
  agent?: Agent | null;
  /** For remembering checklist ticks; absent while streaming. */
  messageId?: string;
  /** Clicking a follow-up question asks it; absent in read-only views. */
  onFollowUp?: (question: string) => void;
  readOnly?: boolean;
  streaming?: boolean;
  footer?: ReactNode;
}

export function SpecialistHeader({ agent, offline }: { agent: Agent | null | undefined; offline?: boolean }) {
  const { t } = useI18n();
  const look = specialistLook(agent);
  const name = t(look.label);
  return (
    <header className="answer__header">
      <span className="answer__icon" aria-hidden="true">
        <Icon name={look.icon} size={18} />
      </span>
      <span className="answer__who">
        <span className="answer__name">{name}</span>
        {look.role && <span className="answer__role">{t(look.role)}</span>}
      </span>
      {offline && (
        <span className="badge badge--warning answer__offline" title={t('chat.offlineHint')} data-testid="offline-badge">
          <Icon name="offline" size={12} />
          <span className="answer__offline-long">{t('chat.offline')}</span>
          <span className="answer__offline-short" aria-hidden="true">
            {t('chat.offlineShort')}
          </span>
        </span>
      )}
    </header>
  );
}

/** Sections longer than this show their first items and a "show more" toggle. */
export const SECTION_VISIBLE_ITEMS = 4;

function Section({ title, icon, count, children }: { title: MessageKey; icon: IconName; count: number; children: ReactNode }) {
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

function Bullets({ items, icon, className }: { items: unknown[]; icon?: IconName; className?: string }) {
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

function Steps({ items }: { items: unknown[] }) {
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

function Timeline({ items }: { items: unknown[] }) {
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

function Resources({ items }: { items: unknown[] }) {
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

function Figures({ items }: { items: unknown[] }) {
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
function FollowUps({ items, onAsk }: { items: unknown[]; onAsk?: (question: string) => void }) {
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

function AnswerBody({ answer, messageId, onFollowUp, readOnly, streaming }: AnswerCardProps) {
  const a = answer as Record<string, unknown>;
  const list = (key: string) => asList(a[key]);
  const text = (key: string) => asText(a[key]);
  const checklistKey = messageId ? `ignacio.checklist.${messageId}` : undefined;
  const checklist = (items: unknown[]) => (
    <Checklist items={items} storageKey={checklistKey} disabled={readOnly || streaming} />
  );
  const lead = (value: string) => (value ? <Markdown className="answer__lead">{value}</Markdown> : null);
  const part = (items: unknown[], title: MessageKey, icon: IconName, body: (items: unknown[]) => ReactNode) =>
    items.length > 0 ? (
      <Section title={title} icon={icon} count={items.length}>
        {body(items)}
      </Section>
    ) : null;

  switch (answer.kind) {
    case 'marketing':
      return (
        <>
          {lead(text('advice'))}
          {part(list('action_items'), 'card.actionItems', 'check', checklist)}
          {part(list('resources'), 'card.resources', 'link', (items) => <Resources items={items} />)}
        </>
      );
    case 'technical':
      return (
        <>
          {lead(text('solution'))}
          {part(list('implementation_steps'), 'card.implementationSteps', 'list', (items) => <Steps items={items} />)}
          {part(list('considerations'), 'card.considerations', 'info', (items) => <Bullets items={items} icon="info" />)}
        </>
      );
    case 'project_management':
      return (
        <>
          {lead(text('recommendations'))}
          {part(list('timeline_suggestions'), 'card.timeline', 'clock', (items) => <Timeline items={items} />)}
          {part(list('risk_factors'), 'card.risks', 'alert', (items) => <Bullets items={items} icon="alert" className="bullets--risk" />)}
        </>
      );
    case 'financial':
      return (
        <>
          {lead(text('analysis'))}
          {part(list('key_figures'), 'card.keyFigures', 'coins', (items) => <Figures items={items} />)}
          {part(list('recommendations'), 'card.recommendations', 'check', checklist)}
          {part(list('risks'), 'card.risks', 'alert', (items) => <Bullets items={items} icon="alert" className="bullets--risk" />)}
        </>
      );
    case 'general':
      return (
        <>
          {lead(text('message'))}
          {part(list('follow_up_questions'), 'card.followUp', 'help', (items) => (
            <FollowUps items={items} onAsk={readOnly ? undefined : onFollowUp} />
          ))}
        </>
      );
    default:
      return lead(asText(a.message ?? a.advice ?? ''));
  }
}

export function AnswerCard(props: AnswerCardProps) {
  const { answer, agent, streaming, footer } = props;
  const who = agent ?? answer.kind;
  const look = specialistLook(who);
  return (
    <article
      className={`answer specialist--${look.tone}${streaming ? ' is-streaming' : ''}`}
      data-testid="specialist-card"
      data-specialist={who}
      data-kind={answer.kind}
    >
      <SpecialistHeader agent={who} offline={answer.offline === true} />
      <div className="answer__body">
        <AnswerBody {...props} />
      </div>
      {footer}
    </article>
  );
}
