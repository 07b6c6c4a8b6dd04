#!/usr/bin/env python3
"""Starts and stops a throwaway PostgreSQL 15 cluster for the tests (the CTest fixture "postgres").

    pg_test_cluster.py start STATE_DIR   initdb in a fresh temporary folder, start the server on
                                         127.0.0.1 and a free port, write STATE_DIR/url and
                                         STATE_DIR/datadir
    pg_test_cluster.py stop STATE_DIR    stop the server, remove its folder and the state files;
                                         succeeds quietly when nothing is running

The cluster trusts every local connection as the superuser aliquot_test, so the URL in
STATE_DIR/url (postgresql://aliquot_test@127.0.0.1:PORT/postgres) needs no password. A start
after a run that crashed before its stop first removes that run's cluster. The binaries come from
`pg_config --bindir`, else /usr/lib/postgresql/15/bin: Debian does not put them on PATH. initdb
and postgres refuse to run as root, so as root they run as the `postgres` user through runuser.

Python standard library only.
"""
import contextlib
import fcntl
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

USER = "aliquot_test"
DEFAULT_BINDIR = "/usr/lib/postgresql/15/bin"
# The system account that postgresql-common creates; the server runs as it when we are root.
SERVER_ACCOUNT = "postgres"
# Only folders named like this are ever removed, whatever a stale state file says.
FOLDER_PREFIX = "aliquot-pg-"
STATE_FILES = ("url", "datadir", "pid", "owner")
START_TIMEOUT_S = 60
STOP_TIMEOUT_S = 30
PORT_ATTEMPTS = 5


class ClusterError(Exception):
    """A failure worth one clear message, not a traceback."""


def bindir():
    """The folder with initdb, pg_ctl and postgres."""
    try:
        found = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True,
                               check=True).stdout.strip()
        # libpq-dev alone provides pg_config too; only a folder that has the server counts.
        if os.path.exists(os.path.join(found, "initdb")):
            return found
    except (OSError, subprocess.CalledProcessError):
        pass
    if os.path.exists(os.path.join(DEFAULT_BINDIR, "initdb")):
        return DEFAULT_BINDIR
    raise ClusterError("no PostgreSQL server binaries (initdb) in `pg_config --bindir` or %s: "
                       "run scripts/setup (Debian package postgresql-15)" % DEFAULT_BINDIR)


def child_env():
    """This process's environment without PG* variables, which would redirect pg_ctl or
    pg_isready to another server, and with untranslated messages, which start() reads."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
    env["LC_ALL"] = "C"
    return env


def as_server(args):
    """`args` run as the account that owns the cluster."""
    if os.geteuid() != 0:
        return args
    runuser = shutil.which("runuser") or "/usr/sbin/runuser"
    return [runuser, "-u", SERVER_ACCOUNT, "--"] + args


def run(args, cwd, server=True):
    """Runs a PostgreSQL program and returns the CompletedProcess (never raises on exit codes).
    `cwd` is a folder the server account can enter: postgres complains about one it cannot."""
    return subprocess.run(as_server(args) if server else args, cwd=cwd, env=child_env(),
                          capture_output=True, text=True, check=False)


def log_tail(folder, lines=40):
    try:
        with open(os.path.join(folder, "server.log"), encoding="utf-8", errors="replace") as log:
            tail = log.readlines()[-lines:]
    except OSError:
        return "(no server log)"
    return "".join(tail).rstrip() or "(the server log is empty)"


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now. Another process may take it
    before the server binds it; start() then tries another one."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def read_state(state_dir, name):
    try:
        with open(os.path.join(state_dir, name), encoding="utf-8") as state:
            return state.read().strip()
    except OSError:
        return ""


def write_state(state_dir, name, text):
    # Written whole or not at all: a test must never read half a URL.
    path = os.path.join(state_dir, name)
    with open(path + ".tmp", "w", encoding="utf-8") as state:
        state.write(text + "\n")
    os.replace(path + ".tmp", path)


def process_name(pid):
    try:
        with open("/proc/%d/comm" % pid, encoding="utf-8") as comm:
            return comm.read().strip()
    except (OSError, ValueError):
        return ""


def command_line(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as cmdline:
            return cmdline.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def running_ctest_owner(state_dir):
    """The pid of another ctest run that is using the cluster in `state_dir`, or None.

    Two ctest runs in one build folder share STATE_DIR; without this check the second run's start
    (or the cleanup after its failed start) would stop the first run's server under its tests."""
    owner = read_state(state_dir, "owner")
    if not owner.isdigit() or int(owner) == os.getppid():
        return None
    return int(owner) if process_name(int(owner)) == "ctest" else None


