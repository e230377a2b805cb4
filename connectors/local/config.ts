import { z } from 'zod';

/** A folder on this machine (or a volume mounted into the container) as a connection. */
export const localConfigSchema = z
  .strictObject({
    type: z.literal('local'),
    root: z
      .string()
      .min(1)
      .refine((root) => !root.includes('\0'), 'must not contain a NUL byte')
      .describe('Folder that dataflow paths are relative to; a relative root resolves from the file that names it.'),
  })
  .describe('A local folder, e.g. a mounted volume: { type: local, root: ./data/inbox }');

export type LocalConfig = z.infer<typeof localConfigSchema>;
