/** The theme as React state: the choice, what it resolves to now, and a way to change it. */
import { createContext, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { applyTheme, saveChoice, storedChoice, systemTheme, watchSystemTheme, type Theme, type ThemeChoice } from './theme';

interface ThemeValue {
  choice: ThemeChoice;
  theme: Theme;
  /** Shows `theme`; choosing what the system shows anyway goes back to following the system. */
  choose: (theme: Theme) => void;
}

const ThemeContext = createContext<ThemeValue | null>(null);

export function ThemeProvider({ children }: { children: ReactNode }) {
  const [choice, setChoice] = useState<ThemeChoice>(storedChoice);
  const [system, setSystem] = useState<Theme>(systemTheme);
  const theme = choice === 'system' ? system : choice;

  useEffect(() => applyTheme(theme), [theme]);
  useEffect(() => watchSystemTheme(() => setSystem(systemTheme())), []);

  const value = useMemo<ThemeValue>(
    () => ({
      choice,
      theme,
      choose: (next) => {
        const nextChoice: ThemeChoice = next === system ? 'system' : next;
        saveChoice(nextChoice);
        setChoice(nextChoice);
      },
    }),
    [choice, theme, system],
  );
  return <ThemeContext.Provider value={value}>{children}</ThemeContext.Provider>;
}

export function useTheme(): ThemeValue {
  const value = useContext(ThemeContext);
  if (!value) throw new Error('useTheme outside ThemeProvider');
  return value;
}
