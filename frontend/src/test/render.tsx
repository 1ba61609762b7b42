import { render, type RenderResult } from '@testing-library/react';
import type { ReactElement } from 'react';
import { MemoryRouter } from 'react-router';
import { I18nProvider, type Lang } from '../i18n';

/** Renders with the providers every component expects (English unless asked). */
export function renderUi(ui: ReactElement, { lang = 'en', route = '/' }: { lang?: Lang; route?: string } = {}): RenderResult {
  return render(
    <I18nProvider lang={lang}>
      <MemoryRouter initialEntries={[route]}>{ui}</MemoryRouter>
    </I18nProvider>,
  );
}
