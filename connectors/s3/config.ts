import { z } from 'zod';
import { remotePathProblem } from '../../src/connector/paths';

/** S3 answers at most 1000 keys per ListObjectsV2 page, whatever MaxKeys asks for. */
export const MAX_PAGE_SIZE = 1000;

/** The region S3-compatible stores expect when they care at all, and AWS's own default. */
export const DEFAULT_REGION = 'us-east-1';

const secretString = z.string().min(1);

/**
 * A bucket (or a folder of it) in Amazon S3 or an S3-compatible store (MinIO, Ceph, s3rver...)
 * as a connection. Without keys the SDK's default credential chain applies: environment,
 * shared config/credentials files, SSO, web identity, ECS and EC2 instance roles.
 */
export const s3ConfigSchema = z
  .strictObject({
    type: z.literal('s3'),
    bucket: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, { error: "must be a bucket name: letters, digits, '.', '_' and '-'" })
      .describe('The bucket to read from.'),
    prefix: z
      .string()
      .refine((p) => remotePathProblem(p) === undefined, { error: (iss) => `must be a folder inside the bucket: ${remotePathProblem(String(iss.input))}` })
      .optional()
      .describe("Folder inside the bucket that dataflow paths are relative to (a key prefix, without the trailing '/'); default: the whole bucket."),
    region: z
      .string()
      .regex(/^[A-Za-z0-9-]+$/, { error: 'must be a region name, e.g. eu-west-1' })
      .optional()
      .describe(`The bucket's region, e.g. eu-west-1. Required for AWS; with an endpoint it defaults to ${DEFAULT_REGION}.`),
    endpoint: z
      .url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' })
      .optional()
      .describe('Base URL of an S3-compatible store, e.g. http://127.0.0.1:9000; default: AWS.'),
    forcePathStyle: z
      .boolean()
      .default(false)
      .describe('Address buckets as ENDPOINT/BUCKET rather than BUCKET.ENDPOINT (most S3-compatible stores need true).'),
    accessKeyId: z.string().min(1).optional().describe('Static credentials; without them the default AWS credential chain applies.'),
    secretAccessKey: secretString.optional().describe('Secret of accessKeyId.'),
    sessionToken: secretString.optional().describe('Session token of temporary credentials (with accessKeyId and secretAccessKey).'),
    pageSize: z
      .int()
      .min(1)
      .max(MAX_PAGE_SIZE)
      .default(MAX_PAGE_SIZE)
      .describe(`Keys per listing request (1-${MAX_PAGE_SIZE}); only worth lowering in tests.`),
  })
  .superRefine(
    (c, ctx) => {
      if (c.endpoint === undefined && c.region === undefined) {
        ctx.addIssue({ code: 'custom', path: ['region'], message: 'required for AWS (without an endpoint), e.g. eu-west-1' });
      }
      if ((c.accessKeyId === undefined) !== (c.secretAccessKey === undefined)) {
        const missing = c.accessKeyId === undefined ? 'accessKeyId' : 'secretAccessKey';
        ctx.addIssue({ code: 'custom', path: [missing], message: 'accessKeyId and secretAccessKey go together (or neither, for the default AWS credential chain)' });
      }
      if (c.sessionToken !== undefined && c.accessKeyId === undefined) {
        ctx.addIssue({ code: 'custom', path: ['sessionToken'], message: 'only applies with accessKeyId and secretAccessKey' });
      }
    },
    // Cross-field problems are reported together with the fields' own, as everywhere in the config.
    { when: (payload) => payload.value !== null && typeof payload.value === 'object' },
  )
  .describe('An S3 bucket: { type: s3, bucket: exports, region: eu-west-1 }');

export type S3Config = z.infer<typeof s3ConfigSchema>;

/** Fields whose values are redacted from logs and errors. The access key id is an identifier,
 *  not a secret (AWS shows it in consoles and logs), and naming it helps with auth problems. */
export const S3_SECRET_FIELDS = ['secretAccessKey', 'sessionToken'] as const;
