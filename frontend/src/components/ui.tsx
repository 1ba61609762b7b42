/** Small shared building blocks: alerts, spinners, badges, empty states. */
import type { ReactNode } from 'react';
import { Icon, type IconName } from './Icon';

export function Spinner({ label, size = 'md' }: { label?: string; size?: 'sm' | 'md' }) {
  return (
    <span className={`spinner spinner--${size}`} role={label ? 'status' : undefined}>
      <span className="spinner__ring" aria-hidden="true" />
      {label && <span className="visually-hidden">{label}</span>}
    </span>
  );
}

export function PageLoader({ label }: { label: string }) {
  return (
    <div className="page-loader">
      <Spinner label={label} />
    </div>
  );
}

/** An error message that screen readers announce as soon as it appears. */
export function Alert({
  children,
  tone = 'error',
  onRetry,
  retryLabel,
}: {
  children: ReactNode;
  tone?: 'error' | 'info' | 'success' | 'warning';
  onRetry?: () => void;
  retryLabel?: string;
}) {
  const icon: IconName = tone === 'success' ? 'check' : tone === 'info' ? 'info' : 'alert';
  return (
    <div className={`alert alert--${tone}`} role={tone === 'error' ? 'alert' : 'status'}>
      <Icon name={icon} />
      <div className="alert__body">{children}</div>
      {onRetry && (
        <button type="button" className="btn btn--ghost btn--sm" onClick={onRetry}>
          {retryLabel}
        </button>
      )}
    </div>
  );
}

/** A polite live region that is always in the DOM, so changes to it are announced. */
export function LiveMessage({ children, className }: { children: ReactNode; className?: string }) {
  return (
    <div className={className} aria-live="polite" role="status">
      {children}
    </div>
  );
}

export function Badge({
  children,
  tone = 'neutral',
  icon,
  title,
}: {
  children: ReactNode;
  tone?: 'neutral' | 'primary' | 'success' | 'warning' | 'danger' | 'whatsapp';
  icon?: IconName;
  title?: string;
}) {
  return (
    <span className={`badge badge--${tone}`} title={title}>
      {icon && <Icon name={icon} size={12} />}
      {children}
    </span>
  );
}

/** `heading` makes the title a heading of that level (a page whose only content this is). */
export function EmptyState({ icon, title, heading, children }: { icon: IconName; title: string; heading?: 1 | 2; children?: ReactNode }) {
  const Title = heading ? (`h${heading}` as const) : 'p';
  return (
    <div className="empty-state">
      <span className="empty-state__icon">
        <Icon name={icon} size={28} />
      </span>
      <Title className="empty-state__title">{title}</Title>
      {children}
    </div>
  );
}

/** Bytes as "1.2 MB". */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value >= 10 ? Math.round(value) : value.toFixed(1)} ${units[unit] ?? 'GB'}`;
}
