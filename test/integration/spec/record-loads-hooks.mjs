// Module loader hooks (run on Node's hooks thread): log each URL as it loads.
import { appendFileSync } from 'node:fs';

const log = process.env.JOEY_LOAD_LOG;

export async function load(url, context, next) {
  if (log) appendFileSync(log, `${url}\n`);
  return next(url, context);
}
