import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { BrowserRouter } from "react-router";
import { App, preloadPage } from "./App";
import { ApiError } from "./api/problem";
import { resumeSession } from "./api/session";
import { AuthProvider } from "./auth/AuthProvider";
import "./index.css";
import { applyTheme, storedTheme, watchSystemTheme } from "./lib/theme";

applyTheme(storedTheme());
watchSystemTheme();
// Both under way before the first render: the session and the code of the page being opened.
void resumeSession();
preloadPage(window.location.pathname);

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 10_000,
      // A 4xx will not change by asking again; a network blip or a 5xx might.
      retry: (failures, error) => failures < 2 && !(error instanceof ApiError && error.status >= 400 && error.status < 500),
    },
  },
});

const root = document.getElementById("root");
if (!root) throw new Error("index.html lacks #root");
createRoot(root).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <BrowserRouter>
        <AuthProvider>
          <App />
        </AuthProvider>
      </BrowserRouter>
    </QueryClientProvider>
  </StrictMode>,
);
