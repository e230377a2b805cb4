import path from 'node:path';
import { connectorDefinitions } from '../../connectors';
import { formatProblem, loadConfig } from '../../src/config';

const DEMO = path.join(__dirname, '../../config');

describe('the demo config in config/', () => {
  it('is valid with the real connectors', async () => {
    const { config, problems } = await loadConfig(DEMO, { connectors: connectorDefinitions, env: {} });
    expect(problems.map(formatProblem)).toEqual([]);
    expect(config?.daemon.platform.mode).toBe('embedded');
    expect(config?.daemon.state.url).toBe(`sqlite:${path.resolve(DEMO, '../data/state.db')}`);
    expect(config?.dataflows.map((d) => [d.name, d.target.dataset])).toEqual([
      ['luma-crm', 'luma-crm'],
      ['luma-loyalty', 'luma-loyalty'],
      ['luma-offline-purchases', 'luma-offline-purchases'],
      ['luma-products', 'luma-products'],
    ]);
    for (const ds of config?.daemon.platform.datasets ?? []) expect(config?.schemas[ds.schema]).toBeDefined();
  });
});
