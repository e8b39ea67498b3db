/** A real browser (Debian's chromium through playwright-core) and the `runforge ui` server process. */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { CLI, REPO_ROOT } from './cli.js';

export const CHROMIUM = process.env.RUNFORGE_CHROMIUM ?? '/usr/bin/chromium';
export const SCREENSHOTS = path.join(REPO_ROOT, 'test-results', 'screenshots');

const browsers: Browser[] = [];
const servers: ChildProcess[] = [];
/** Closes every browser and dashboard server started so far. */
export async function closeBrowsersAndServers(): Promise<void> {
  for (const b of browsers.splice(0)) await b.close().catch(() => undefined);
  for (const s of servers.splice(0)) s.kill('SIGKILL');
}

export async function openBrowser(): Promise<{ browser: Browser; page: Page; dialogs: string[] }> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  browsers.push(browser);
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const dialogs: string[] = [];
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  return { browser, page, dialogs };
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

export interface UiHandle {
  url: string;
  base: string;
  token: string;
  proc: ChildProcess;
}

/** Starts `runforge ui --port 0` on the workspace and resolves with the URL it prints. */
export async function startUi(ws: string, args: string[] = []): Promise<UiHandle> {
  const proc = spawn(process.execPath, [CLI, 'ui', '--port', '0', '--workspace', ws, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  servers.push(proc);
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`runforge ui printed no URL: ${out}`)), 20_000);
    proc.stdout!.setEncoding('utf8').on('data', (c: string) => {
      out += c;
      const m = /RunForge dashboard: (http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    proc.on('exit', () => reject(new Error(`runforge ui exited: ${out}`)));
  });
  const u = new URL(url);
  return { url, base: `${u.protocol}//${u.host}`, token: u.searchParams.get('token')!, proc };
}
