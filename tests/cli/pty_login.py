"""pty_login.py: runs `ansigram login USER` on a pseudo-terminal, types the
password, and reports what happened, for test_cli.sh. Every wait has a
deadline; at the deadline ansigram is killed.

  pty_login.py [--ahead] ANSIGRAM URL SESSION USER PASSWORD
      prints "EXIT ECHOED LOGGED_IN": the exit status ("timeout" when it
      had not ended by the deadline), whether the password showed on the
      terminal, and whether "Logged in" did. The password is typed once
      "Password: " shows; with --ahead it is typed before ansigram even
      starts, as someone who types ahead of the prompt would.

  pty_login.py --interrupt ANSIGRAM URL SESSION USER PASSWORD
      at the prompt, presses Ctrl-C; prints "EXIT QUIET ECHO_AFTER": the
      exit status, whether echo was off at the prompt, and whether it was
      back on once ansigram had gone.

  pty_login.py --suspend ANSIGRAM URL SESSION USER PASSWORD
      at the prompt, presses Ctrl-Z, then lets it continue and types the
      password; prints "EXIT ECHO_WHILE_STOPPED QUIET_AGAIN LOGGED_IN".
      ansigram runs as a job in its own process group under a small job
      controller, as under a shell, so that Ctrl-Z really stops it.
"""
import os
import pty
import select
import signal
import sys
import termios
import time

DEADLINE_S = 20


def run_job(argv, gate, report, control):
    """In the pty's session leader: waits for the gate, runs argv as a
    foreground job, reports "stopped" on report when it stops and continues
    it when a byte comes on control; exits with the job's status."""
    os.read(gate, 1)
    signal.signal(signal.SIGTTOU, signal.SIG_IGN)
    job = os.fork()
    if job == 0:
        os.setpgid(0, 0)
        os.tcsetpgrp(0, os.getpgrp())
        signal.signal(signal.SIGTTOU, signal.SIG_DFL)
        os.execv(argv[0], argv)
    try:
        os.setpgid(job, job)
        os.tcsetpgrp(0, job)
    except OSError:
        pass                        # the job did it first
    while True:
        _, status = os.waitpid(job, os.WUNTRACED)
        if os.WIFSTOPPED(status):
            os.write(report, b"s")
            os.read(control, 1)
            os.tcsetpgrp(0, job)
            os.kill(-job, signal.SIGCONT)
            continue
        code = os.waitstatus_to_exitcode(status)
        os._exit(code if code >= 0 else 128 - code)


class Terminal:
    """The parent's side of the pty, with a deadline for everything."""

    def __init__(self, fd, pid):
        self.fd, self.pid, self.seen = fd, pid, b""
        self.end = time.monotonic() + DEADLINE_S

    def read_some(self):
        """Reads what the terminal shows within 0.1 s; False once closed."""
        if not select.select([self.fd], [], [], 0.1)[0]:
            return True
        try:
            chunk = os.read(self.fd, 1024)
        except OSError:             # EIO: nobody has the terminal open
            return False
        self.seen += chunk
        return bool(chunk)

    def read_until(self, token):
        while token not in self.seen and time.monotonic() < self.end and self.read_some():
            pass
        return token in self.seen

    def echo_on(self):
        return bool(termios.tcgetattr(self.fd)[3] & termios.ECHO)

    def until(self, predicate):
        while not predicate() and time.monotonic() < self.end:
            time.sleep(0.02)
        return predicate()

    def exit_status(self):
        """The child's exit status, or "timeout" (then it is killed)."""
        while True:
            done, status = os.waitpid(self.pid, os.WNOHANG)
            if done:
                return os.waitstatus_to_exitcode(status)
            if time.monotonic() >= self.end:
                break
            if not self.read_some():
                time.sleep(0.02)
        os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)
        return "timeout"


def main():
    args = sys.argv[1:]
    mode = args.pop(0)[2:] if args and args[0].startswith("--") else "normal"
    if len(args) != 5 or mode not in ("normal", "ahead", "interrupt", "suspend"):
        raise SystemExit(__doc__)
    binary, url, session, user, password = args
    password = password.encode() + b"\n"
    argv = [binary, "--server", url, "--session", session, "login", user]
    gate_r, gate_w = os.pipe()
    report_r, report_w = os.pipe()
    control_r, control_w = os.pipe()
    pid, fd = pty.fork()
    if pid == 0:
        os.close(gate_w)
        run_job(argv, gate_r, report_w, control_r)
    os.close(gate_r)
    term = Terminal(fd, pid)

    if mode == "ahead":
        os.write(fd, password)
    os.close(gate_w)                # the job starts
    if mode == "ahead":
        term.read_until(b"Session saved")
        code = term.exit_status()
        print(code, password.strip() in term.seen, b"Logged in" in term.seen)
        return
    term.read_until(b"Password: ")
    quiet = not term.echo_on()
    if mode == "interrupt":
        os.write(fd, b"\x03")
        code = term.exit_status()
        print(code, quiet, term.echo_on())
        return
    if mode == "suspend":
        os.write(fd, b"\x1a")
        stopped = select.select([report_r], [], [], DEADLINE_S)[0] != []
        echo_while_stopped = stopped and term.echo_on()
        os.write(control_w, b"c")
        quiet_again = term.until(lambda: not term.echo_on())
        os.write(fd, password)
        term.read_until(b"Session saved")
        code = term.exit_status()
        print(code, echo_while_stopped, quiet_again, b"Logged in" in term.seen)
        return
    os.write(fd, password)
    term.read_until(b"Session saved")
    code = term.exit_status()
    print(code, password.strip() in term.seen.replace(b"\r", b""), b"Logged in" in term.seen)


if __name__ == "__main__":
    main()
