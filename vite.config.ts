/**
 * Vite build of the renderer (renderer/ → dist/renderer). Relative asset paths (`base: './'`) so the same
 * build loads from `file://` in Electron and from `/` in browser mode. No inline scripts or styles end up in
 * index.html (the Electron window's Content-Security-Policy forbids them).
 *
 * `npm run dev:renderer` serves the renderer with hot reload and proxies /api (HTTP and the event WebSocket)
 * to a running `distill-studio serve` named by DISTILL_API (e.g. http://127.0.0.1:7300); open the dev URL
 * with the serve token appended (`?token=...`).
 */
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'vite';

const api = process.env.DISTILL_API;

export default defineConfig({
  root: 'renderer',
  base: './',
  plugins: [svelte()],
  build: {
    outDir: '../dist/renderer',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    // uPlot and the app together stay well under this; a warning would mean something heavy slipped in.
    chunkSizeWarningLimit: 400,
  },
  server: api
    ? {
        proxy: {
          // The serve process refuses foreign Host and Origin headers (DNS rebinding); the proxy speaks as
          // the server's own origin.
          '/api': {
            target: api,
            changeOrigin: true,
            ws: true,
            configure: (proxy) => {
              proxy.on('proxyReqWs', (req) => req.setHeader('origin', api));
              proxy.on('proxyReq', (req) => req.setHeader('origin', api));
            },
          },
        },
      }
    : {},
});
