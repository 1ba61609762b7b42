/** One button between light and dark; pressed means the dark theme is showing. */
import { Icon } from '../components/Icon';
import { useI18n } from '../i18n';
import { useTheme } from './ThemeContext';

export function ThemeSwitch() {
  const { t } = useI18n();
  const { theme, choose } = useTheme();
  const dark = theme === 'dark';
  return (
    <button
      type="button"
      className="icon-btn theme-switch"
      aria-pressed={dark}
      aria-label={t('app.darkMode')}
      title={t('app.darkMode')}
      onClick={() => choose(dark ? 'light' : 'dark')}
      data-testid="theme-switch"
    >
      <Icon name={dark ? 'sun' : 'moon'} />
    </button>
  );
}
