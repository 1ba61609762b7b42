/**
 * The API's data shapes, named for the app. They come from the generated
 * `schema.d.ts`; when the backend renames a schema, only this file changes.
 */
import type { components } from './schema';

type Schemas = components['schemas'];

export type User = Schemas['User'];
export type Project = Schemas['Project'];
export type ProjectKind = Schemas['ProjectKind'];
export type Language = Schemas['Language'];
export type MeUpdate = Schemas['MeUpdate'];
export type UserCreate = Schemas['UserCreate'];
export type UserUpdate = Schemas['UserUpdate'];
export type TokenPair = Schemas['TokenPair'];

export type Channel = Schemas['Channel'];
export type Agent = Schemas['Agent'];
export type Conversation = Schemas['Conversation'];
export type Message = Schemas['Message'];
export type Attachment = Schemas['Attachment'];
export type TurnResult = Schemas['TurnResult'];
export type DeliveryStatus = Message['status'];
export type FeedbackValue = 1 | -1 | 0;

export type MarketingAnswer = Schemas['MarketingAnswer'];
export type TechnicalAnswer = Schemas['TechnicalAnswer'];
export type ProjectManagementAnswer = Schemas['ProjectManagementAnswer'];
export type FinancialAnswer = Schemas['FinancialAnswer'];
export type GeneralAnswer = Schemas['GeneralAnswer'];
export type Answer = Schemas['Answer'];
export type AnswerKind = Answer['kind'];

export type FileRules = Schemas['FileRules'];
export type FileType = Schemas['FileType'];
export type UserFile = Schemas['UserFile'];
export type ConversationUpload = Schemas['ConversationUpload'];

export type AdminConversation = Schemas['AdminConversation'];
export type Transcript = Schemas['Transcript'];
export type AuditEntry = Schemas['AuditEntry'];

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

/** A partial typed answer as streamed: the kind is known, fields arrive over time. */
export type PartialAnswer = { kind: AnswerKind; offline?: boolean } & Record<string, unknown>;

/** One server-sent event of a streamed turn (`POST /conversations/{id}/messages`). */
export type TurnEvent =
  | { type: 'route'; specialist: Agent; reason: string; language: string }
  | { type: 'delta'; text: string }
  | { type: 'partial'; answer: PartialAnswer }
  | { type: 'tool'; name: string }
  | { type: 'done'; user_message: Message; message: Message }
  | { type: 'error'; message: string };
