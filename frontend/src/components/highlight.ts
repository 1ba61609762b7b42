/**
 * Syntax highlighting, loaded only when an answer contains a code block (a dynamic import of
 * this module keeps highlight.js out of the first load). Only the languages a project advisor's
 * answers use are registered; anything else is auto-detected among them.
 */
import hljs from 'highlight.js/lib/core';
import bash from 'highlight.js/lib/languages/bash';
import css from 'highlight.js/lib/languages/css';
import javascript from 'highlight.js/lib/languages/javascript';
import json from 'highlight.js/lib/languages/json';
import markdown from 'highlight.js/lib/languages/markdown';
import python from 'highlight.js/lib/languages/python';
import sql from 'highlight.js/lib/languages/sql';
import typescript from 'highlight.js/lib/languages/typescript';
import xml from 'highlight.js/lib/languages/xml';
import yaml from 'highlight.js/lib/languages/yaml';

const LANGUAGES = { bash, css, javascript, json, markdown, python, sql, typescript, xml, yaml };
for (const [name, language] of Object.entries(LANGUAGES)) hljs.registerLanguage(name, language);
hljs.registerAliases(['sh', 'shell', 'zsh', 'console'], { languageName: 'bash' });
hljs.registerAliases(['html', 'svg'], { languageName: 'xml' });

/** Past this size a block stays plain: auto-detection on a huge paste would stall the tab. */
const MAX_CHARS = 20_000;

/**
 * The block as highlight.js HTML, or null to keep it plain. The HTML is safe to insert:
 * highlight.js escapes the source text and only adds its own `<span class="hljs-…">` wrappers.
 */
export function highlight(code: string, language: string | undefined): string | null {
  if (code.length > MAX_CHARS) return null;
  if (language && hljs.getLanguage(language)) {
    return hljs.highlight(code, { language, ignoreIllegals: true }).value;
  }
  const guess = hljs.highlightAuto(code);
  return guess.relevance >= 5 ? guess.value : null;
}
