/** The user's own details and project profile (the advisor's context), and their files. */
import { useId, useState, type ReactNode, type SyntheticEvent } from 'react';
import type { Language, ProjectKind, User } from '../../api/types';
import { updateMe } from '../../api/users';
import { Alert } from '../../components/ui';
import { useErrorText } from '../../hooks/useErrorText';
import { useI18n, type MessageKey } from '../../i18n';
import { useAuth, useUser } from '../../lib/auth';
import { DataExport } from './DataExport';
import { SignedInDevices } from './SignedInDevices';
import { TwoStepSection } from './TwoStepSection';

const KINDS: ProjectKind[] = ['startup', 'ngo', 'spin_off', 'intrapreneurship'];
const STAGES_ES = ['Idea', 'Validación', 'MVP', 'Primeros clientes', 'Crecimiento'];
const STAGES_EN = ['Idea', 'Validation', 'MVP', 'First customers', 'Growth'];

interface FormState {
  name: string;
  preferred_language: Language;
  project_name: string;
  kind: ProjectKind | '';
  stage: string;
  description: string;
  goals: string;
}

function fromUser(user: User): FormState {
  return {
    name: user.name ?? '',
    preferred_language: user.preferred_language,
    project_name: user.project.project_name ?? '',
    kind: user.project.kind ?? '',
    stage: user.project.stage ?? '',
    description: user.project.description ?? '',
    goals: user.project.goals ?? '',
  };
}

const orNull = (value: string) => (value.trim() === '' ? null : value.trim());

/** `children`: what other features show on the profile (memory, files), composed by the app. */
export function ProfilePage({ children }: { children?: ReactNode }) {
  const { t, lang } = useI18n();
  const user = useUser();
  const { setUser } = useAuth();
  const errorText = useErrorText();
  const [form, setForm] = useState<FormState>(() => fromUser(user));
  const [saving, setSaving] = useState(false);
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);
  const id = useId();

  const set = <K extends keyof FormState>(key: K) => (value: FormState[K]) => {
    setForm((previous) => ({ ...previous, [key]: value }));
    setResult(null);
  };

  const submit = async (event: SyntheticEvent) => {
    event.preventDefault();
    setSaving(true);
    setResult(null);
    try {
      const updated = await updateMe({
        // An empty name is not a name: leave it as it is rather than fail validation.
        ...(form.name.trim() ? { name: form.name.trim() } : {}),
        preferred_language: form.preferred_language,
        project: {
          project_name: orNull(form.project_name),
          kind: form.kind === '' ? null : form.kind,
          stage: orNull(form.stage),
          description: orNull(form.description),
          goals: orNull(form.goals),
        },
      });
      setUser(updated);
      setForm(fromUser(updated));
      setResult({ ok: true, text: t('common.saved') });
    } catch (error) {
      setResult({ ok: false, text: errorText(error) });
    } finally {
      setSaving(false);
    }
  };

  const field = (key: string) => `${id}-${key}`;

  return (
    <main className="page page--narrow" id="main">
      <header className="page__header">
        <h1 className="page__title">{t('profile.title')}</h1>
        <p className="muted">{t('profile.subtitle')}</p>
      </header>

      <form className="panel form" onSubmit={submit} data-testid="profile-form">
        <fieldset className="fieldset">
          <legend className="panel__title">{t('profile.personal')}</legend>
          <div className="grid-2">
            <div className="field">
              <label htmlFor={field('name')}>{t('profile.name')}</label>
              <input id={field('name')} autoComplete="name" value={form.name} onChange={(e) => set('name')(e.target.value)} />
            </div>
            <div className="field">
              <label htmlFor={field('phone')}>{t('profile.phone')}</label>
              <input id={field('phone')} value={user.phone_number} readOnly aria-readonly="true" className="input--readonly" />
            </div>
            <div className="field">
              <label htmlFor={field('lang')}>{t('profile.language')}</label>
              <select
                id={field('lang')}
                value={form.preferred_language}
                onChange={(e) => set('preferred_language')(e.target.value as Language)}
              >
                <option value="es">{t('app.lang.es')}</option>
                <option value="en">{t('app.lang.en')}</option>
              </select>
            </div>
          </div>
        </fieldset>

        <fieldset className="fieldset">
          <legend className="panel__title">{t('profile.project')}</legend>
          <div className="grid-2">
            <div className="field">
              <label htmlFor={field('project_name')}>{t('profile.projectName')}</label>
              <input id={field('project_name')} value={form.project_name} onChange={(e) => set('project_name')(e.target.value)} />
            </div>
            <div className="field">
              <label htmlFor={field('kind')}>{t('profile.kind')}</label>
              <select id={field('kind')} value={form.kind} onChange={(e) => set('kind')(e.target.value as ProjectKind | '')}>
                <option value="">{t('profile.kind.none')}</option>
                {KINDS.map((kind) => (
                  <option key={kind} value={kind}>
                    {t(`profile.kind.${kind}` as MessageKey)}
                  </option>
                ))}
              </select>
            </div>
          </div>
          <div className="field">
            <label htmlFor={field('stage')}>{t('profile.stage')}</label>
            <input
              id={field('stage')}
              list={field('stages')}
              value={form.stage}
              onChange={(e) => set('stage')(e.target.value)}
              aria-describedby={field('stage-hint')}
            />
            <datalist id={field('stages')}>
              {(lang === 'es' ? STAGES_ES : STAGES_EN).map((stage) => (
                <option key={stage} value={stage} />
              ))}
            </datalist>
            <p id={field('stage-hint')} className="field__hint">
              {t('profile.stageHint')}
            </p>
          </div>
          <div className="field">
            <label htmlFor={field('description')}>{t('profile.description')}</label>
            <textarea
              id={field('description')}
              rows={4}
              value={form.description}
              onChange={(e) => set('description')(e.target.value)}
              aria-describedby={field('description-hint')}
            />
            <p id={field('description-hint')} className="field__hint">
              {t('profile.descriptionHint')}
            </p>
          </div>
          <div className="field">
            <label htmlFor={field('goals')}>{t('profile.goals')}</label>
            <textarea
              id={field('goals')}
              rows={3}
              value={form.goals}
              onChange={(e) => set('goals')(e.target.value)}
              aria-describedby={field('goals-hint')}
            />
            <p id={field('goals-hint')} className="field__hint">
              {t('profile.goalsHint')}
            </p>
          </div>
        </fieldset>

        <div className="form__actions">
          <div aria-live="polite" className="form__status">
            {result && (result.ok ? <span className="text-success">{result.text}</span> : <Alert>{result.text}</Alert>)}
          </div>
          <button type="submit" className="btn btn--primary" disabled={saving} data-testid="profile-save">
            {saving ? t('common.saving') : t('common.save')}
          </button>
        </div>
      </form>

      {children}

      {(user.is_admin || user.is_mentor) && <TwoStepSection />}

      <SignedInDevices />

      <DataExport />
    </main>
  );
}
