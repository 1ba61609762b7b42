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
import { Chart } from 'react-chartjs-2';
import { useI18n } from '../../i18n';
import { useTheme } from '../../theme/ThemeContext';

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

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

export default function UsageChart({ points, summary }: Props) {
  const { t } = useI18n();
  const { theme } = useTheme(); // colours are read again when the theme changes
  const colors = { input: cssVar('--technical'), output: cssVar('--project_management'), cost: cssVar('--marketing') };
  const text = cssVar('--text-2');
  const grid = cssVar('--border');

  const data: ChartData<'bar' | 'line'> = {
    labels: points.map((p) => p.label),
    datasets: [
      { type: 'bar', label: t('usage.inputTokens'), data: points.map((p) => p.input), backgroundColor: colors.input, stack: 'tokens', yAxisID: 'tokens' },
      { type: 'bar', label: t('usage.outputTokens'), data: points.map((p) => p.output), backgroundColor: colors.output, stack: 'tokens', yAxisID: 'tokens' },
      { type: 'line', label: t('usage.costUsd'), data: points.map((p) => p.cost), borderColor: colors.cost, backgroundColor: colors.cost, yAxisID: 'cost', tension: 0.25 },
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
      <Chart key={theme} type="bar" data={data} options={options} role="img" aria-label={summary} data-testid="usage-canvas" />
    </div>
  );
}
