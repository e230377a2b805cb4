import { z } from 'zod';

/*
 * The connection's keys (DESIGN.md §3). The loaded config is parsed again by the core when a run
 * starts, so nothing here transforms a value into another type: `timeout` stays a string and is
 * read by `ftpTimeoutMs`, the port default is applied by `ftpPort`.
 */

/** Same grammar as the core's durations (src/config/units), which connectors may not import. */
const DURATION_RE = /^(?:\d+(?:ms|s|m|h|d))+$/;
const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/;

export const ftpConfigSchema = z
  .strictObject({
    type: z.literal('ftp'),
    host: z
      .string()
      .min(1)
      .regex(/^[^\s/]+$/, 'a host name or IP address, without scheme, port or path')
      .describe('Host name or IP address of the FTP server.'),
    port: z.int().min(1).max(65535).optional().describe('TCP port; default 21, or 990 with secure: implicit.'),
    username: z.string().min(1).regex(/^[^\r\n\0]+$/, 'must not contain line breaks').describe('Login name; `anonymous` for anonymous FTP.'),
    password: z
      .string()
      .regex(/^[^\r\n\0]*$/, 'must not contain line breaks')
      .optional()
      .describe('Login password, e.g. ${env:FTP_PASSWORD}. A secret: redacted from logs and errors.'),
    secure: z
      .union([z.literal(false), z.literal('explicit'), z.literal('implicit')])
      .default(false)
      .describe('false: plain FTP; explicit: AUTH TLS on the control port (FTPES); implicit: TLS from the first byte (FTPS, port 990).'),
    ca: z
      .string()
      .regex(PEM_CERTIFICATE, 'expected one or more PEM certificates (-----BEGIN CERTIFICATE-----)')
      .optional()
      .describe('PEM certificate(s) of a private CA (or the server\'s self-signed certificate) to trust, e.g. ${file:/run/secrets/ftp_ca.pem}.'),
    insecureSkipVerify: z
      .boolean()
      .default(false)
      .describe('Accept any TLS certificate. Only for tests: anyone on the path can then read the password.'),
    maxConnections: z.int().min(1).max(32).default(4).describe('FTP sessions opened at most at once (one transfer each).'),
    timeout: z
      .string()
      .regex(DURATION_RE, 'expected a duration such as 30s, 2m')
      .default('30s')
      .describe('How long the server may stay silent (connecting, answering, sending data) before the operation fails as transient.'),
  })
  .superRefine((c, ctx) => {
    if (c.secure === false && c.ca !== undefined) ctx.addIssue({ code: 'custom', path: ['ca'], message: 'only applies with secure: explicit or implicit' });
    if (c.secure === false && c.insecureSkipVerify) {
      ctx.addIssue({ code: 'custom', path: ['insecureSkipVerify'], message: 'only applies with secure: explicit or implicit' });
    }
    if (c.ca !== undefined && c.insecureSkipVerify) {
      ctx.addIssue({ code: 'custom', path: ['insecureSkipVerify'], message: 'contradicts ca: with a CA given, certificates are verified against it' });
    }
  })
  .describe('An FTP or FTPS server: { type: ftp, host, username, password, secure: explicit }');

export type FtpConfig = z.infer<typeof ftpConfigSchema>;

export function ftpPort(config: FtpConfig): number {
  return config.port ?? (config.secure === 'implicit' ? 990 : 21);
}

export function ftpTimeoutMs(config: FtpConfig): number {
  let ms = 0;
  for (const m of config.timeout.matchAll(/(\d+)(ms|s|m|h|d)/g)) ms += Number(m[1]) * DURATION_UNITS[m[2]];
  return ms;
}
