"""wire.py: a small, independent client of the ansigram protocol for the
CLI tests, so that what `ansigram --json` prints can be compared with the
reply itself. It talks nng through ctypes and seals push events with
libsodium, sharing no code with the project.

  wire.py call URL OP ARGS_JSON [TOKEN]
      prints the whole reply as JSON (bin values as base64, as the CLI does)
  wire.py publish URL TOPIC_HEX KEY_HEX GO_FILE EVENTS_JSON
      listens with a PUB socket on URL, creates GO_FILE.ready, waits until
      GO_FILE exists (at most 60 s: then it fails), then publishes each event of EVENTS_JSON (a list of
      {type, seq, at, data}) sealed for the session with TOPIC_HEX and
      KEY_HEX
"""
import base64
import ctypes
import ctypes.util
import json
import os
import sys
import time

import msgpack

nng = ctypes.CDLL(ctypes.util.find_library("nng") or "libnng.so.1")
sodium = ctypes.CDLL(ctypes.util.find_library("sodium") or "libsodium.so.23")
sodium.sodium_init()


class Socket(ctypes.Structure):
    _fields_ = [("id", ctypes.c_uint32)]


nng.nng_dial.argtypes = [Socket, ctypes.c_char_p, ctypes.c_void_p, ctypes.c_int]
nng.nng_listen.argtypes = [Socket, ctypes.c_char_p, ctypes.c_void_p, ctypes.c_int]
nng.nng_send.argtypes = [Socket, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
nng.nng_recv.argtypes = [Socket, ctypes.c_void_p, ctypes.POINTER(ctypes.c_size_t), ctypes.c_int]
nng.nng_socket_set_ms.argtypes = [Socket, ctypes.c_char_p, ctypes.c_int32]
nng.nng_close.argtypes = [Socket]
nng.nng_free.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
sodium.crypto_secretbox_easy.argtypes = [
    ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulonglong, ctypes.c_char_p, ctypes.c_char_p]


def check(rv, what):
    if rv != 0:
        raise SystemExit(f"wire.py: {what} failed: nng error {rv}")


def as_json(value):
    """The value with bin turned into base64, as ansigram --json prints it."""
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, dict):
        return {k: as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_json(v) for v in value]
    return value


def call(url, op, args, token=None):
    sock = Socket()
    check(nng.nng_req0_open(ctypes.byref(sock)), "req0_open")
    nng.nng_socket_set_ms(sock, b"recv-timeout", 10000)
    nng.nng_socket_set_ms(sock, b"send-timeout", 10000)
    check(nng.nng_dial(sock, url.encode(), None, 0), "dial")
    request = {"v": 1, "id": 1, "op": op, "args": args}
    if token:
        request["auth"] = token
    frame = msgpack.packb(request)
    check(nng.nng_send(sock, frame, len(frame), 0), "send")
    buf = ctypes.c_void_p()
    size = ctypes.c_size_t()
    check(nng.nng_recv(sock, ctypes.byref(buf), ctypes.byref(size), 1), "recv")
    reply = msgpack.unpackb(ctypes.string_at(buf, size.value), raw=False)
    nng.nng_free(buf, size.value)
    nng.nng_close(sock)
    return reply


def publish(url, topic, key, go_file, events):
    sock = Socket()
    check(nng.nng_pub0_open(ctypes.byref(sock)), "pub0_open")
    check(nng.nng_listen(sock, url.encode(), None, 0), "listen")
    open(go_file + ".ready", "w").close()
    deadline = time.monotonic() + 60
    while not os.path.exists(go_file):
        if time.monotonic() > deadline:
            raise SystemExit(f"wire.py: {go_file} did not appear within 60 s")
        time.sleep(0.05)
    for event in events:
        plain = msgpack.packb(event)
        nonce = os.urandom(24)
        box = ctypes.create_string_buffer(len(plain) + 16)
        sodium.crypto_secretbox_easy(box, plain, len(plain), nonce, key)
        message = topic + nonce + box.raw
        check(nng.nng_send(sock, message, len(message), 0), "send")
        time.sleep(0.1)
    time.sleep(0.5)
    nng.nng_close(sock)


def main():
    if len(sys.argv) >= 5 and sys.argv[1] == "call":
        token = sys.argv[5] if len(sys.argv) > 5 else None
        print(json.dumps(as_json(call(sys.argv[2], sys.argv[3], json.loads(sys.argv[4]), token))))
    elif len(sys.argv) == 7 and sys.argv[1] == "publish":
        publish(sys.argv[2], bytes.fromhex(sys.argv[3]), bytes.fromhex(sys.argv[4]),
                sys.argv[5], json.loads(sys.argv[6]))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
