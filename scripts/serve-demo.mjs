// `npm run demo`: builds the in-browser demo when it is missing or older than its sources
// (scripts/build-demo.mjs), then serves the static directory on 127.0.0.1 and prints the address.
//   node scripts/serve-demo.mjs [--port 8090] [--dir demo-dist] [--rebuild]
// --port 0 takes any free port; when the default port is taken, a free one is used instead.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildDemo, DEFAULT_OUT, demoIsFresh } from './build-demo.mjs';

export const DEFAULT_PORT = 8090;

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/** A static file server for `dir` on 127.0.0.1 (GET and HEAD only; nothing outside `dir`). */
export function serveDemo({ dir = DEFAULT_OUT, port = DEFAULT_PORT } = {}) {
  const root = path.resolve(dir);
  const server = http.createServer(async (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    let pathname;
    try {
      pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://127.0.0.1').pathname);
    } catch {
      res.writeHead(400).end();
      return;
    }
    if (pathname.endsWith('/')) pathname += 'index.html';
    const file = path.join(root, pathname);
    if (file !== root && !file.startsWith(root + path.sep)) {
      res.writeHead(403).end();
      return;
    }
    try {
      const s = await stat(file);
      if (!s.isFile()) throw new Error('not a file');
      res.writeHead(200, {
        'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream',
        'content-length': s.size,
        'cache-control': 'no-cache',
      });
      if (req.method === 'HEAD') res.end();
      else createReadStream(file).pipe(res);
    } catch {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${pathname}\n`);
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      const { port: actual } = server.address();
      resolve({ server, url: `http://127.0.0.1:${actual}/` });
    });
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const opt = (name) => {
    const i = args.indexOf(name);
    return i < 0 ? undefined : args[i + 1];
  };
  const portArg = opt('--port');
  const port = portArg === undefined ? DEFAULT_PORT : Number(portArg);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`serve-demo: --port must be an integer in [0, 65535], got '${portArg}'`);
    process.exit(2);
  }
  const dir = path.resolve(opt('--dir') ?? DEFAULT_OUT);
  if (args.includes('--rebuild') || !(await demoIsFresh(dir))) {
    console.log(`building the demo into ${path.relative(process.cwd(), dir) || '.'} ...`);
    await buildDemo({ out: dir, quiet: true });
  }
  let served;
  try {
    served = await serveDemo({ dir, port });
  } catch (e) {
    // The default port is taken (another demo?): any free port will do. An explicit one is an error.
    if (e.code !== 'EADDRINUSE' || portArg !== undefined) {
      console.error(`serve-demo: cannot listen on 127.0.0.1:${port}: ${e.message}`);
      process.exit(5);
    }
    served = await serveDemo({ dir, port: 0 });
  }
  console.log(`tfjs-prune demo: ${served.url}  (Ctrl-C to stop)`);
  const stop = () => {
    served.server.closeAllConnections(); // keep-alive connections of an open tab would hold close() up
    served.server.close(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
