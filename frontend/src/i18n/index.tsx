/**
 * A tiny typed i18n: two dictionaries, `{name}` placeholders, and a context
 * holding the current language. Spanish is the default.
 */
import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from 'react';
import { en } from './en';
import { es } from './es';

export type Lang = 'es' | 'en';
export type MessageKey = keyof typeof es;
export type Dictionary = Record<MessageKey, string>;
export type Vars = Record<string, string | number>;

const dictionaries: Record<Lang, Dictionary> = { es, en };
const LANG_KEY = 'ignacio.lang';

export function translate(lang: Lang, key: MessageKey, vars?: Vars): string {
  const template = dictionaries[lang][key];
  if (!vars) return template;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in vars ? String(vars[name]) : whole));
}

export function isMessageKey(key: string): key is MessageKey {
  return key in es;
}

export function isLang(value: unknown): value is Lang {
  return value === 'es' || value === 'en';
}

function initialLang(): Lang {
  try {
    const stored = localStorage.getItem(LANG_KEY);
    if (isLang(stored)) return stored;
  } catch {
    // storage unavailable: fall through
  }
  return 'es';
}

interface I18nValue {
  lang: Lang;
  setLang: (lang: Lang) => void;
  t: (key: MessageKey, vars?: Vars) => string;
  /** Formats a timestamp for the current language. */
  formatDate: (iso: string, style?: 'short' | 'long' | 'time' | 'date') => string;
}

const I18nContext = createContext<I18nValue | null>(null);

const DATE_STYLES: Record<'short' | 'long' | 'time' | 'date', Intl.DateTimeFormatOptions> = {
  short: { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' },
  long: { dateStyle: 'medium', timeStyle: 'short' },
  time: { hour: '2-digit', minute: '2-digit' },
  date: { dateStyle: 'medium' },
};

export function I18nProvider({ children, lang: fixed }: { children: ReactNode; lang?: Lang }) {
  const [lang, setLangState] = useState<Lang>(fixed ?? initialLang);

  const setLang = useCallback((next: Lang) => {
    setLangState(next);
    try {
      localStorage.setItem(LANG_KEY, next);
    } catch {
      // not persisted: fine
    }
    document.documentElement.lang = next;
  }, []);

  const value = useMemo<I18nValue>(() => {
    const formatters = new Map<string, Intl.DateTimeFormat>();
    return {
      lang,
      setLang,
      t: (key, vars) => translate(lang, key, vars),
      formatDate: (iso, style = 'short') => {
        const date = new Date(iso);
        if (Number.isNaN(date.getTime())) return iso;
        let formatter = formatters.get(style);
        if (!formatter) {
          formatter = new Intl.DateTimeFormat(lang === 'es' ? 'es-ES' : 'en-GB', DATE_STYLES[style]);
          formatters.set(style, formatter);
        }
        return formatter.format(date);
      },
    };
  }, [lang, setLang]);

  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useI18n(): I18nValue {
  const value = useContext(I18nContext);
  if (!value) throw new Error('useI18n outside I18nProvider');
  return value;
}
