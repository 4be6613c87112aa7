import type { LogLevel } from './args.js';
import { LOG_LEVELS } from './args.js';

export interface Logger {
  error(msg: string): void;
  warn(msg: string): void;
  info(msg: string): void;
  debug(msg: string): void;
  readonly level: LogLevel;
}

/** Logs go to stderr so stdout carries the report only. */
export function makeLogger(level: LogLevel, write: (s: string) => void = (s) => process.stderr.write(s)): Logger {
  const rank = (l: LogLevel) => LOG_LEVELS.indexOf(l);
  const at = (l: LogLevel) => (msg: string) => {
    if (rank(l) <= rank(level)) write(`${l}: ${msg}\n`);
  };
  return { error: at('ERROR'), warn: at('WARNING'), info: at('INFO'), debug: at('DEBUG'), level };
}
