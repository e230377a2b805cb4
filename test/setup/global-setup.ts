import { execFileSync } from 'node:child_process';
import path from 'node:path';

/**
 * End-to-end tests drive the real CLI from dist/, so it is built from the current sources
 * first (a stale build would test yesterday's code).
 */
export default function globalSetup(): void {
  const root = path.resolve(__dirname, '..', '..');
  execFileSync(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
}