@contextlib.contextmanager
def locked(state_dir):
    """Holds STATE_DIR/lock: a start or stop of another ctest run waits, then sees our owner."""
    os.makedirs(state_dir, exist_ok=True)
    with open(os.path.join(state_dir, "lock"), "w", encoding="utf-8") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def stop_cluster(state_dir, quiet):
    """Stops the cluster recorded in `state_dir`, if any, and removes its folder and state."""
    datadir = read_state(state_dir, "datadir")
    url = read_state(state_dir, "url")
    pid = read_state(state_dir, "pid")
    folder = os.path.dirname(datadir) if datadir else ""
    if datadir and os.path.isdir(datadir):
        pg_ctl = os.path.join(bindir(), "pg_ctl")
        # fast rolls back open transactions and disconnects; immediate is the fallback for a
        # server that does not finish in time (it recovers from WAL, which we throw away anyway).
        for mode in ("fast", "immediate"):
            stopped = run([pg_ctl, "stop", "-D", datadir, "-m", mode, "-w",
                           "-t", str(STOP_TIMEOUT_S)], cwd=folder)
            status = run([pg_ctl, "status", "-D", datadir], cwd=folder)
            # pg_ctl status: 3 = not running, 4 = no accessible data folder.
            if status.returncode in (3, 4):
                break
            if mode == "immediate" and not quiet:
                print("postgres test cluster: pg_ctl could not stop the server: %s"
                      % (stopped.stderr.strip() or stopped.stdout.strip()))
    # The folder may be gone (a cleaned /tmp) while the postmaster still runs; its pid is then
    # the only handle left. The command line must name our data folder: the pid may be reused.
    if pid.isdigit() and datadir and datadir in command_line(int(pid)):
        try:
            os.kill(int(pid), signal.SIGKILL)
        except OSError:
            pass
    if folder and os.path.basename(folder).startswith(FOLDER_PREFIX):
        shutil.rmtree(folder, ignore_errors=True)
    for name in STATE_FILES:
        try:
            os.remove(os.path.join(state_dir, name))
        except OSError:
            pass
    return url, folder


def make_folder():
    """A fresh folder for the data, the log and the Unix socket, owned by the server account.

    It lives in the system temp dir rather than the build folder: the `postgres` account must be
    able to reach it when we are root, and a Unix socket path may not exceed 107 bytes."""
    folder = tempfile.mkdtemp(prefix=FOLDER_PREFIX)
    if os.geteuid() == 0:
        try:
            account = pwd.getpwnam(SERVER_ACCOUNT)
        except KeyError:
            shutil.rmtree(folder, ignore_errors=True)
            raise ClusterError("running as root, the server must run as the '%s' account, which "
                               "does not exist: run scripts/setup (package postgresql-common)"
                               % SERVER_ACCOUNT) from None
        os.chown(folder, account.pw_uid, account.pw_gid)
    return folder


def configure(datadir, folder):
    settings = [
        "listen_addresses = '127.0.0.1'",
        "unix_socket_directories = '%s'" % folder,
        # We test durability: a commit must survive a crash of the machine, so nothing that
        # weakens it is turned off, however much faster the tests would run.
        "fsync = on",
        "synchronous_commit = on",
        "full_page_writes = on",
        # The tests open many pools and servers at once.
        "max_connections = 200",
        "shared_buffers = 64MB",
        "log_line_prefix = '%m [%p] %q%u@%d '",
    ]
    with open(os.path.join(datadir, "postgresql.conf"), "a", encoding="utf-8") as conf:
        conf.write("\n# Added by tools/pg_test_cluster.py\n" + "\n".join(settings) + "\n")


