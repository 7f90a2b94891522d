"""make_corpus.py: writes the seed corpora of the fuzz targets into
tests/fuzz/corpus/NAME/, a handful of small files each: request frames for
several ops (good and bad), push event plaintexts, and text with controls,
wide characters and broken UTF-8. Run it again after changing a seed;
regression seeds for bugs found by fuzzing live beside these (named
crash-*) and are not touched.

  python3 tests/fuzz/make_corpus.py   (needs python3-msgpack, as the CLI tests do)
"""
import os

import msgpack

HERE = os.path.dirname(os.path.abspath(__file__))


def request(op, args=None, **envelope):
    frame = {"v": 1, "id": envelope.pop("id", 1), "op": op}
    if args is not None:
        frame["args"] = args
    frame.update(envelope)
    return msgpack.packb(frame)


REQUESTS = {
    "ping": request("server.ping"),
    "login": request("auth.login", {"username": "alice", "password": "pw123456"}),
    "register": request("auth.register", {"username": "Bob.B_2", "email": "b@example.com",
                                          "password": "long enough"}),
    "post_create": request("post.create", {"content": "hello #cats\tand\n#dogs",
                                           "image_url": "https://example.com/a.jpg"},
                           auth="token", idem="key-1"),
    "user_update_nil": request("user.update", {"full_name": None, "bio": "ünïcødé 猫"},
                               auth="token"),
    "feed_page": request("feed.get", {"limit": 20, "before_id": 99}, auth="token"),
    "message_send": request("message.send", {"receiver_id": 2, "content": "hi"},
                            auth="token", idem="m1"),
    "bad_version": msgpack.packb({"v": 2, "id": 3, "op": "server.ping"}),
    "duplicate_key": bytes([0x83, 0xa1, 0x76, 0x01, 0xa2, 0x6f, 0x70, 0xa1, 0x78,
                            0xa1, 0x76, 0x01]),
    "hostile_count": bytes([0x81, 0xa4]) + b"args" + bytes([0xdd, 0xdd, 0xdd, 0xdd, 0xdd]),
}

EVENTS = {
    "notification": msgpack.packb({"type": "notification", "seq": 7, "at": 1700000000000,
                                   "data": {"type": "follow", "actor_username": "dave"}}),
    "message": msgpack.packb({"type": "message", "seq": 1, "at": 1,
                              "data": {"id": 5, "content": "hi", "from_user_id": 2}}),
    "post": msgpack.packb({"type": "post", "seq": 18446744073709551615, "at": -1,
                           "data": {"id": 900003, "content": "three"}}),
    "story_no_data": msgpack.packb({"type": "story", "seq": 2, "at": 2}),
    "long_type": msgpack.packb({"type": "x" * 40, "seq": 1, "at": 1, "data": None}),
    "hostile_count": bytes([0x82, 0xa4]) + b"type" + bytes([0xa7]) + b"message" +
    bytes([0xa4]) + b"data" + bytes([0xdd, 0xdd, 0xdd, 0xdd, 0xdd, 0x01, 0x02]),
}

# The first byte of a text seed: bit 0 keeps newlines, the rest is the
# fit width in columns.
TEXTS = {
    "plain": bytes([80 << 1]) + b"hello #cats",
    "newlines_kept": bytes([(20 << 1) | 1]) + b"line one\nline\ttwo\r\n",
    "escapes": bytes([40 << 1]) + b"\x1b[31mRED\x1b[0m \x1b]0;title\x07 \x9b2J",
    "wide": bytes([(7 << 1) | 1]) + "猫と犬 😀 e\u0301 \u200b".encode(),
    "broken_utf8": bytes([3 << 1]) + b"\xc3\x28 \xe2\x82 \xf0\x9f\x98 \xed\xa0\x80 \xff\x00",
}


def write(name, seeds):
    directory = os.path.join(HERE, "corpus", name)
    os.makedirs(directory, exist_ok=True)
    for seed, data in seeds.items():
        with open(os.path.join(directory, seed), "wb") as f:
            f.write(data)


def main():
    write("request", REQUESTS)
    write("push", EVENTS)
    write("text", TEXTS)


if __name__ == "__main__":
    main()
