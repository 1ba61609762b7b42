import { describe, expect, it } from 'vitest';
import { renderUi } from '../test/render';
import { Markdown } from './Markdown';

describe('Markdown', () => {
  it('renders Markdown formatting', () => {
    const { container } = renderUi(<Markdown>{'**bold** and a [link](https://example.org/x)\n\n- one\n- two'}</Markdown>);
    expect(container.querySelector('strong')?.textContent).toBe('bold');
    const link = container.querySelector('a');
    expect(link?.getAttribute('href')).toBe('https://example.org/x');
    expect(link?.getAttribute('target')).toBe('_blank');
    expect(link?.getAttribute('rel')).toContain('noopener');
    expect(container.querySelectorAll('li')).toHaveLength(2);
  });

  it('never turns raw HTML into elements: a script or an onerror image stays text', () => {
    const evil = 'Hi <script>window.__pwned = 1</script>\n\n<img src=x onerror="window.__pwned = 2">\n\n<b onclick="x()">b</b>';
    const { container } = renderUi(<Markdown>{evil}</Markdown>);
    expect(container.querySelector('script')).toBeNull();
    expect(container.querySelector('img')).toBeNull();
    expect(container.querySelector('b')).toBeNull();
    expect(container.querySelector('[onerror], [onclick]')).toBeNull();
    // Shown as the literal text the author typed.
    expect(container.textContent).toContain('<script>window.__pwned = 1</script>');
    expect(container.textContent).toContain('<img src=x onerror="window.__pwned = 2">');
    expect((window as unknown as { __pwned?: number }).__pwned).toBeUndefined();
  });

  it('drops javascript: and data: links but keeps their text', () => {
    const { container } = renderUi(<Markdown>{'[click](javascript:alert(1)) [data](data:text/html,hi)'}</Markdown>);
    expect(container.querySelector('a')).toBeNull();
    expect(container.textContent).toContain('click');
  });

  it('shows Markdown images as links, not as loaded images', () => {
    const { container } = renderUi(<Markdown>{'![a chart](https://example.org/c.png)'}</Markdown>);
    expect(container.querySelector('img')).toBeNull();
    expect(container.querySelector('a')?.textContent).toBe('a chart');
  });
});
