import { readFile, stat } from 'node:fs/promises';
import { isIP } from 'node:net';

export interface HostsFileOptions {
  path?: string;
  /** How often at most the file's mtime is checked (it is re-read only when it changed). */
  recheckMs?: number;
  now?: () => number;
}

/** Only the first MiB is read: a hosts file is local configuration, but it still must not exhaust memory. */
const MAX_BYTES = 1024 * 1024;

/**
 * Addresses from /etc/hosts, read asynchronously (no libuv threadpool-blocking getaddrinfo). c-ares'
 * queries, unlike getaddrinfo, never look at this file; reading it here keeps names that operators pin
 * there (and docker's own hostname) working as they did with `dns.lookup`.
 */
export class HostsFile {
  private readonly path: string;
  private readonly recheckMs: number;
  private readonly now: () => number;
  private names = new Map<string, string[]>();
  private checkedAt = -Infinity;
  private signature = '';
  private loading?: Promise<void>;

  constructor(opts: HostsFileOptions = {}) {
    this.path = opts.path ?? '/etc/hosts';
    this.recheckMs = opts.recheckMs ?? 5000;
    this.now = opts.now ?? Date.now;
  }

  /** Every address listed for `name` (case-insensitive), in file order; empty when it is not listed. */
  async lookup(name: string): Promise<string[]> {
    if (this.now() - this.checkedAt >= this.recheckMs) {
      this.loading ??= this.reload().finally(() => (this.loading = undefined));
      await this.loading;
    }
    return this.names.get(name.toLowerCase().replace(/\.$/, '')) ?? [];
  }

  private async reload(): Promise<void> {
    this.checkedAt = this.now();
    try {
      const s = await stat(this.path);
      const signature = `${s.mtimeMs}:${s.size}`;
      if (signature === this.signature) return;
      const text = (await readFile(this.path)).subarray(0, MAX_BYTES).toString('utf8');
      this.names = parseHosts(text);
      this.signature = signature;
    } catch {
      this.names = new Map();
      this.signature = '';
    }
  }
}

export function parseHosts(text: string): Map<string, string[]> {
  const names = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const fields = line.replace(/#.*/, '').trim().split(/\s+/);
    const address = fields[0];
    if (!address || !isIP(address)) continue;
    for (const name of fields.slice(1)) {
      const key = name.toLowerCase();
      const list = names.get(key) ?? [];
      if (!list.includes(address)) list.push(address);
      names.set(key, list);
    }
  }
  return names;
}
