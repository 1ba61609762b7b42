/** A wait in words a person reads at a glance: "about 13 minutes", not "781 s". */
import type { MessageKey, Vars } from './index';

type T = (key: MessageKey, vars?: Vars) => string;

export function waitText(t: T, seconds: number): string {
  const s = Math.max(1, Math.ceil(seconds));
  if (s < 60) return t(s === 1 ? 'wait.second' : 'wait.seconds', { n: s });
  const minutes = Math.round(s / 60);
  if (minutes < 2) return t('wait.minute');
  if (minutes < 90) return t('wait.minutes', { n: minutes });
  const hours = Math.round(minutes / 60);
  return t('wait.hours', { n: hours });
}
