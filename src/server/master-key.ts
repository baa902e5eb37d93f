// The key ring for personal data: MINGJIAN_MASTER_KEY, or a key file beside the database, generated on first start.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Config } from '../config.ts';
import { createKeyRing, generateKeySpec, type KeyRing } from '../kernel/crypto.ts';
import type { StoreCapabilities } from '../store/database.ts';

export function dataDirectory(config: Config, capabilities: StoreCapabilities): string {
  if (config.dataDir) return resolve(config.dataDir);
  return capabilities.filePath ? dirname(capabilities.filePath) : resolve('data');
}

export function loadKeyRing(config: Config, capabilities: StoreCapabilities, warn: (msg: string) => void): KeyRing {
  if (config.masterKey) return createKeyRing(config.masterKey);
  const dir = dataDirectory(config, capabilities);
  const file = join(dir, 'master.key');
  if (existsSync(file)) return createKeyRing(readFileSync(file, 'utf8'));
  mkdirSync(dir, { recursive: true });
  const spec = generateKeySpec();
  writeFileSync(file, `${spec}\n`, { mode: 0o600, flag: 'wx' });
  warn(`MINGJIAN_MASTER_KEY is not set: generated a master key for personal data at ${file}. Back it up and keep it secret; without it, encrypted fields cannot be read. In production set MINGJIAN_MASTER_KEY.`);
  return createKeyRing(spec);
}
