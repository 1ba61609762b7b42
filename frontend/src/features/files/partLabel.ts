import type { Lang } from '../../i18n';

/** How the extracted text is divided ("12 pages", "3 hojas"); the server names the unit in English. */
const UNITS: Record<Lang, Record<string, [string, string]>> = {
  es: {
    page: ['página', 'páginas'],
    paragraph: ['párrafo', 'párrafos'],
    slide: ['diapositiva', 'diapositivas'],
    sheet: ['hoja', 'hojas'],
    section: ['sección', 'secciones'],
    minute: ['minuto', 'minutos'],
  },
  en: {
    page: ['page', 'pages'],
    paragraph: ['paragraph', 'paragraphs'],
    slide: ['slide', 'slides'],
    sheet: ['sheet', 'sheets'],
    section: ['section', 'sections'],
    minute: ['minute', 'minutes'],
  },
};

export function partsText(count: number, label: string, lang: Lang): string {
  const forms = UNITS[lang][label];
  if (!forms) return `${count} ${label}`;
  return `${count} ${count === 1 ? forms[0] : forms[1]}`;
}
