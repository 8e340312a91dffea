// A watchdog process that outlives us only long enough to clean up: when the
// process that started an environment dies without stopping it (a crashed
// test worker, SIGKILL), the reaper kills what it was told to kill and
// removes the temp directories. It is told its charges over stdin; a closed
// stdin means the parent is gone.
//
// It is a POSIX shell script, not a Node process: it starts in a millisecond, where a Node process takes tens
// of milliseconds of CPU that a cold start would share its cores with (measured: `up --storage memory` ready
// 13-20 ms sooner, over 25 interleaved starts).

import { type ChildProcess, spawn } from 'node:child_process';

export interface Reaper {
  /** Remove this directory if we die without cleaning up. */
  addDir(dir: string): void;
  /** Kill this pid (and its process group) if we die. */
  addPid(pid: number): void;
  removeDir(dir: string): void;
  /** Run this command if we die (e.g. `docker rm -f <id>` for a container). */
  addCommand(argv: string[]): void;
  removePid(pid: number): void;
  /** A normal stop: the reaper exits without touching anything. */
  release(): void;
}

/**
 * The reaper, run by /bin/sh with the parent's pid as $1. Its charges arrive on stdin, one a line: `pid N`,
 * `unpid N`, `dir D`, `undir D`, `cmd A A...` and `release`, each D and A written by `printfWord()` (so no space,
 * newline, `%` or leading `-` is left in one, and printf turns it back). At the end of its input, or when the parent is gone
 * (looked for each second: another process may still hold the pipe), it exits if released; else it SIGKILLs each
 * pid's process group (the pid alone when it leads none), runs each command (for up to 10 s), and removes each
 * directory. Signals that reach its group are ignored: it is there for the parent's death.
 */
const SCRIPT = `unset KAPI_ENV_REAPER_SCRIPT
set -f
parent=$1
nl='
'
pids= dirs= cmds= released=
trap '' INT TERM HUP
drop() {
  out=
  IFS=$nl
  for x in $1; do [ "$x" = "$2" ] || out=$out$x$nl; done
  unset IFS
}
run() {
  line=$1
  IFS=' '
  set --
  for a in $line; do set -- "$@" "$(printf "$a")"; done
  unset IFS
  "$@" </dev/null >/dev/null 2>&1 &
  c=$!
  (sleep 10; kill -s KILL "$c") </dev/null >/dev/null 2>&1 &
  t=$!
  wait "$c"
  kill "$t" 2>/dev/null
}
finish() {
  trap '' USR1
  kill "$poll" 2>/dev/null
  [ -n "$released" ] && exit 0
  IFS=$nl
  for p in $pids; do kill -s KILL -- "-$p" 2>/dev/null || kill -s KILL "$p" 2>/dev/null; done
  for c in $cmds; do run "$c"; done
  sleep 0.1
  IFS=$nl
  for d in $dirs; do rm -rf -- "$(printf "$d")"; done
  exit 0
}
trap finish USR1
(while kill -0 "$parent" 2>/dev/null; do sleep 1; done; kill -s USR1 $$) </dev/null >/dev/null 2>&1 &
poll=$!
while IFS=' ' read -r op arg; do
  case $op in
    pid) pids=$pids$arg$nl ;;
    unpid) drop "$pids" "$arg"; pids=$out ;;
    dir) dirs=$dirs$arg$nl ;;
    undir) drop "$dirs" "$arg"; dirs=$out ;;
    cmd) cmds=$cmds$arg$nl ;;
    release) released=1 ;;
  esac
done
finish
`;

/**
 * Bytes the script's lines carry as they are; any other is written as printf's octal escape `\ooo` (`-` too, so that
 * no word reads as one of printf's options).
 */
const PLAIN = /^[A-Za-z0-9/._]$/;

/** `s` as one word of the script's input that `printf` turns back into `s`'s bytes. */
export function printfWord(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(b);
    out += b < 0x80 && PLAIN.test(c) ? c : `\\${b.toString(8).padStart(3, '0')}`;
  }
  return out;
}

let warnedNoShell = false;

/** A reaper the launcher started for this process (env/prelaunch.ts), until a start takes it. */
const KEPT = Symbol.for('kapi-env.prelaunched-reaper');
const slot = globalThis as { [KEPT]?: Reaper };

/** Keeps `reaper` for the start that asks for one. */
export function keepReaper(reaper: Reaper): void {
  slot[KEPT] = reaper;
}

/** The reaper the launcher started for this process, else a new one. */
export function startReaper(): Reaper {
  const kept = slot[KEPT];
  if (kept) {
    delete slot[KEPT];
    return kept;
  }
  return spawnReaper();
}

/** A reaper for the process `parent` (this one unless a test says otherwise), run by `shell`. */
export function spawnReaper(parent = process.pid, shell = '/bin/sh'): Reaper {
  // The script comes in the environment, so that `ps` shows one line: sh -c eval... kapi-env-reaper <pid>.
  const child: ChildProcess = spawn(shell, ['-c', 'eval "$KAPI_ENV_REAPER_SCRIPT"', 'kapi-env-reaper', String(parent)], {
    stdio: ['pipe', 'ignore', 'ignore'],
    detached: true,
    env: { ...process.env, KAPI_ENV_REAPER_SCRIPT: SCRIPT },
  });
  child.unref();
  // Without a shell (a distroless image) the environment still stops on every exit but a SIGKILL: said once.
  child.on('error', (e: NodeJS.ErrnoException) => {
    if (warnedNoShell) return;
    warnedNoShell = true;
    process.stderr.write(
      `kapi-env: no reaper (${shell}: ${e.code ?? e.message}): if this process is killed, what it started is left running\n`,
    );
  });
  const stdin = child.stdin!;
  (stdin as unknown as { unref?: () => void }).unref?.();
  stdin.on('error', () => {});
  const send = (line: string): void => {
    if (!stdin.destroyed) stdin.write(`${line}\n`);
  };
  return {
    addDir: (dir) => send(`dir ${printfWord(dir)}`),
    addPid: (pid) => send(`pid ${Math.trunc(pid)}`),
    removeDir: (dir) => send(`undir ${printfWord(dir)}`),
    addCommand: (argv) => send(`cmd ${argv.map(printfWord).join(' ')}`),
    removePid: (pid) => send(`unpid ${Math.trunc(pid)}`),
    release: () => {
      send('release');
      stdin.end();
    },
  };
}
