/**
 * One usage chart: tokens as stacked bars (input, output) and the cost as a line on its own
 * axis. Loaded on demand (`React.lazy`), so chart.js is fetched only when the usage page opens.
 * The table beside each chart carries the same figures for screen readers and keyboards.
 */
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart as ChartJS,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
  type ChartData,
  type ChartOptions,
} from 'chart.js';
import { useSyncExternalStore } from 'react';
import { Chart } from 'react-chartjs-2';
import { useI18n } from '../../i18n';

ChartJS.register(BarController, BarElement, LineController, LineElement, PointElement, CategoryScale, LinearScale, Tooltip, Legend);

export interface UsagePoint {
  label: string;
  input: number;
  output: number;
  cost: number;
}

interface Props {
  points: UsagePoint[];
  /** What the chart shows, for assistive technology (the table beside it has the figures). */
  summary: string;
}

const TOKENS = ['--technical', '--project_management', '--marketing', '--text-2', '--border'] as const;

/** Re-renders when <html>'s theme attribute changes (the design tokens follow it). */
function watchTheme(onChange: () => void): () => void {
  const observer = new MutationObserver(onChange);
  observer.observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme'] });
  return () => observer.disconnect();
}

/** The tokens' values now, as one string (a stable snapshot until the theme changes). */
function readTokens(): string {
  const style = getComputedStyle(document.documentElement);
  return TOKENS.map((name) => style.getPropertyValue(name).trim()).join('|');
}

export default function UsageChart({ points, summary }: Props) {
  const { t } = useI18n();
  const tokens = useSyncExternalStore(watchTheme, readTokens);
  const [input, output, cost, text, grid] = tokens.split('|');

  const data: ChartData<'bar' | 'line'> = {
    labels: points.map((p) => p.label),
    datasets: [
      { type: 'bar', label: t('usage.inputTokens'), data: points.map((p) => p.input), backgroundColor: input, stack: 'tokens', yAxisID: 'tokens' },
      { type: 'bar', label: t('usage.outputTokens'), data: points.map((p) => p.output), backgroundColor: output, stack: 'tokens', yAxisID: 'tokens' },
      { type: 'line', label: t('usage.costUsd'), data: points.map((p) => p.cost), borderColor: cost, backgroundColor: cost, yAxisID: 'cost', tension: 0.25 },
    ],
  };
  const axis = { ticks: { color: text }, grid: { color: grid } };
  const options: ChartOptions<'bar' | 'line'> = {
    responsive: true,
    maintainAspectRatio: false,
    animation: false,
    plugins: { legend: { labels: { color: text } } },
    scales: {
      x: { ...axis, stacked: true },
      tokens: { ...axis, type: 'linear', position: 'left', stacked: true, beginAtZero: true, title: { display: true, text: t('usage.tokens'), color: text } },
      cost: { ...axis, type: 'linear', position: 'right', beginAtZero: true, grid: { drawOnChartArea: false }, title: { display: true, text: 'USD', color: text } },
    },
  };
  return (
    <div className="usage-chart">
      <Chart key={tokens} type="bar" data={data} options={options} role="img" aria-label={summary} data-testid="usage-canvas" />
    </div>
  );
}
