/** The chat's route elements, loaded together as one lazy chunk (see App.tsx). */
export { ChatLayout } from './ChatLayout';
export { ConversationView } from './ConversationView';
