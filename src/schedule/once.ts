/**
 * What `frequency: once` remembers in the store's meta table: which definition of the dataflow
 * had its single run, and which run that was. A changed source or target (a new definition hash)
 * makes the dataflow eligible again.
 */
export interface OnceRecord {
  hash: string;
  runId: string;
  at: string;
}

export const onceKey = (dataflow: string) => `once:${dataflow}`;
