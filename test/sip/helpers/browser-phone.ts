import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, normalize } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

const SIPJS_LIB = join(__dirname, '..', '..', '..', 'node_modules', 'sip.js', 'lib');
const PAGE_DIR = join(__dirname, 'browser');
const TYPES: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
};

/** Serves the test page and sip.js's ESM build (node_modules/sip.js/lib under /sip.js/) on 127.0.0.1. */
function servePage(): Promise<Server> {
  const server = createServer((req, res) => {
    const path = normalize(decodeURIComponent((req.url ?? '/').split('?')[0]));
    const file = path.startsWith('/sip.js/')
      ? join(SIPJS_LIB, path.slice('/sip.js/'.length))
      : join(PAGE_DIR, path === '/' ? 'phone.html' : path);
    if (!file.startsWith(SIPJS_LIB) && !file.startsWith(PAGE_DIR)) return res.writeHead(403).end();
    readFile(file).then(
      (body) =>
        res
          .writeHead(200, {
            'content-type': TYPES[file.slice(file.lastIndexOf('.'))] ?? 'application/octet-stream',
          })
          .end(body),
      () => res.writeHead(404).end(),
    );
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/**
 * Debian's Chromium, headless, on a page running sip.js with real WebRTC media: the fake capture
 * device plays `audioFile` (a wav), the self-signed certificate of the WSS edge is accepted.
 */
export class BrowserPhone {
  private constructor(
    private readonly context: BrowserContext,
    private readonly server: Server,
    private readonly profile: string,
    readonly page: Page,
    readonly console: string[],
  ) {}

  static async open(audioFile: string): Promise<BrowserPhone> {
    const server = await servePage();
    const profile = mkdtempSync(join(tmpdir(), 'pbx-chromium-'));
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--use-fake-ui-for-media-stream',
        '--use-fake-device-for-media-stream',
        `--use-file-for-fake-audio-capture=${audioFile}`,
        '--autoplay-policy=no-user-gesture-required',
        '--ignore-certificate-errors',
      ],
    });
    const page = context.pages()[0] ?? (await context.newPage());
    const lines: string[] = [];
    page.on('console', (m) => lines.push(`${m.type()}: ${m.text()}`));
    page.on('pageerror', (e) => lines.push(`pageerror: ${e.message}`));
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    await page.waitForFunction('window.phoneReady === true', undefined, { timeout: 10_000 });
    return new BrowserPhone(context, server, profile, page, lines);
  }

  async close(): Promise<void> {
    await this.context.close().catch(() => undefined);
    await new Promise((r) => this.server.close(r));
    rmSync(this.profile, { recursive: true, force: true });
  }
}