def wait_until_ready(folder, port):
    pg_isready = os.path.join(bindir(), "pg_isready")
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        ready = run([pg_isready, "-q", "-h", "127.0.0.1", "-p", str(port), "-U", USER,
                     "-d", "postgres", "-t", "2"], cwd=folder, server=False)
        if ready.returncode == 0:
            return
        if time.monotonic() > deadline:
            raise ClusterError("the server did not accept connections on 127.0.0.1:%d within "
                               "%d s; the end of its log:\n%s"
                               % (port, START_TIMEOUT_S, log_tail(folder)))
        time.sleep(0.1)


def start(state_dir):
    owner = running_ctest_owner(state_dir)
    if owner is not None:
        raise ClusterError("another ctest run (pid %d) is using the cluster of %s; wait for it "
                           "or run the tests from another build folder" % (owner, state_dir))
    if read_state(state_dir, "url") or read_state(state_dir, "datadir"):
        url, folder = stop_cluster(state_dir, quiet=True)
        print("postgres test cluster: removed the cluster a previous run left behind (%s, %s)"
              % (url or "no url", folder or "no folder"))

    tools = bindir()
    folder = make_folder()
    datadir = os.path.join(folder, "data")
    try:
        # --no-sync only skips initdb's final flush of the files it wrote: a crash of the machine
        # during initdb is not something the tests care about. The server keeps fsync on.
        init = run([os.path.join(tools, "initdb"), "-D", datadir, "-U", USER, "--auth=trust",
                    "-E", "UTF8", "--locale=C", "--no-sync"], cwd=folder)
        if init.returncode != 0:
            raise ClusterError("initdb failed:\n%s%s" % (init.stdout, init.stderr))
        configure(datadir, folder)

        for attempt in range(1, PORT_ATTEMPTS + 1):
            port = free_port()
            started = run([os.path.join(tools, "pg_ctl"), "start", "-D", datadir,
                           "-l", os.path.join(folder, "server.log"), "-o", "-p %d" % port,
                           "-w", "-t", str(START_TIMEOUT_S)], cwd=folder)
            if started.returncode == 0:
                break
            log = log_tail(folder)
            if "could not bind" in log and attempt < PORT_ATTEMPTS:
                continue  # Someone took the port between free_port() and the bind.
            raise ClusterError("pg_ctl start failed: %s\nthe end of the server log:\n%s"
                               % ((started.stderr or started.stdout).strip(), log))
        wait_until_ready(folder, port)
    except BaseException:
        run([os.path.join(tools, "pg_ctl"), "stop", "-D", datadir, "-m", "immediate"], cwd=folder)
        shutil.rmtree(folder, ignore_errors=True)
        raise

    with open(os.path.join(datadir, "postmaster.pid"), encoding="utf-8") as pid_file:
        write_state(state_dir, "pid", pid_file.readline().strip())
    write_state(state_dir, "owner", str(os.getppid()))
    write_state(state_dir, "datadir", datadir)
    # Last: a url file means the cluster is up.
    write_state(state_dir, "url", "postgresql://%s@127.0.0.1:%d/postgres" % (USER, port))
    print("postgres test cluster: started on 127.0.0.1:%d (data in %s)" % (port, datadir))


def stop(state_dir):
    owner = running_ctest_owner(state_dir)
    if owner is not None:
        print("postgres test cluster: left running, another ctest run (pid %d) is using it"
              % owner)
        return
    url, folder = stop_cluster(state_dir, quiet=False)
    if not url and not folder:
        print("postgres test cluster: nothing to stop in %s" % state_dir)
        return
    print("postgres test cluster: stopped %s and removed %s" % (url or "the server", folder))


def main(argv):
    if len(argv) != 3 or argv[1] not in ("start", "stop"):
        print(__doc__)
        return 2
    state_dir = os.path.abspath(argv[2])
    try:
        with locked(state_dir):
            (start if argv[1] == "start" else stop)(state_dir)
    except ClusterError as error:
        print("postgres test cluster: %s" % error, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
