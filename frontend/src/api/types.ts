/**
 * The API's data shapes, named for the app. They come from the generated
 * `schema.d.ts`; when the backend renames a schema, only this file changes.
 *
 * Typed answers are written out here: the engine's answer models are the
 * source of truth, and the API may describe `answer` as a plain JSON object.
 * Loose string fields (agent, feedback, status) are narrowed the same way.
 */
import type { components } from './schema';

type Schemas = components['schemas'];

export type User = Schemas['User'];
export type Project = Schemas['Project'];
export type ProjectKind = NonNullable<Project['kind']>;
export type Language = User['preferred_language'];
export type MeUpdate = Schemas['MeUpdate'];
export type UserCreate = Schemas['UserCreate'];
export type UserUpdate = Schemas['UserUpdate'];
export type TokenPair = Schemas['TokenPair'];

export type Channel = Schemas['Channel'];
export type Agent = Schemas['Specialist'];
export type Conversation = Schemas['Conversation'];
export type Attachment = Schemas['Attachment'];
export type DeliveryStatus = Schemas['DeliveryStatus'];
export type FeedbackValue = 1 | -1 | 0;

interface AnswerBase {
  /** The deterministic offline model answered (no AI provider configured or reachable). */
  offline?: boolean;
}
export interface MarketingAnswer extends AnswerBase {
  kind: 'marketing';
  advice: string;
  action_items: string[];
  resources: string[];
}
export interface TechnicalAnswer extends AnswerBase {
  kind: 'technical';
  solution: string;
  implementation_steps: string[];
  considerations: string[];
}
export interface ProjectManagementAnswer extends AnswerBase {
  kind: 'project_management';
  recommendations: string;
  timeline_suggestions: string[];
  risk_factors: string[];
}
export interface FinancialAnswer extends AnswerBase {
  kind: 'financial';
  analysis: string;
  recommendations: string[];
  key_figures: string[];
  risks: string[];
}
export interface GeneralAnswer extends AnswerBase {
  kind: 'general';
  message: string;
  follow_up_questions: string[];
}
export type Answer = MarketingAnswer | TechnicalAnswer | ProjectManagementAnswer | FinancialAnswer | GeneralAnswer;
export type AnswerKind = Answer['kind'];

/** A partial typed answer as streamed: the kind is known, fields arrive over time. */
export type PartialAnswer = { kind: AnswerKind; offline?: boolean } & Record<string, unknown>;

/**
 * The API publishes a message only inside `Transcript` (the admin view adds
 * `deliveries`); chat routes answer it as a plain JSON object of the same shape.
 */
type ApiMessage = Omit<Schemas['TranscriptMessage'], 'deliveries'>;
export type Message = Omit<ApiMessage, 'agent' | 'answer' | 'feedback'> & {
  agent: Agent | null;
  answer: Answer | null;
  feedback: 1 | -1 | null;
};
export interface TurnResult { user_message: Message; message: Message }

export type FileRules = Schemas['FileRules'];
export type FileType = FileRules['types'][number];
export type ExtractionStatus = 'pending' | 'running' | 'done' | 'failed' | 'unreadable' | 'not_applicable';
export type UserFile = Omit<Schemas['FileOut'], 'extraction_status'> & { extraction_status: ExtractionStatus };
export interface ConversationUpload { file: UserFile; message: Message }

export type AdminConversation = Schemas['AdminConversation'];
export type Delivery = Schemas['DeliveryOut'];
export type TranscriptMessage = Message & { deliveries: Delivery[] };
export type Transcript = Omit<Schemas['Transcript'], 'messages'> & { messages: TranscriptMessage[] };
export type AuditEntry = Schemas['AuditEntry'];

/** A keyset page; `next_cursor` is absent or null on the last one. */
export interface Page<T> {
  items: T[];
  next_cursor?: string | null;
}

/** One server-sent event of a streamed turn (`POST /conversations/{id}/messages`). */
export type TurnEvent =
  | { type: 'route'; specialist: Agent; reason: string; language: string }
  | { type: 'delta'; text: string }
  | { type: 'partial'; answer: PartialAnswer }
  | { type: 'tool'; name: string }
  | { type: 'done'; user_message: Message; message: Message }
  | { type: 'error'; message: string };
