/**
 * A typed answer as a card: which specialist answered, the main advice, and
 * the structured parts (checklists, links, risks, timeline, key figures).
 */
import type { ReactNode } from 'react';
import type { Agent, Answer, PartialAnswer } from '../../api/types';
import type { IconName } from '../Icon';
import { Markdown } from '../Markdown';
import type { MessageKey } from '../../i18n';
import { asList, asText } from './answerFormat';
import { Bullets, Figures, FollowUps, Resources, Section, Steps, Timeline } from './AnswerParts';
import { Checklist } from './Checklist';
import { SpecialistHeader } from './SpecialistHeader';
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
