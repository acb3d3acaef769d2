/**
 * The web UI, served by `drover server` at `/ui/` from the package's `dist/ui` (built with the
 * package; no CDN): files as they are, with long cache headers for the hashed assets and none for
 * index.html, which every unknown path under `/ui/` answers (the UI's own routes). `/` redirects
 * to `/ui/`. Paths that leave the UI's directory are refused.
 */
import { readFile, stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import { packageRoot } from '../../paths.js';
import { ApiError, type ApiReply, type ApiRequest, type Route } from '../types.js';

const PUBLIC = { kind: 'public' } as const;

export const routes: Route[] = [
  { method: 'GET', path: '/', access: PUBLIC, handler: () => Promise.resolve(redirect()) },
  { method: 'GET', path: '/ui', access: PUBLIC, handler: serveUi },
  { method: 'GET', path: '/ui/*', access: PUBLIC, handler: serveUi },
];

export const NOT_BUILT = 'the web UI is not built: run npm run build';

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.gif': 'image/gif',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** The UI's directory: the settings' (tests), else the package's dist/ui. */
export function uiDirOf(req: ApiRequest): string {
  return resolve(req.server.settings.uiDir ?? join(packageRoot(), 'dist', 'ui'));
}

function redirect(): ApiReply {
  return { status: 302, text: '', headers: { Location: '/ui/' } };
}

async function serveUi(req: ApiRequest): Promise<ApiReply> {
  // `/ui` without the slash: the UI's relative asset paths need the directory form.
  if (req.path === '/ui') return redirect();
  const dir = uiDirOf(req);
  const rest = req.params.rest ?? '';
  const file = rest === '' ? undefined : await fileIn(dir, rest);
  if (file) return sendFile(file, 'public, max-age=31536000, immutable');
  const index = join(dir, 'index.html');
  if (!(await isFile(index))) return { status: 404, text: `${NOT_BUILT}\n` };
  return sendFile(index, 'no-cache');
}

/** The file `rest` names inside `dir`, undefined when there is none; 400 for a path that leaves it. */
async function fileIn(dir: string, rest: string): Promise<string | undefined> {
  const parts = rest.split('/');
  if (parts.some((p) => p === '..' || p.includes('\\') || p.includes('\0')))
    throw new ApiError(400, 'Invalid path');
  const path = resolve(dir, ...parts);
  if (!path.startsWith(dir + sep)) throw new ApiError(400, 'Invalid path');
  return (await isFile(path)) ? path : undefined;
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

function sendFile(path: string, cacheControl: string): ApiReply {
  return {
    stream: async (res) => {
      const body = await readFile(path);
      res.writeHead(200, {
        'Content-Type': TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream',
        'Content-Length': String(body.length),
        'Cache-Control': cacheControl,
        'X-Content-Type-Options': 'nosniff',
        'X-Frame-Options': 'DENY',
      });
      res.end(body);
    },
  };
}
