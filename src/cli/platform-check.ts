import type { AepPlatformConfig, LoadedConfig } from '../config';
import { isDataflowError } from '../lib/errors';
import { silentLogger } from '../lib/logger';
import { PlatformClient } from '../platform';
import { type CheckReport, type ConfigYaml, emptyReport } from './check-report';
import { describeError } from './run-text';

/*
 * `validate --check`, Platform's part: what a run needs from Platform, asked before any run —
 * a token for the credential, the sandbox, and each enabled dataflow's target dataset with its XDM
 * schema (unless mapping.schema overrides it). A check
 * retries little: an unreachable Platform is said in seconds, not after a run's half minute.
 */

const CHECK_RETRY = { attempts: 2, baseDelayMs: 250, maxDelayMs: 1_000 };

export async function checkPlatform(config: LoadedConfig, yaml: ConfigYaml, signal: AbortSignal): Promise<CheckReport> {
  const p = config.daemon.platform;
  if (p.mode === 'embedded') {
    return { problems: [], lines: ['platform: embedded (the emulator runs in-process; its datasets are platform.datasets)'] };
  }
  const platform = new PlatformClient({ ...p, logger: silentLogger, retry: CHECK_RETRY });
  try {
    const report = await checkCredential(platform, p, yaml, signal);
    if (report.problems.length > 0) return report;
    const sandbox = await checkSandbox(platform, p, yaml, signal);
    const datasets = sandbox.problems.length > 0 ? emptyReport() : await checkDatasets(platform, config, yaml, signal);
    return {
      problems: [...sandbox.problems, ...datasets.problems],
      lines: [...report.lines, ...sandbox.lines, ...datasets.lines],
    };
  } finally {
    await platform.close();
  }
}

const unreachable = (err: unknown) => isDataflowError(err) && err.kind === 'transient';

async function checkCredential(platform: PlatformClient, p: AepPlatformConfig, yaml: ConfigYaml, signal: AbortSignal): Promise<CheckReport> {
  try {
    await platform.authenticate(signal);
    return { problems: [], lines: [`platform: IMS token for client ${p.clientId} from ${p.imsEndpoint}: ok`] };
  } catch (err) {
    const problem = unreachable(err)
      ? yaml.daemon.problem(['platform', 'imsEndpoint'], `IMS at ${p.imsEndpoint} cannot be reached: ${describeError(err)}`)
      : yaml.daemon.problem(['platform', 'clientId'], `IMS refused a token to client ${p.clientId} (check clientId and clientSecret): ${describeError(err)}`);
    return { problems: [problem], lines: ['platform: sandbox and datasets not checked: no token'] };
  }
}

/**
 * The sandbox, confirmed by working in it: Platform answers the Schema Registry's stats (the
 * org's tenant id) only in a sandbox the credential may use.
 */
async function checkSandbox(platform: PlatformClient, p: AepPlatformConfig, yaml: ConfigYaml, signal: AbortSignal): Promise<CheckReport> {
  try {
    const tenant = await platform.tenantId(signal);
    return { problems: [], lines: [`platform: sandbox ${p.sandbox} (tenant _${tenant}): ok`] };
  } catch (err) {
    if (unreachable(err)) {
      return { problems: [yaml.daemon.problem(['platform', 'endpoint'], `Platform at ${p.endpoint} cannot be reached: ${describeError(err)}`)], lines: [] };
    }
    const why = isDataflowError(err) && err.code === 'ERR_PLATFORM_FORBIDDEN'
      ? `sandbox "${p.sandbox}" is not one this credential can use (its product profile must grant the sandbox)`
      : `sandbox "${p.sandbox}" could not be worked in`;
    return { problems: [yaml.daemon.problem(['platform', 'sandbox'], `${why}: ${describeError(err)}`)], lines: [] };
  }
}

/** Each enabled dataflow's target.dataset, by id or else by name, as a run resolves it. */
async function checkDatasets(platform: PlatformClient, config: LoadedConfig, yaml: ConfigYaml, signal: AbortSignal): Promise<CheckReport> {
  const report = emptyReport();
  const sandbox = config.daemon.platform.mode === 'aep' ? config.daemon.platform.sandbox : 'prod';
  for (const df of config.dataflows.filter((d) => d.enabled)) {
    const ref = df.target.dataset;
    try {
      const dataset = await platform.findDataset(ref, signal);
      if (!dataset) {
        report.problems.push(yaml.dataflow(df.name).problem(['target', 'dataset'], `dataset "${ref}" not found in sandbox ${sandbox}, neither as an id nor as a name`));
        continue;
      }
      const named = dataset.id === ref ? `${ref}${dataset.name && dataset.name !== ref ? ` (${dataset.name})` : ''}` : `"${ref}" (id ${dataset.id})`;
      // A run checks records against this schema before upload (mapping.schema overrides it).
      const schema = df.mapping?.schema === undefined ? await platform.datasetSchema(dataset, signal) : undefined;
      if (df.mapping?.schema === undefined && schema === undefined) {
        report.problems.push(yaml.dataflow(df.name).problem(['target', 'dataset'], `dataset ${named} names no XDM schema in Catalog: records cannot be checked before upload`));
        continue;
      }
      report.lines.push(`dataflow ${df.name}: dataset ${named}${schema ? ', its schema from the Schema Registry' : ''}: ok`);
    } catch (err) {
      report.problems.push(yaml.dataflow(df.name).problem(['target', 'dataset'], `dataset "${ref}" could not be looked up in sandbox ${sandbox}: ${describeError(err)}`));
    }
  }
  return report;
}
