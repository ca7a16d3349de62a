/** Light, dark or the system's choice; kept in localStorage, applied as the `dark` class on <html>. */
export type Theme = "light" | "dark" | "system";

const STORAGE_KEY = "hop-theme";
const THEMES: readonly Theme[] = ["light", "dark", "system"];

export function storedTheme(storage: Pick<Storage, "getItem"> = localStorage): Theme {
  const value = storage.getItem(STORAGE_KEY);
  return THEMES.includes(value as Theme) ? (value as Theme) : "system";
}

export function isDark(theme: Theme, systemPrefersDark: boolean): boolean {
  return theme === "dark" || (theme === "system" && systemPrefersDark);
}

export function nextTheme(theme: Theme): Theme {
  return THEMES[(THEMES.indexOf(theme) + 1) % THEMES.length] ?? "system";
}

const darkQuery = () => window.matchMedia("(prefers-color-scheme: dark)");

export function applyTheme(theme: Theme): void {
  document.documentElement.classList.toggle("dark", isDark(theme, darkQuery().matches));
}

export function saveTheme(theme: Theme): void {
  localStorage.setItem(STORAGE_KEY, theme);
  applyTheme(theme);
}

/** Follow the system's changes while the choice is "system". */
export function watchSystemTheme(): () => void {
  const query = darkQuery();
  const listener = () => applyTheme(storedTheme());
  query.addEventListener("change", listener);
  return () => query.removeEventListener("change", listener);
}
