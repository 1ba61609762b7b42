import { api, unwrap } from './client';
import type { components } from './schema';

export type SimulatorInfo = components['schemas']['SimulatorInfo'];
export type SimulatorParticipant = components['schemas']['SimulatorParticipant'];
export type SimulatorMessage = components['schemas']['SimulatorChatMessage'];

/** The development WhatsApp simulator (404 when it does not run here: production, or real credentials). */
export const simulatorInfo = (): Promise<SimulatorInfo> => unwrap(api.GET('/dev/whatsapp-simulator'));

export const simulatorChat = (userId: string): Promise<SimulatorMessage[]> =>
  unwrap(api.GET('/dev/whatsapp-simulator/chats/{user_id}', { params: { path: { user_id: userId } } })).then((chat) => chat.messages);

export interface SimulatorOutgoing {
  text: string;
  file?: File;
  /** A tap on a reply button or list row: its id, the message it belongs to, and which kind. */
  button?: { id: string; replyTo: string; kind: 'button' | 'list' };
}

export function simulatorSend(userId: string, message: SimulatorOutgoing): Promise<{ wamid: string }> {
  const form = new FormData();
  form.append('text', message.text);
  if (message.file) form.append('file', message.file, message.file.name);
  if (message.button) {
    form.append('button_id', message.button.id);
    form.append('reply_to', message.button.replyTo);
    form.append('button_kind', message.button.kind);
  }
  return unwrap(
    api.POST('/dev/whatsapp-simulator/chats/{user_id}/messages', {
      params: { path: { user_id: userId } },
      body: {} as never,
      bodySerializer: () => form,
    }),
  );
}

export const simulatorRead = (userId: string): Promise<{ read: number }> =>
  unwrap(api.POST('/dev/whatsapp-simulator/chats/{user_id}/read', { params: { path: { user_id: userId } } }));
