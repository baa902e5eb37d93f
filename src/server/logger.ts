// One pino logger for the service: JSON lines, credentials and personal data redacted, request bodies never logged.
import pino, { type Logger } from 'pino';
import type { Config } from '../config.ts';

export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["idempotency-key"]',
  '*.application',
  '*.secret',
  '*.adminKey',
  '*.masterKey',
];

export function createLogger(config: Pick<Config, 'logLevel'>): Logger {
  return pino({ level: config.logLevel, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, base: { service: 'mingjian' } });
}
