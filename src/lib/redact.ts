/**
 * Blanks secret values out of text that is about to leave the process or be kept: log lines, and
 * the errors the store records (a library may put a credential into an error message).
 */
export type Redact = (text: string) => string;

export const REDACTED = '[redacted]';

export function redactor(secrets: readonly string[]): Redact {
  if (secrets.length === 0) return (text) => text;
  const escaped = [...secrets].sort((a, b) => b.length - a.length).map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  const pattern = new RegExp(escaped.join('|'), 'g');
  return (text) => text.replace(pattern, REDACTED);
}
