import { errorMessage, isDataflowError } from '../lib/errors';
import type { PlatformClient } from './platform-client';

/*
 * What `validate --check` asks of Platform before the first run: that the credential gets a
 * token, that the sandbox answers with it, and that every target dataset exists there (by id or
 * by name) with a schema the Schema Registry serves. Each problem is named with what to change
 * (README "Against your Adobe organisation").
 */

export interface DatasetAccess {
  /** target.dataset as configured. */
  ref: string;
  id?: string;
  name?: string;
  schemaId?: string;
  problem?: string;
}

export interface AccessReport {
  /** Set when the token and the sandbox worked. */
  tenantId?: string;
  problems: string[];
  datasets: DatasetAccess[];
}

export async function checkAccess(platform: PlatformClient, sandbox: string, refs: readonly string[], signal?: AbortSignal): Promise<AccessReport> {
  const report: AccessReport = { problems: [], datasets: [] };
  try {
    report.tenantId = await platform.tenantId(signal);
  } catch (err) {
    report.problems.push(explain(err, `sandbox ${sandbox}`));
    return report;
  }
  for (const ref of [...new Set(refs)]) {
    const entry: DatasetAccess = { ref };
    report.datasets.push(entry);
    try {
      const dataset = await platform.findDataset(ref, signal);
      if (!dataset) {
        entry.problem = `dataset ${ref} not found in sandbox ${sandbox}, neither as id nor as name: create it (with its XDM schema) or correct target.dataset`;
        continue;
      }
      Object.assign(entry, { id: dataset.id, name: dataset.name });
      const schema = await platform.datasetSchema(dataset, signal);
      entry.schemaId = typeof (dataset.schemaRef as { id?: unknown } | undefined)?.id === 'string' ? (dataset.schemaRef as { id: string }).id : undefined;
      if (!schema) entry.problem = `dataset ${ref} names no schema in Catalog: records cannot be checked before upload`;
      else if (typeof schema.properties !== 'object') entry.problem = `the schema of dataset ${ref} has no properties`;
    } catch (err) {
      entry.problem = explain(err, `dataset ${ref}`);
    }
  }
  for (const d of report.datasets) if (d.problem) report.problems.push(d.problem);
  return report;
}

function explain(err: unknown, what: string): string {
  const message = errorMessage(err);
  if (!isDataflowError(err)) return `${what}: ${message}`;
  switch (err.code) {
    case 'ERR_IMS_AUTH':
      return `IMS refused the credential (client id and secret of the OAuth Server-to-Server credential, and its scopes): ${message}`;
    case 'ERR_PLATFORM_UNAUTHORIZED':
      return `Platform refused the access token (is the credential's project subscribed to the Experience Platform API?): ${message}`;
    case 'ERR_PLATFORM_FORBIDDEN':
      return `${what}: forbidden; the credential's product profile needs access to this sandbox and the permissions to manage datasets and schemas: ${message}`;
    default:
      return `${what}: ${message}`;
  }
}
