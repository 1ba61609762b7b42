/**
 * Modal dialogs on the native <dialog> element: focus trapping, Escape to
 * close and the inert background come from the browser.
 */
import { useEffect, useId, useRef, type SyntheticEvent, type ReactNode } from 'react';
import { useI18n } from '../i18n';
import { Icon } from './Icon';

interface DialogProps {
  open: boolean;
  title: string;
  onClose: () => void;
  children: ReactNode;
  footer?: ReactNode;
  /** Wraps the body in a form; submitting it calls this. */
  onSubmit?: () => void;
  testId?: string;
}

export function Dialog({ open, title, onClose, children, footer, onSubmit, testId }: DialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const { t } = useI18n();

  // Focus goes back to what opened the dialog, also when the dialog is unmounted while open
  // (the browser restores it only on close()).
  useEffect(() => {
    if (!open) return;
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    return () => {
      if (opener?.isConnected && !opener.closest('dialog')) opener.focus();
    };
  }, [open]);

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) {
      if (typeof dialog.showModal === 'function') dialog.showModal();
      else dialog.setAttribute('open', '');
      // showModal() focuses the first focusable element (the close button); React's autoFocus
      // ran before the dialog was shown, so a control marked data-autofocus takes it here.
      dialog.querySelector<HTMLElement>('[data-autofocus]')?.focus();
    } else if (!open && dialog.open) {
      if (typeof dialog.close === 'function') dialog.close();
      else dialog.removeAttribute('open');
    }
  }, [open]);

  const submit = (event: SyntheticEvent) => {
    event.preventDefault();
    onSubmit?.();
  };

  const body = (
    <>
      <header className="dialog__header">
        <h2 id={titleId} className="dialog__title">
          {title}
        </h2>
        <button type="button" className="icon-btn" onClick={onClose} aria-label={t('common.close')}>
          <Icon name="x" />
        </button>
      </header>
      <div className="dialog__body">{children}</div>
      {footer && <footer className="dialog__footer">{footer}</footer>}
    </>
  );

  return (
    <dialog
      ref={ref}
      className="dialog"
      aria-labelledby={titleId}
      data-testid={testId}
      onCancel={(event) => {
        event.preventDefault();
        onClose();
      }}
      onClick={(event) => {
        if (event.target === ref.current) onClose();
      }}
    >
      {open && (onSubmit ? <form onSubmit={submit}>{body}</form> : body)}
    </dialog>
  );
}

interface ConfirmProps {
  open: boolean;
  title: string;
  body: ReactNode;
  confirmLabel: string;
  busy?: boolean;
  error?: string | null;
  /** Red for what takes something away (the default); primary for what grants something. */
  tone?: 'danger' | 'primary';
  testId?: string;
  onConfirm: () => void;
  onClose: () => void;
}

/** "Are you sure?" for consequential actions; the confirm button is not the default focus (Cancel is). */
export function ConfirmDialog({ open, title, body, confirmLabel, busy, error, tone = 'danger', testId = 'confirm-dialog', onConfirm, onClose }: ConfirmProps) {
  const { t } = useI18n();
  return (
    <Dialog
      open={open}
      title={title}
      onClose={onClose}
      testId={testId}
      footer={
        <>
          <button type="button" className="btn btn--secondary" onClick={onClose} data-autofocus>
            {t('common.cancel')}
          </button>
          <button type="button" className={`btn btn--${tone}`} onClick={onConfirm} disabled={busy} data-testid="confirm-button">
            {confirmLabel}
          </button>
        </>
      }
    >
      <p>{body}</p>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
    </Dialog>
  );
}
