import { createLogger } from '../../src/lib/logger';
import { dataflowError } from '../../src/lib/errors';

function capture(opts: { level?: string; pretty?: boolean } = {}) {
  const lines: string[] = [];
  const logger = createLogger({ ...opts, colour: false, destination: { write: (s: string) => lines.push(s) } });
  return { logger, lines };
}

const notFound = () => dataflowError('ERR_SOURCE_NOT_FOUND', 'not_found', 'listing /data/inbox/missing: no such folder');

describe('errors in log lines', () => {
  it('an expected error is its kind, code and message, without a stack', () => {
    const { logger, lines } = capture();
    logger.error({ err: notFound(), dataflow: 'people' }, 'run failed');
    const line = JSON.parse(lines[0]);
    expect(line.err).toEqual({ type: 'DataflowError', kind: 'not_found', code: 'ERR_SOURCE_NOT_FOUND', message: 'listing /data/inbox/missing: no such folder' });
  });

  it('keeps the stack of an expected error at debug level', () => {
    const { logger, lines } = capture({ level: 'debug' });
    logger.error({ err: notFound() }, 'run failed');
    expect(JSON.parse(lines[0]).err.stack).toMatch(/^DataflowError: listing .*\n\s+at /);
  });

  it('keeps the stack of an internal error, a bug, at any level', () => {
    const { logger, lines } = capture();
    logger.error({ err: new TypeError("Cannot read properties of undefined (reading 'x')") }, 'run failed');
    expect(JSON.parse(lines[0]).err.stack).toMatch(/^TypeError: .*\n\s+at /);
    logger.error({ err: dataflowError('ERR_INTERNAL', 'internal', 'unexpected state') }, 'run failed');
    expect(JSON.parse(lines[1]).err.stack).toMatch(/\n\s+at /);
  });

  it('on a terminal, an expected error is one line: message, [kind code], fields', () => {
    const { logger, lines } = capture({ pretty: true });
    logger.error({ err: notFound(), dataflow: 'people' }, 'run failed');
    logger.warn({ err: 'connection reset', path: 'a.json' }, 'upload failed, retrying');
    expect(lines).toEqual([
      expect.stringMatching(/^\[\d\d:\d\d:\d\d\] ERROR: run failed: \[not_found ERR_SOURCE_NOT_FOUND\] listing \/data\/inbox\/missing: no such folder \{"dataflow":"people"\}\n$/),
      expect.stringMatching(/^\[\d\d:\d\d:\d\d\] WARN: upload failed, retrying: connection reset \{"path":"a\.json"\}\n$/),
    ]);
  });

  it('on a terminal, an internal error shows its stack below the line', () => {
    const { logger, lines } = capture({ pretty: true });
    logger.error({ err: new RangeError('bad offset') }, 'run failed');
    expect(lines[0]).toMatch(/^\[\d\d:\d\d:\d\d\] ERROR: run failed ?\n\s+err: RangeError: bad offset\n\s+at /);
  });
});
