/**
 * Renders model- or user-written Markdown safely: raw HTML is never turned
 * into DOM (no rehype-raw; HTML in the source is shown as the literal text it
 * is), and links are limited to http(s)/mailto and open in a new tab without
 * an opener.
 */
import type { ReactNode } from 'react';
import ReactMarkdown, { type Components } from 'react-markdown';
import remarkGfm from 'remark-gfm';
import { CodeBlock } from './CodeBlock';

const SAFE_URL = /^(https?:|mailto:)/i;

export function safeUrl(url: string): string {
  const trimmed = url.trim();
  return SAFE_URL.test(trimmed) ? trimmed : '';
}

interface MdNode {
  type: string;
  value?: string;
  children?: MdNode[];
}

/** The parsed HTML tree react-markdown hands to `components` (only what is read here). */
interface HastNode {
  type: string;
  tagName?: string;
  value?: string;
  properties?: { className?: unknown };
  children?: HastNode[];
}

function textOf(node: HastNode): string {
  return node.type === 'text' ? (node.value ?? '') : (node.children ?? []).map(textOf).join('');
}

/** A fenced block (`pre > code.language-x`) becomes a CodeBlock; its text, never its markup. */
function Pre({ node, children }: { node?: unknown; children?: ReactNode }) {
  const code = (node as HastNode | undefined)?.children?.find((c) => c.type === 'element' && c.tagName === 'code');
  if (!code) return <pre tabIndex={0}>{children}</pre>;
  const classes = Array.isArray(code.properties?.className) ? code.properties.className.map(String) : [];
  const language = classes.find((c) => c.startsWith('language-'))?.slice('language-'.length);
  return <CodeBlock code={textOf(code).replace(/\n$/, '')} language={language || undefined} />;
}

/** A remark plugin: inline or block HTML becomes plain text, so `<b>` reads as `<b>`. */
function remarkHtmlAsText() {
  const walk = (node: MdNode) => {
    if (node.type === 'html') node.type = 'text';
    node.children?.forEach(walk);
  };
  return walk;
}

const remarkPlugins = [remarkGfm, remarkHtmlAsText];

const components: Components = {
  a: ({ href, children }) => {
    const url = safeUrl(href ?? '');
    if (!url) return <span>{children}</span>;
    return (
      <a href={url} target="_blank" rel="noopener noreferrer nofollow">
        {children}
      </a>
    );
  },
  // Images in answers could track readers or break layout: show their alt text as a link instead.
  img: ({ src, alt }) => {
    const url = typeof src === 'string' ? safeUrl(src) : '';
    return url ? (
      <a href={url} target="_blank" rel="noopener noreferrer nofollow">
        {alt || url}
      </a>
    ) : (
      <span>{alt}</span>
    );
  },
  // Long code lines and wide tables scroll sideways: focusable, so a keyboard can scroll them too.
  pre: Pre,
  table: ({ children }) => (
    <div className="md-table" tabIndex={0}>
      <table>{children}</table>
    </div>
  ),
};

export function Markdown({ children, className }: { children: string; className?: string }) {
  return (
    <div className={className ? `markdown ${className}` : 'markdown'}>
      <ReactMarkdown remarkPlugins={remarkPlugins} urlTransform={safeUrl} components={components}>
        {children}
      </ReactMarkdown>
    </div>
  );
}
