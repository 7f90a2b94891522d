"""make_corpus.py: writes the seed corpora of the fuzz targets into
tests/fuzz/corpus/NAME/, a handful of small files each: request frames for
several ops (good and bad), push event plaintexts, text with controls,
wide characters and broken UTF-8, and OpenSSH public key lines (real keys
made by ssh-keygen, and broken ones). Run it again after changing a seed;
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


PUBKEYS = {
    "ecdsa256": b"ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBKb/s7AInsFRvibFXHJhKzTd643UZR3bJ2NIGKBtWa9pxoRa/udGpp6ezgeYiw2l87OVVDmXvRzim+BlX7wesgY= fuzz@seed\n",
    "ecdsa384": b"ecdsa-sha2-nistp384 AAAAE2VjZHNhLXNoYTItbmlzdHAzODQAAAAIbmlzdHAzODQAAABhBO2dCGp8CCX+djfppvUW/4BMMaFRxkuL8YcNYFyGdE4B8Cksuj5qqVnhU2ULlPdqxkaWTlh2yK4mLr57CU2M4FHFtgFvXFarbwMVSH8qpxyO/Pn9vPFDPq2SZLBI//M3Fw== fuzz@seed\n",
    "ecdsa521": b"ecdsa-sha2-nistp521 AAAAE2VjZHNhLXNoYTItbmlzdHA1MjEAAAAIbmlzdHA1MjEAAACFBAFJOY30nRqS07yeZ7ZEzbk32AUwPYjaWLvOHt5rLWvynZ2JbWpcZAYaOM3ox55tfYW1RXMP+snhoIoK9CmRy98CdwGgROUugo8Lp+a9YXzxDTZeyck93apPDj+fSsAqXHI2onTr/MEGoellH2+WVC1Umu9f5BNt9xGE/IkWxNVHf/I8gw== fuzz@seed\n",
    "ed25519": b"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIH2IZcXUugh+W/DriCy3MfFF+9Se/YkS4I+pNM7Eq5iW fuzz@seed\n",
    "rsa2048": b"ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQCjeqRL0p8GFmIWn8Ft7eCfP+AKpbzP0quSG02WGgPlRacF8dYvM3RAdkASESHFYdIrF5guPFX0jCU9u41wcjFOZw1TsG8yyh7WyBxXjGoj+bJZf5lgpBLIN3E+jtDVAnr25WyOo37t9x9GgQ3mowsQLybn5xnQlC/3F/X3THOD1dpEPp9XNm0qybLxmrfp6rH6lN54IqD21bE3QSYh7J/47LLeBM9vWk55t+ac4OwRPN+gZbxelQUfDGbIafPc6FJYvvLHdIhXR11OyAFca6IuzErmSKA6Du+XzwXOT5CnWYNaLEWvuwgcMF1dprgTkc7hTI2gU4WWjATYaiVh//SL fuzz@seed\n",
    "two_on_a_line": b"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIH2IZcXUugh+W/DriCy3MfFF+9Se/YkS4I+pNM7Eq5iW fuzz@seed ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIH2IZcXUugh+W/DriCy3MfFF+9Se/YkS4I+pNM7Eq5iW fuzz@seed\n",
    "truncated": b"ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQCjeqRL0p8GFmIWn8Ft7eCfP+AKpbzP0quSG02WGgPlRacF8dYvM3RAdkASESHFYdIrF5guPFX0jCU9u41w\n",
    "private_header": b"-----BEGIN OPENSSH PRIVATE KEY-----\n",
    "options_prefix": b"no-pty ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIH2IZcXUugh+W/DriCy3MfFF+9Se/YkS4I+pNM7Eq5iW fuzz@seed\n",
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
    write("pubkey", PUBKEYS)


if __name__ == "__main__":
    main()
