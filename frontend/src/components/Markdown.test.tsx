import { fireEvent, waitFor } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
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

describe('code blocks', () => {
  const fenced = "Run this:\n\n```python\ndef total(xs):\n    return sum(xs)  # <script>alert(1)</script>\n```";

  it('shows the code at once, then highlights it once the lazy highlighter has loaded', async () => {
    const { container, findByTestId } = renderUi(<Markdown>{fenced}</Markdown>);
    const block = await findByTestId('code-block');
    expect(block.textContent).toContain('def total(xs):');
    expect(block.querySelector('.code-block__lang')?.textContent).toBe('python');
    await waitFor(() => expect(block.querySelector('code[data-highlighted="true"]')).not.toBeNull());
    expect(block.querySelector('.hljs-keyword')?.textContent).toBe('def');
    // The highlighter escapes the source: markup in code stays text.
    expect(container.querySelector('script')).toBeNull();
    expect(block.textContent).toContain('<script>alert(1)</script>');
    expect(block.querySelector('pre')?.getAttribute('tabindex')).toBe('0');
  });

  it('copies the block alone, exactly as written', async () => {
    const writeText = vi.fn(() => Promise.resolve());
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    const { findByTestId } = renderUi(<Markdown>{fenced}</Markdown>);
    const button = await findByTestId('code-copy');
    fireEvent.click(button);
    expect(writeText).toHaveBeenCalledWith('def total(xs):\n    return sum(xs)  # <script>alert(1)</script>');
    await waitFor(() => expect(button.textContent).toBe('Code copied'));
  });

  it('leaves inline code inline', () => {
    const { container } = renderUi(<Markdown>{'Use `npm ci` here.'}</Markdown>);
    expect(container.querySelector('[data-testid="code-block"]')).toBeNull();
    expect(container.querySelector('code')?.textContent).toBe('npm ci');
  });
});
