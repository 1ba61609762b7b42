import { QueryClientProvider } from '@tanstack/react-query';
import { render, type RenderResult } from '@testing-library/react';
import type { ReactElement } from 'react';
import { MemoryRouter } from 'react-router';
import { createQueryClient } from '../api/queryClient';
import { I18nProvider, type Lang } from '../i18n';

/** Renders with the providers every component expects (English unless asked; a fresh query cache each time). */
export function renderUi(ui: ReactElement, { lang = 'en', route = '/' }: { lang?: Lang; route?: string } = {}): RenderResult {
  return render(
    <QueryClientProvider client={createQueryClient()}>
      <I18nProvider lang={lang}>
        <MemoryRouter initialEntries={[route]}>{ui}</MemoryRouter>
      </I18nProvider>
    </QueryClientProvider>,
  );
}
