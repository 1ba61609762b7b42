/**
 * Promote a rated or flagged turn into eval cases: which suites (routing, answer), who should
 * have answered, notes, and whether to keep the participant's identifying details (off: the
 * name, numbers and addresses are stripped from the case).
 */
import { useId, useState } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { promoteMessage } from '../../api/mentor';
import type { Agent, EvalCase, PromoteRequest, TranscriptMessage } from '../../api/types';
import { Dialog } from '../../components/Dialog';
import { useErrorText } from '../../hooks/useErrorText';
import { useI18n } from '../../i18n';
import { AGENTS, SPECIALISTS } from '../../lib/specialists';

type Suite = PromoteRequest['suites'][number];
const SUITES: readonly [Suite, 'staff.suiteRouting' | 'staff.suiteAnswer'][] = [
  ['routing', 'staff.suiteRouting'],
  ['answer_structure', 'staff.suiteAnswer'],
];

interface PromoteDialogProps {
  message: TranscriptMessage;
  onClose: () => void;
  onPromoted: (cases: EvalCase[]) => void;
}

export function PromoteDialog({ message, onClose, onPromoted }: PromoteDialogProps) {
  const { t } = useI18n();
  const id = useId();
  const errorText = useErrorText();
  const client = useQueryClient();
  const [suites, setSuites] = useState<Suite[]>(['routing']);
  const [expected, setExpected] = useState<Agent>(message.agent ?? 'general');
  const [notes, setNotes] = useState('');
  const [keepDetails, setKeepDetails] = useState(false);
  const promote = useMutation({
    mutationFn: () => promoteMessage(message.id, { suites, expected_specialist: expected, notes: notes.trim() || null, keep_details: keepDetails }),
    onSuccess: (cases) => {
      void client.invalidateQueries({ queryKey: ['staff', 'eval-cases'] });
      onPromoted(cases);
    },
  });
  const toggle = (suite: Suite, on: boolean) => setSuites((current) => (on ? [...current, suite] : current.filter((s) => s !== suite)));
  return (
    <Dialog
      open
      title={t('staff.promoteTitle')}
      onClose={onClose}
      onSubmit={() => promote.mutate()}
      testId="promote-dialog"
      footer={
        <>
          <button type="button" className="btn btn--secondary" onClick={onClose}>
            {t('common.cancel')}
          </button>
          <button type="submit" className="btn btn--primary" disabled={promote.isPending || suites.length === 0} data-testid="promote-save">
            {promote.isPending ? t('common.saving') : t('staff.promote')}
          </button>
        </>
      }
    >
      <div className="form">
        <p className="muted promote__excerpt">{message.content.slice(0, 240)}</p>
        <fieldset className="field">
          <legend>{t('staff.suites')}</legend>
          {SUITES.map(([suite, label]) => (
            <div className="field--check field" key={suite}>
              <input
                id={`${id}-${suite}`}
                type="checkbox"
                checked={suites.includes(suite)}
                onChange={(e) => toggle(suite, e.target.checked)}
                data-testid={`promote-suite-${suite}`}
              />
              <label htmlFor={`${id}-${suite}`}>{t(label)}</label>
            </div>
          ))}
        </fieldset>
        <div className="field">
          <label htmlFor={`${id}-expected`}>{t('staff.expectedSpecialist')}</label>
          <select id={`${id}-expected`} value={expected} onChange={(e) => setExpected(e.target.value as Agent)} data-testid="promote-expected">
            {AGENTS.map((agent) => (
              <option key={agent} value={agent}>
                {t(SPECIALISTS[agent].label)}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={`${id}-notes`}>{t('staff.notes')}</label>
          <textarea id={`${id}-notes`} rows={3} maxLength={1000} value={notes} onChange={(e) => setNotes(e.target.value)} data-testid="promote-notes" />
        </div>
        <div className="field field--check">
          <input
            id={`${id}-keep`}
            type="checkbox"
            checked={keepDetails}
            onChange={(e) => setKeepDetails(e.target.checked)}
            aria-describedby={`${id}-keep-hint`}
            data-testid="promote-keep-details"
          />
          <label htmlFor={`${id}-keep`}>{t('staff.keepDetails')}</label>
        </div>
        <p id={`${id}-keep-hint`} className="field__hint">
          {t('staff.keepDetailsHint')}
        </p>
        <p className="form-error" role="alert">
          {promote.error != null ? errorText(promote.error) : null}
        </p>
      </div>
    </Dialog>
  );
}
