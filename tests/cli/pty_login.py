"""pty_login.py: runs `ansigram login USER` on a pseudo-terminal, types the
password, and reports what happened, for test_cli.sh.

  pty_login.py [--ahead] ANSIGRAM URL SESSION USER PASSWORD
      prints "EXIT ECHOED LOGGED_IN": the exit status ("timeout" when it
      had not ended by the deadline and was killed), whether the password
      showed on the terminal, and whether "Logged in" did. The password is
      typed once "Password: " shows; with --ahead it is typed before
      ansigram even starts (the child waits for it before exec), as
      someone who types ahead of the prompt would.
"""
import os
import pty
import select
import signal
import sys
import time

DEADLINE_S = 20


def main():
    args = sys.argv[1:]
    ahead = args[:1] == ["--ahead"]
    if ahead:
        args = args[1:]
    if len(args) != 5:
        raise SystemExit(__doc__)
    binary, url, session, user, password = args
    password = password.encode() + b"\n"
    gate_r, gate_w = os.pipe()
    pid, fd = pty.fork()
    if pid == 0:
        os.close(gate_w)
        os.read(gate_r, 1)          # returns at EOF: the parent has typed
        os.execv(binary, [binary, "--server", url, "--session", session, "login", user])
    os.close(gate_r)
    end = time.monotonic() + DEADLINE_S
    seen = b""

    def read_some():
        """Reads what the terminal shows within 0.1 s; False once it is closed."""
        nonlocal seen
        if not select.select([fd], [], [], 0.1)[0]:
            return True
        try:
            chunk = os.read(fd, 1024)
        except OSError:             # EIO: the child has gone
            return False
        seen += chunk
        return bool(chunk)

    def read_until(token):
        while token not in seen and time.monotonic() < end and read_some():
            pass

    if ahead:
        os.write(fd, password)
        os.close(gate_w)
    else:
        os.close(gate_w)
        read_until(b"Password: ")
        os.write(fd, password)
    read_until(b"Session saved")
    code = "timeout"
    while time.monotonic() < end:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            code = os.waitstatus_to_exitcode(status)
            break
        read_some()
    if code == "timeout":
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    echoed = password.strip() in seen.replace(b"\r", b"")
    print(code, echoed, b"Logged in" in seen)


if __name__ == "__main__":
    main()
