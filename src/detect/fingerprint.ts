import type { ConnectorTraits, RemoteFile } from '../connector/types';

/**
 * A file version's identity (DESIGN.md §1): the etag where the connector says it tracks
 * content, else size + modified time truncated to the precision the connector can report, so
 * that two listings of an unchanged file always agree.
 */
export function fingerprint(file: RemoteFile, traits: ConnectorTraits): string {
  if (traits.etagTracksContent && file.etag) return `etag:${file.etag}`;
  const precision = Math.max(1, traits.mtimePrecisionMs);
  const mtime = Math.floor(file.modifiedAt.getTime() / precision) * precision;
  return `${file.size}:${mtime}`;
}
