import type * as StorageBlob from '@azure/storage-blob';
import { z } from 'zod';
import { remotePathProblem } from '../../src/connector/paths';
import { errorMessage } from '../../src/lib/errors';
import { loadPackage } from '../../src/lib/load-package';

/** Azure's container naming rules: 3–63 of a-z, 0-9 and single inner hyphens, or a system container. */
const CONTAINER_NAME = /^(?:\$root|\$web|[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62})$/;

const secret = (what: string) => z.string().min(1).describe(`${what} (a secret: use \${env:NAME} or \${file:PATH})`);

const shape = z.strictObject({
  type: z.literal('azure-blob'),
  container: z
    .string()
    .regex(CONTAINER_NAME, 'must be an Azure container name: 3–63 lowercase letters, digits and single hyphens')
    .describe('The blob container to read from.'),
  prefix: z
    .string()
    .refine((p) => remotePathProblem(p) === undefined, "must stay inside the container: no '..' segments, NUL bytes, drive letters or UNC prefixes")
    .optional()
    .describe("Virtual folder inside the container that dataflow paths are relative to, e.g. 'exports/luma'."),
  connectionString: secret('Storage account connection string, as the portal shows it').optional(),
  accountUrl: z
    .string()
    .refine(isAccountUrl, 'must be an http(s) URL without query string, e.g. https://ACCOUNT.blob.core.windows.net')
    .optional()
    .describe('Blob endpoint of the account, e.g. https://ACCOUNT.blob.core.windows.net; alone it means DefaultAzureCredential.'),
  sasToken: secret('Shared access signature query string (sv=…&sig=…), account or container scope').optional(),
  accountName: z.string().min(1).optional().describe('Storage account name, with accountKey.'),
  accountKey: secret('Storage account access key, with accountName').optional(),
});

export type AzureBlobConfig = z.infer<typeof shape>;

/** How a connection authenticates, decided by which keys are present (see the refinement). */
export type AzureAuth =
  | { mode: 'connection-string'; connectionString: string }
  | { mode: 'sas'; accountUrl: string; sasToken: string }
  | { mode: 'account-key'; accountUrl: string; accountName: string; accountKey: string }
  | { mode: 'default-credential'; accountUrl: string };

export const azureBlobConfigSchema = shape
  .superRefine((config, ctx) => {
    for (const problem of authProblems(config)) ctx.addIssue({ code: 'custom', ...problem });
  })
  .describe(
    'An Azure Blob Storage container: { type: azure-blob, container, connectionString } or accountUrl with sasToken, ' +
      'with accountName + accountKey, or alone (DefaultAzureCredential: managed identity, workload identity, environment, az login).',
  );

/** The auth mode of a config that passed the schema. */
export function azureAuth(config: AzureBlobConfig): AzureAuth {
  const { connectionString, accountUrl, sasToken, accountName, accountKey } = config;
  if (connectionString !== undefined) return { mode: 'connection-string', connectionString };
  if (accountUrl === undefined) throw new Error('azure-blob config without connectionString or accountUrl passed validation');
  if (sasToken !== undefined) return { mode: 'sas', accountUrl, sasToken };
  if (accountName !== undefined && accountKey !== undefined) return { mode: 'account-key', accountUrl, accountName, accountKey };
  return { mode: 'default-credential', accountUrl };
}

interface Problem {
  path: string[];
  message: string;
}

/** Every wrong combination of the credential keys, each at the key to change. */
function authProblems(c: AzureBlobConfig): Problem[] {
  if (c.connectionString !== undefined) {
    const extra = (['accountUrl', 'sasToken', 'accountName', 'accountKey'] as const).filter((k) => c[k] !== undefined);
    const invalid = connectionStringProblem(c.connectionString);
    return [
      ...extra.map((k) => ({ path: [k], message: 'not used with connectionString, which holds the endpoint and the credential: keep one of them' })),
      ...(invalid ? [{ path: ['connectionString'], message: invalid }] : []),
    ];
  }
  if (c.accountUrl === undefined) {
    return [{ path: [], message: 'give connectionString, or accountUrl with sasToken, with accountName + accountKey, or alone for DefaultAzureCredential' }];
  }
  const out: Problem[] = [];
  if (c.sasToken !== undefined && (c.accountKey !== undefined || c.accountName !== undefined)) {
    out.push({ path: ['sasToken'], message: 'sasToken and accountName/accountKey are two different credentials: keep one of them' });
  } else if (c.accountKey !== undefined && c.accountName === undefined) {
    out.push({ path: ['accountName'], message: 'accountKey needs accountName: the key signs requests for that account' });
  } else if (c.accountName !== undefined && c.accountKey === undefined) {
    out.push({ path: ['accountKey'], message: 'accountName needs accountKey (or remove accountName to use DefaultAzureCredential)' });
  }
  if (c.sasToken !== undefined && !/(?:^|[?&])sig=[^&]+/.test(c.sasToken)) {
    out.push({ path: ['sasToken'], message: 'must be a shared access signature query string such as sv=…&se=…&sp=rl&sig=…' });
  }
  // The SDK refuses to send bearer tokens over plain HTTP; say so now rather than at the first run.
  const secretless = c.sasToken === undefined && c.accountKey === undefined && c.accountName === undefined;
  if (secretless && c.accountUrl.startsWith('http:')) {
    out.push({ path: ['accountUrl'], message: 'without sasToken or accountKey, DefaultAzureCredential sends bearer tokens, which need an https accountUrl' });
  }
  return out;
}

function isAccountUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.search === '' && url.hash === '' && url.username === '';
  } catch {
    return false;
  }
}

/** The SDK's own parser: it knows every form (account key, SAS, UseDevelopmentStorage=true). Its
 *  messages name the bad part ("Invalid AccountName in the provided Connection String"), never the value.
 *  The SDK (~20 MB) is loaded here only for a config that has a connection string. */
function connectionStringProblem(connectionString: string): string | undefined {
  try {
    loadPackage<typeof StorageBlob>('@azure/storage-blob').BlobServiceClient.fromConnectionString(connectionString);
    return undefined;
  } catch (err) {
    return `not a usable connection string: ${errorMessage(err)}`;
  }
}
