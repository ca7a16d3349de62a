/// <reference types="vitest/config" />
import tailwindcss from "@tailwindcss/vite";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// `hop dev --hmr` runs this dev server with HMR and passes the admin's address.
const adminUrl = process.env.HOP_ADMIN_URL ?? "http://127.0.0.1:8001";

export default defineConfig({
  plugins: [react(), tailwindcss()],
  build: {
    manifest: true,
    // The CSP allows no inline script: the preload polyfill would be one for old browsers only.
    modulePreload: { polyfill: false },
    sourcemap: false,
  },
  server: {
    proxy: { "/api": { target: adminUrl, changeOrigin: false } },
  },
  test: {
    environment: "jsdom",
    include: ["src/**/*.test.{ts,tsx}"],
  },
});
