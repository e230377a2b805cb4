import { cpSync, rmSync } from 'node:fs';
import path from 'node:path';

/*
 * `npm run build`'s last step: tsc compiles the server, and the dashboard's browser files
 * (src/http/assets: plain JS modules, CSS, SVG; nothing to compile) go next to it, so that dist/
 * alone (what the container image keeps) serves the dashboard.
 */

const root = path.resolve(__dirname, '..', '..');
const from = path.join(root, 'src', 'http', 'assets');
const to = path.join(root, 'dist', 'src', 'http', 'assets');
rmSync(to, { recursive: true, force: true });
cpSync(from, to, { recursive: true });
