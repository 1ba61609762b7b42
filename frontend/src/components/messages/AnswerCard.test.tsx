import { fireEvent, screen, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import type { Answer } from '../../api/types';
import { renderUi } from '../../test/render';
import { AnswerCard } from './AnswerCard';

const marketing: Answer = {
  kind: 'marketing',
  offline: false,
  language: 'en',
  advice: 'Start with **ten** customer interviews.',
  action_items: ['List 20 potential customers', 'Write an interview script'],
  resources: [
    'The Mom Test - https://www.momtestbook.com',
    '[Lean Canvas](https://leanstack.com/lean-canvas)',
    'Ask your mentor',
    '[bad](javascript:alert(1))',
  ],
};

describe('AnswerCard', () => {
  it('shows which specialist answered, with its colour class', () => {
    renderUi(<AnswerCard answer={marketing} agent="marketing" messageId="m1" />);
    const card = screen.getByTestId('specialist-card');
    expect(card.dataset.specialist).toBe('marketing');
    expect(card.className).toContain('specialist--marketing');
    expect(within(card).getByText('Marketing')).toBeTruthy();
    expect(within(card).getByText('ten').tagName).toBe('STRONG');
  });

  it('renders action items as a checklist whose ticks are remembered per message', () => {
    const { unmount } = renderUi(<AnswerCard answer={marketing} agent="marketing" messageId="m1" />);
    const boxes = screen.getAllByRole('checkbox');
    expect(boxes).toHaveLength(2);
    expect(screen.getByLabelText('List 20 potential customers')).toBe(boxes[0]);
    fireEvent.click(boxes[1] as HTMLElement);
    expect((boxes[1] as HTMLInputElement).checked).toBe(true);
    expect(screen.getByText('1 of 2 done')).toBeTruthy();
    unmount();

    renderUi(<AnswerCard answer={marketing} agent="marketing" messageId="m1" />);
    expect((screen.getAllByRole('checkbox')[1] as HTMLInputElement).checked).toBe(true);
  });

  it('renders resources as safe external links, and plain text when there is no URL', () => {
    renderUi(<AnswerCard answer={marketing} agent="marketing" />);
    const mom = screen.getByRole('link', { name: /The Mom Test/ });
    expect(mom.getAttribute('href')).toBe('https://www.momtestbook.com');
    expect(mom.getAttribute('target')).toBe('_blank');
    expect(mom.getAttribute('rel')).toContain('noopener');
    expect(screen.getByRole('link', { name: /Lean Canvas/ }).getAttribute('href')).toBe('https://leanstack.com/lean-canvas');
    expect(screen.getByText('Ask your mentor').closest('a')).toBeNull();
    expect(screen.queryByRole('link', { name: /bad/ })).toBeNull();
  });

  it('renders technical answers with numbered steps and considerations', () => {
    renderUi(
      <AnswerCard
        answer={{ kind: 'technical', solution: 'Use a no-code tool.', implementation_steps: ['Pick a tool', 'Build the form'], considerations: ['Data export'] }}
      />,
    );
    expect(screen.getByText('Implementation steps')).toBeTruthy();
    const steps = screen.getByText('Pick a tool').closest('ol');
    expect(steps?.querySelectorAll('li')).toHaveLength(2);
    expect(screen.getByText('Data export')).toBeTruthy();
    expect(screen.queryAllByRole('checkbox')).toHaveLength(0);
  });

  it('renders project management answers with a timeline and risks', () => {
    renderUi(
      <AnswerCard
        answer={{
          kind: 'project_management',
          recommendations: 'Plan in two-week sprints.',
          timeline_suggestions: ['Weeks 1-2: interviews', 'Weeks 3-4: prototype'],
          risk_factors: ['Team availability'],
        }}
      />,
    );
    expect(screen.getByText('Suggested timeline')).toBeTruthy();
    expect(screen.getByText('Weeks 3-4: prototype').closest('.timeline')).not.toBeNull();
    expect(screen.getByText('Risks')).toBeTruthy();
    expect(screen.getByText('Team availability')).toBeTruthy();
  });

  it('renders financial key figures as label and value, and recommendations as a checklist', () => {
    renderUi(
      <AnswerCard
        answer={{
          kind: 'financial',
          analysis: 'Margins are thin.',
          recommendations: ['Raise prices 10%'],
          key_figures: ['Break-even: month 14', 'CAC 40 €'],
          risks: ['Currency'],
        }}
      />,
    );
    expect(screen.getByText('Break-even').tagName).toBe('DT');
    expect(screen.getByText('month 14').tagName).toBe('DD');
    expect(screen.getByText('CAC 40 €').tagName).toBe('DD');
    expect(screen.getByRole('checkbox', { name: 'Raise prices 10%' })).toBeTruthy();
  });

  it('offers general follow-up questions as buttons that start an answer to them', () => {
    const ask = vi.fn();
    renderUi(
      <AnswerCard answer={{ kind: 'general', message: 'Hola!', follow_up_questions: ['What is your project?'] }} onFollowUp={ask} />,
    );
    fireEvent.click(screen.getByRole('button', { name: 'What is your project?' }));
    expect(ask).toHaveBeenCalledWith('What is your project?');
  });

  it('shows a visible badge for answers from the offline model', () => {
    renderUi(<AnswerCard answer={{ ...marketing, offline: true }} agent="marketing" />);
    expect(screen.getByTestId('offline-badge').textContent).toContain('Offline model');
  });

  it('renders a partial streamed answer without the fields that have not arrived', () => {
    renderUi(<AnswerCard answer={{ kind: 'marketing', advice: 'Start with' }} streaming />);
    expect(screen.getByText('Start with')).toBeTruthy();
    expect(screen.queryByText('Next steps')).toBeNull();
  });

  it('in read-only views the checklist cannot be ticked', () => {
    renderUi(<AnswerCard answer={marketing} readOnly />);
    for (const box of screen.getAllByRole('checkbox')) expect((box as HTMLInputElement).disabled).toBe(true);
  });

  it('names each specialist role naturally in both languages', () => {
    const technical: Answer = { kind: 'technical', language: 'es', offline: false, solution: 'Use a form.', implementation_steps: [], considerations: [] };
    const { unmount } = renderUi(<AnswerCard answer={technical} agent="technical" />, { lang: 'es' });
    expect(screen.getByText('Especialista técnico')).toBeTruthy();
    expect(screen.queryByText(/Especialista en Técnico/)).toBeNull();
    unmount();
    renderUi(<AnswerCard answer={technical} agent="technical" />);
    expect(screen.getByText('Technical specialist')).toBeTruthy();
  });

  it('collapses a long section after four items, with a toggle that says how many more', () => {
    const long: Answer = { ...marketing, action_items: ['a1', 'a2', 'a3', 'a4', 'a5', 'a6'], resources: [] };
    renderUi(<AnswerCard answer={long} agent="marketing" messageId="m-long" />);
    const toggle = screen.getByTestId('section-toggle');
    expect(toggle.textContent).toBe('Show 2 more');
    expect(toggle.getAttribute('aria-expanded')).toBe('false');
    const section = toggle.closest('section') as HTMLElement;
    expect(section.className).toContain('is-collapsed');
    // Hidden by the stylesheet only: the checklist still counts all six.
    expect(within(section).getAllByRole('checkbox', { hidden: true })).toHaveLength(6);
    fireEvent.click(toggle);
    expect(section.className).not.toContain('is-collapsed');
    expect(toggle.textContent).toBe('Show less');
    expect(toggle.getAttribute('aria-expanded')).toBe('true');
  });

  it('shows no toggle for a short section', () => {
    renderUi(<AnswerCard answer={marketing} agent="marketing" />);
    expect(screen.queryByTestId('section-toggle')).toBeNull();
  });
});
