import { useI18n, type Lang } from '../i18n';

/** A two-option language switch; `onChange` lets signed-in pages also save it to the profile. */
export function LanguageSwitch({ onChange }: { onChange?: (lang: Lang) => void }) {
  const { lang, setLang, t } = useI18n();
  const choose = (next: Lang) => {
    if (next === lang) return;
    setLang(next);
    onChange?.(next);
  };
  return (
    <div className="lang-switch" role="group" aria-label={t('app.language')}>
      {(['es', 'en'] as const).map((option) => (
        <button
          key={option}
          type="button"
          className="lang-switch__option"
          aria-pressed={lang === option}
          lang={option}
          onClick={() => choose(option)}
          data-testid={`lang-${option}`}
        >
          {/* The visible code is part of the accessible name, which adds the language's own name. */}
          {option.toUpperCase()}
          <span className="visually-hidden"> · {t(option === 'es' ? 'app.lang.es' : 'app.lang.en')}</span>
        </button>
      ))}
    </div>
  );
}
