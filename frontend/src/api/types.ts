/**
 * The API's data shapes, named for the app. They come from the generated
 * `schema.d.ts`; when the backend renames a schema, only this file changes.
 *
 * Typed answers come from the backend's answer models (the schema publishes
 * them as a union discriminated by `kind`); loose fields are narrowed here.
 */
import type { components } from './schema';

type Schemas = components['schemas'];

export type User = Schemas['User'];
export type Consent = Schemas['ConsentOut'];
export type Project = Schemas['Project'];
export type ProjectKind = NonNullable<Project['kind']>;
export type Language = User['preferred_language'];
export type MeUpdate = Schemas['MeUpdate'];
export type UserCreate = Schemas['UserCreate'];
export type UserUpdate = Schemas['UserUpdate'];
export type ImportReport = Schemas['ImportReport'];
export type AccessToken = Schemas['AccessToken'];
export type SignedInDevice = Schemas['SessionOut'];
export type TotpStatus = Schemas['TotpStatus'];
export type TotpEnrolment = Schemas['TotpEnrolment'];

/** A channel's registered name (`web`, `whatsapp`, …); its traits come from `/channels`. */
export type Channel = string;
export type ChannelInfo = Schemas['ChannelInfo'];
export type Agent = Schemas['Specialist'];
export type Conversation = Schemas['Conversation'];
export type ConversationHit = Schemas['ConversationHit'];
export type Attachment = Schemas['Attachment'];
export type DeliveryStatus = Schemas['DeliveryStatus'];
export type FeedbackValue = 1 | -1 | 0;
export type FeedbackTag = NonNullable<Schemas['FeedbackIn']['tags']>[number];

/** Typed answers, one per specialist, exactly as the backend publishes them. */
export type MarketingAnswer = Schemas['MarketingResponse'];
export type TechnicalAnswer = Schemas['TechnicalResponse'];
export type ProjectManagementAnswer = Schemas['ProjectManagementResponse'];
export type FinancialAnswer = Schemas['FinancialResponse'];
export type GeneralAnswer = Schemas['GeneralResponse'];
export type Answer = MarketingAnswer | TechnicalAnswer | ProjectManagementAnswer | FinancialAnswer | GeneralAnswer;
export type AnswerKind = Answer['kind'];

/** A partial typed answer as streamed: the kind is known, fields arrive over time. */
export type PartialAnswer = { kind: AnswerKind; offline?: boolean } & Record<string, unknown>;

/**
 * The API publishes a message only inside `Transcript` (the admin view adds
 * `deliveries` and `origin`); chat routes answer it as a plain JSON object of the same shape.
 */
type ApiMessage = Omit<Schemas['TranscriptMessage'], 'deliveries' | 'origin'>;
export type Message = Omit<ApiMessage, 'feedback'> & {
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
/** What the channel said about a message beyond its words (forwarded, an ad, deleted…). */
export type MessageOrigin = Schemas['MessageOrigin'];
export type TranscriptMessage = Message & { deliveries: Delivery[]; origin: MessageOrigin };
export type Transcript = Omit<Schemas['Transcript'], 'messages'> & { messages: TranscriptMessage[] };
export type AuditEntry = Schemas['AuditEntry'];

/** The staff area: a mentor's (or admin's) view of a conversation, the queue, promotion. */
export type UserRef = Schemas['UserRef'];
export type PauseInfo = Schemas['PauseOut'];
export type MentorTranscript = Omit<Schemas['MentorTranscript'], 'messages'> & { messages: TranscriptMessage[] };
export type AttentionKind = Schemas['AttentionKind'];
export type QueueItem = Schemas['QueueItem'];
export type QueueCounts = Schemas['QueueCounts'];
export type PromoteRequest = Schemas['PromoteIn'];
export type EvalCase = Schemas['EvalCaseOut'];
export type MentorAssignment = Schemas['Assignment'];

/** One thing Ignacio remembers about a participant, from any conversation or channel. */
export type MemoryNote = Schemas['MemoryNote'];
export type MemoryKind = MemoryNote['kind'];

/** A keyset page; `next_cursor` is absent or null on the last one. */
export interface Page<T> {
  items: T[];
  next_cursor?: string | null;
}

/**
 * One server-sent event of a streamed turn (`POST /conversations/{id}/messages`),
 * as the schema's `TurnStreamEvent` frames: `event` becomes `type`, `data` the
 * rest (a text `data`, as `json` has, becomes `text`).
 */
type StreamFrame = Schemas['TurnStreamEvent'];
type AsTurnEvent<F> = F extends { event: infer E; data: infer D } ? (D extends string ? { type: E; text: D } : { type: E } & D) : never;
export type TurnEventName = StreamFrame['event'];
export type AnswerStart = Schemas['AnswerData'];
export type TurnEvent =
  | Exclude<AsTurnEvent<StreamFrame>, { type: 'done' }>
  | { type: 'done'; user_message: Message; message: Message };

/** An edition of the program: dates, language, retention and token caps, members and mentors. */
export type Cohort = Schemas['Cohort'];
export type CohortCreate = Schemas['CohortCreate'];
export type CohortUpdate = Schemas['CohortUpdate'];
export type CohortMembership = Schemas['CohortMembership'];
/** Tokens and cost summed by cohort, participant or day (`cost_usd` is a decimal string). */
export type UsageGroup = Schemas['UsageGroup'];
export type UsageItem = Schemas['UsageItem'];
export type CapLiftOut = Schemas['CapLiftOut'];
