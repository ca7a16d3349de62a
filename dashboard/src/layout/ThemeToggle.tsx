import { Monitor, Moon, Sun } from "lucide-react";
import { useState } from "react";
import { type Theme, nextTheme, saveTheme, storedTheme } from "../lib/theme";

const ICONS = { light: Sun, dark: Moon, system: Monitor } as const;
const LABELS: Record<Theme, string> = { light: "Light theme", dark: "Dark theme", system: "System theme" };

export function ThemeToggle() {
  const [theme, setTheme] = useState<Theme>(storedTheme);
  const Icon = ICONS[theme];
  const change = () => {
    const next = nextTheme(theme);
    saveTheme(next);
    setTheme(next);
  };
  return (
    <button
      type="button"
      onClick={change}
      className="rounded-md p-2 text-slate-600 hover:bg-slate-100 dark:text-slate-300 dark:hover:bg-slate-800"
      aria-label={`${LABELS[theme]} (change)`}
      title={LABELS[theme]}
    >
      <Icon aria-hidden="true" className="h-5 w-5" />
    </button>
  );
}
