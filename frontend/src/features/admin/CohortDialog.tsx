/** Create a cohort, or edit one: name, dates, language, retention after the end, token caps. */
import { useId, useState } from 'react';
import type { Cohort } from '../../api/types';
import { Dialog } from '../../components/Dialog';
import { useErrorText } from '../../hooks/useErrorText';
import { useI18n, type MessageKey } from '../../i18n';
import { CAPS, fromCohort, toBody, type Cap, type Form } from './cohortForm';
import { useSaveCohort } from './cohortQueries';

interface Props {
  open: boolean;
  /** null: create a new cohort. */
  cohort: Cohort | null;
  onClose: () => void;
  onSaved: (cohort: Cohort, created: boolean) => void;
}

export function CohortDialog(props: Props) {
  // Remount per open, so the form starts from the cohort being edited.
  return props.open ? <CohortForm key={props.cohort?.id ?? 'new'} {...props} /> : null;
}

function CohortForm({ cohort, onClose, onSaved }: Props) {
  const { t } = useI18n();
  const errorText = useErrorText();
  const id = useId();
  const [form, setForm] = useState<Form>(() => fromCohort(cohort));
  const save = useSaveCohort(cohort?.id ?? null);
  const set = (key: keyof Form) => (value: string) => setForm((f) => ({ ...f, [key]: value }));
  const field = (key: string) => `${id}-${key}`;
  const badDates = Boolean(form.starts_on && form.ends_on && form.ends_on < form.starts_on);
  const ready = form.name.trim() !== '' && form.starts_on !== '' && form.ends_on !== '' && !badDates;

  const submit = () => {
    if (!ready) return;
    save.mutate(toBody(form), { onSuccess: (saved) => onSaved(saved, cohort === null) });
  };

  const input = (key: 'name' | 'starts_on' | 'ends_on' | 'retention_days' | Cap, label: MessageKey, type = 'text') => (
    <div className="field" key={key}>
      <label htmlFor={field(key)}>{t(label)}</label>
      <input
        id={field(key)}
        type={type}
        min={type === 'number' ? (key === 'retention_days' ? 0 : 1) : undefined}
        required={!key.endsWith('_tokens')}
        value={form[key]}
        onChange={(e) => set(key)(e.target.value)}
        data-testid={`cohort-${key}`}
      />
    </div>
  );

  return (
    <Dialog
      open
      title={cohort ? t('cohorts.edit') : t('cohorts.new')}
      onClose={onClose}
      onSubmit={submit}
      testId="cohort-dialog"
      footer={
        <>
          <button type="button" className="btn btn--secondary" onClick={onClose}>
            {t('common.cancel')}
          </button>
          <button type="submit" className="btn btn--primary" disabled={save.isPending || !ready} data-testid="cohort-save">
            {save.isPending ? t('common.saving') : cohort ? t('common.save') : t('cohorts.create')}
          </button>
        </>
      }
    >
      <div className="form">
        {input('name', 'cohorts.name')}
        <div className="grid-2">
          {input('starts_on', 'cohorts.startsOn', 'date')}
          {input('ends_on', 'cohorts.endsOn', 'date')}
          <div className="field">
            <label htmlFor={field('language')}>{t('cohorts.language')}</label>
            <select id={field('language')} value={form.language} onChange={(e) => set('language')(e.target.value)}>
              <option value="es">{t('app.lang.es')}</option>
              <option value="en">{t('app.lang.en')}</option>
            </select>
          </div>
          {input('retention_days', 'cohorts.retentionDays', 'number')}
        </div>
        <fieldset className="fieldset">
          <legend>{t('cohorts.caps')}</legend>
          <p className="field__hint">{t('cohorts.capsHint')}</p>
          <div className="grid-2">{CAPS.map((k) => input(k, `cohorts.cap.${k}`, 'number'))}</div>
        </fieldset>
        <p className="form-error" role="alert">
          {badDates ? t('cohorts.badDates') : save.error ? errorText(save.error) : null}
        </p>
      </div>
    </Dialog>
  );
}
