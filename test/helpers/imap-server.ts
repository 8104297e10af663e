/**
 * A real Dovecot IMAP server for one test file: its own configuration, mail, runtime and log files in a
 * temporary directory, listening on 127.0.0.1 on a free port with plaintext login (no TLS), one user
 * from a passwd-file, run in the foreground as a child process and killed when the test is done.
 *
 * Every wait has a deadline, so a Dovecot that does not start fails the test in seconds with its log,
 * rather than hanging the suite. Without Dovecot installed (`apt-get install dovecot-imapd`) starting
 * fails with a message saying so.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface TestImapServer {
  host: string;
  port: number;
  user: string;
  password: string;
  /** imap://user:password@127.0.0.1:port/INBOX, as CIVICDESK_INBOUND_IMAP_URL would be set. */
  url: string;
  /** The Maildir of the one user (cur/, new/, tmp/ and a folder per mailbox as .Name). */
  maildir: string;
  /** Dovecot's log so far (for assertion messages). */
  log(): string;
  stop(): Promise<void>;
}

const NOT_INSTALLED =
  'Dovecot is not installed, and the IMAP tests need a real IMAP server: apt-get install -y dovecot-imapd';

function findDovecot(): string {
  for (const candidate of ['/usr/sbin/dovecot', '/usr/local/sbin/dovecot']) {
    if (fs.existsSync(candidate)) return candidate;
  }
  const which = spawnSync('sh', ['-c', 'command -v dovecot'], { encoding: 'utf8' });
  const found = which.stdout.trim();
  if (which.status === 0 && found) return found;
  throw new Error(NOT_INSTALLED);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = address && typeof address === 'object' ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Resolves when the server answers with an IMAP greeting ("* OK"), rejects on anything else. */
function greeting(host: string, port: number, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    let data = '';
    const done = (error?: Error) => {
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve();
    };
    const timer = setTimeout(() => done(new Error('no IMAP greeting')), timeoutMs);
    socket.on('data', (chunk) => {
      data += chunk.toString('latin1');
      if (data.includes('\r\n')) done(data.startsWith('* OK') ? undefined : new Error(data.trim()));
    });
    socket.on('error', (error) => done(error));
  });
}

/** uid and gid of a system user, from /etc/passwd. */
function systemUser(name: string): { uid: number; gid: number } | undefined {
  const line = fs
    .readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${name}:`));
  if (!line) return undefined;
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

export async function startImapServer({
  startTimeoutMs = 10_000,
  binary = findDovecot(),
}: {
  startTimeoutMs?: number;
  /** The dovecot executable (found in /usr/sbin, /usr/local/sbin or on PATH unless given). */
  binary?: string;
} = {}): Promise<TestImapServer> {
  if (!fs.existsSync(binary)) throw new Error(`${NOT_INSTALLED} (no ${binary})`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'civicdesk-imap-'));
  fs.chmodSync(dir, 0o755);
  const host = '127.0.0.1';
  const port = await freePort();
  const user = 'replies';
  const password = 'imap-test-password';
  const maildir = path.join(dir, 'mail', user, 'Maildir');
  fs.mkdirSync(path.join(dir, 'mail'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'run'));
  fs.mkdirSync(path.join(dir, 'state'));

  // As root, Dovecot drops to system users: its own ones for the internal and login processes (the
  // package creates them), and mail is owned by the `dovecot` user, since Dovecot refuses mail access
  // as uid 0. As anyone else, everything runs as that user.
  const root = process.getuid?.() === 0;
  const owner = root ? systemUser('dovecot') : { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
  if (!owner)
    throw new Error('Running as root, but the `dovecot` system user (from dovecot-core) is missing');
  const internalUser = root ? 'dovecot' : os.userInfo().username;
  const loginUser = root ? (systemUser('dovenull') ? 'dovenull' : 'dovecot') : internalUser;
  if (root) fs.chownSync(path.join(dir, 'mail'), owner.uid, owner.gid);

  fs.writeFileSync(
    path.join(dir, 'users'),
    `${user}:{PLAIN}${password}:${owner.uid}:${owner.gid}::${path.join(dir, 'mail', user)}::\n`,
  );
  const logFile = path.join(dir, 'dovecot.log');
  const config = [
    '# Written by test/helpers/imap-server.ts for one test run.',
    'protocols = imap',
    `listen = ${host}`,
    `base_dir = ${path.join(dir, 'run')}`,
    `state_dir = ${path.join(dir, 'state')}`,
    `instance_name = civicdesk-test-${port}`,
    `log_path = ${logFile}`,
    `info_log_path = ${logFile}`,
    `debug_log_path = ${logFile}`,
    `default_internal_user = ${internalUser}`,
    `default_login_user = ${loginUser}`,
    `first_valid_uid = ${owner.uid}`,
    `last_valid_uid = ${owner.uid}`,
    'ssl = no',
    'disable_plaintext_auth = no',
    'auth_mechanisms = plain login',
    `mail_location = maildir:~/Maildir`,
    'passdb {',
    '  driver = passwd-file',
    `  args = scheme=PLAIN username_format=%u ${path.join(dir, 'users')}`,
    '}',
    'userdb {',
    '  driver = passwd-file',
    `  args = username_format=%u ${path.join(dir, 'users')}`,
    '}',
    'namespace inbox {',
    '  inbox = yes',
    '  mailbox Trash {',
    '    special_use = \\Trash',
    '  }',
    '}',
    'service imap-login {',
    '  inet_listener imap {',
    `    port = ${port}`,
    '  }',
    '  inet_listener imaps {',
    '    port = 0',
    '  }',
    '}',
    // No stats or anvil sockets in /var/run: everything the server needs is under base_dir.
    '',
  ].join('\n');
  const configFile = path.join(dir, 'dovecot.conf');
  fs.writeFileSync(configFile, config);

  const child: ChildProcess = spawn(binary, ['-F', '-c', configFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  let exited: number | null | undefined;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exited = code ?? (signal ? -1 : null);
      resolve();
    }),
  );
  // A binary that cannot be run at all reports 'error' and may never report 'exit'.
  child.once('error', (error) => {
    output += `\n${error.message}`;
    exited ??= -1;
  });

  const readLog = () => {
    try {
      return fs.readFileSync(logFile, 'utf8');
    } catch {
      return '';
    }
  };
  const stop = async () => {
    if (exited === undefined) {
      child.kill('SIGTERM');
      const killed = await Promise.race([exit.then(() => true), sleep(5_000).then(() => false)]);
      if (!killed) {
        child.kill('SIGKILL');
        await Promise.race([exit, sleep(2_000)]);
      }
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + startTimeoutMs;
  let lastError: string;
  for (;;) {
    if (exited !== undefined) {
      const log = readLog();
      await stop();
      throw new Error(`Dovecot exited (code ${exited}) while starting:\n${output}\n${log}`);
    }
    try {
      await greeting(host, port, 1_000);
      break;
    } catch (error) {
      lastError = (error as Error).message;
    }
    if (Date.now() > deadline) {
      const log = readLog();
      await stop();
      throw new Error(
        `Dovecot did not answer on ${host}:${port} within ${startTimeoutMs} ms (${lastError}):\n${output}\n${log}`,
      );
    }
    await sleep(50);
  }

  return {
    host,
    port,
    user,
    password,
    url: `imap://${user}:${password}@${host}:${port}/INBOX`,
    maildir,
    log: readLog,
    stop,
  };
}
