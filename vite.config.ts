// Builds the web UI (ui/) into dist/ui/, served by `drover server` at /ui/ (README, "Web UI").
// `npx vite` serves it with live reload and forwards the API to a server on DROVER_ADDR.
import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';

const api = process.env.DROVER_ADDR ?? 'http://127.0.0.1:4646';

export default defineConfig({
  root: 'ui',
  base: '/ui/',
  plugins: [preact()],
  build: { outDir: '../dist/ui', emptyOutDir: true, target: 'es2022', reportCompressedSize: true },
  server: { proxy: { '/v1': { target: api, changeOrigin: false } } },
});
