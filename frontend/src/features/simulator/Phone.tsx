/**
 * The participant's phone: their WhatsApp chat with Ignacio, refreshed every second (the
 * simulator's phone is not on the live stream), and a composer that sends as them.
 */
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useId, useRef, useState, type SyntheticEvent } from 'react';
import { simulatorChat, simulatorRead, simulatorSend, type SimulatorMessage, type SimulatorOutgoing, type SimulatorParticipant } from '../../api/simulator';
import { Icon } from '../../components/Icon';
import { useErrorText } from '../../hooks/useErrorText';
import { useI18n } from '../../i18n';
import { Bubble } from './Bubble';

const POLL_MS = 1000;

export function Phone({ participant }: { participant: SimulatorParticipant }) {
  const { t } = useI18n();
  const errorText = useErrorText();
  const id = useId();
  const queryClient = useQueryClient();
  const key = ['simulator', participant.id] as const;
  const chat = useQuery({ queryKey: key, queryFn: () => simulatorChat(participant.id), refetchInterval: POLL_MS, staleTime: 0 });
  const [text, setText] = useState('');
  const [file, setFile] = useState<File | null>(null);
  const [error, setError] = useState<string | null>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  const end = useRef<HTMLLIElement>(null);
  const messages = chat.data ?? [];
  const unread = messages.some((m) => m.direction === 'outbound' && m.status !== 'read');

  // The chat is open on the phone: what Ignacio sent is read (blue ticks on its side).
  useEffect(() => {
    if (unread) void simulatorRead(participant.id).catch(() => undefined);
  }, [unread, participant.id]);
  // Braces: newer browsers return a promise from scrollIntoView, which React would take for
  // the effect's clean-up and call (a crash on the next render).
  useEffect(() => {
    end.current?.scrollIntoView({ block: 'end' });
  }, [messages.length]);

  const send = async (outgoing: SimulatorOutgoing) => {
    setError(null);
    try {
      await simulatorSend(participant.id, outgoing);
      await queryClient.invalidateQueries({ queryKey: key });
      return true;
    } catch (err) {
      setError(errorText(err));
      return false;
    }
  };

  const submit = async (event: SyntheticEvent) => {
    event.preventDefault();
    if (!text.trim() && !file) return;
    if (await send({ text, file: file ?? undefined })) {
      setText('');
      setFile(null);
    }
  };

  const tap = (message: SimulatorMessage, button: { id: string; title: string }) =>
    void send({ text: button.title, button: { id: button.id, replyTo: message.wamid, kind: message.list_button ? 'list' : 'button' } });

  return (
    <section className="sim-phone" aria-labelledby={`${id}-name`} data-testid="sim-phone">
      <header className="sim-phone__header">
        <span className="brand-mark" aria-hidden="true">
          I
        </span>
        <div>
          <h2 id={`${id}-name`} className="sim-phone__name">
            Ignacio
          </h2>
          <p className="sim-phone__as">{t('sim.as', { name: participant.name ?? participant.phone_number })}</p>
        </div>
      </header>
      <ol className="sim-phone__chat" aria-live="polite" aria-label={t('sim.chat')} tabIndex={0} data-testid="sim-chat">
        {messages.length === 0 && !chat.isPending && <li className="sim-phone__empty">{t('sim.empty')}</li>}
        {messages.map((message) => (
          <Bubble key={message.id} message={message} onTap={tap} />
        ))}
        <li ref={end} aria-hidden="true" />
      </ol>
      {error && (
        <p className="form-error sim-phone__error" role="alert">
          {error}
        </p>
      )}
      <form className="sim-phone__composer" onSubmit={submit}>
        <input ref={fileInput} id={`${id}-file`} type="file" className="visually-hidden" aria-label={t('chat.attach')} tabIndex={-1}
          onChange={(e) => setFile(e.target.files?.[0] ?? null)} data-testid="sim-file-input" />
        <button type="button" className="icon-btn" onClick={() => fileInput.current?.click()} aria-label={t('chat.attach')} title={t('chat.attach')}>
          <Icon name="paperclip" size={20} />
        </button>
        <label htmlFor={`${id}-text`} className="visually-hidden">
          {t('sim.typeMessage')}
        </label>
        <input id={`${id}-text`} className="sim-phone__input" value={text} onChange={(e) => setText(e.target.value)}
          placeholder={file ? file.name : t('sim.typeMessage')} maxLength={4096} autoComplete="off" data-testid="sim-input" />
        <button type="submit" className="icon-btn sim-phone__send" aria-label={t('sim.send')} title={t('sim.send')} disabled={!text.trim() && !file} data-testid="sim-send">
          <Icon name="send" size={20} />
        </button>
      </form>
    </section>
  );
}
