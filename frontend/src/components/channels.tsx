/**
 * Channels as the web app sees them: what it may do with a conversation comes from the
 * channel's traits (published by `/channels`), never from comparing channel names.
 */
import { useEffect, useState } from 'react';
import { listChannels } from '../api/channels';
import type { ChannelInfo } from '../api/types';
import { Badge } from './ui';
import { isMessageKey, useI18n } from '../i18n';

export type Channels = Record<string, ChannelInfo>;

let cached: Promise<Channels> | null = null;

function loadChannels(): Promise<Channels> {
  cached ??= listChannels()
    .then((list) => Object.fromEntries(list.map((c) => [c.name, c])))
    .catch((error: unknown) => {
      cached = null; // try again next time
      throw error;
    });
  return cached;
}

/** The deployment's channels, or null until they are known. */
export function useChannels(): Channels | null {
  const [channels, setChannels] = useState<Channels | null>(null);
  useEffect(() => {
    let live = true;
    loadChannels().then(
      (loaded) => live && setChannels(loaded),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, []);
  return channels;
}

/**
 * Whether a conversation on `channel` continues on that channel rather than here. Until the
 * traits are known, anything but the web is treated as read-only (nothing is sent by mistake).
 */
export function isReadOnly(channels: Channels | null, channel: string | undefined): boolean {
  if (!channel) return false;
  const info = channels?.[channel];
  return info ? info.read_only_on_web : channel !== 'web';
}

/** A channel's name in the interface language when we have one, else its own label. */
export function useChannelLabel(): (channel: string, channels?: Channels | null) => string {
  const { t } = useI18n();
  return (channel, channels) => {
    const key = `channel.${channel}`;
    return isMessageKey(key) ? t(key) : (channels?.[channel]?.label ?? channel);
  };
}

/** The channel a message or conversation came through (a phone for short-answer channels). */
export function ChannelBadge({ channel }: { channel: string }) {
  const channels = useChannels();
  const label = useChannelLabel();
  const phone = channels?.[channel]?.short_answers ?? channel !== 'web';
  return (
    <Badge tone={phone ? 'whatsapp' : 'neutral'} icon={phone ? 'phone' : 'globe'}>
      {label(channel, channels)}
    </Badge>
  );
}
