#!/usr/bin/env python3
"""Writes the fuzz seed corpora (fuzz/corpus/<harness>/) from the test
vectors: Wycheproof cases encoded as the operation sequences the harnesses
decode (see fuzz_evp.c zc_decode), plus libssl's TLS 1.2 / 1.3 flows.
Run from the tree's top: python3 fuzz/make_seeds.py"""
import json, os, struct

OP_INIT, OP_IVLEN, OP_SET_TAG, OP_GET_TAG, OP_AAD, OP_DATA, OP_FINAL, OP_COPY, \
    OP_SET_PARAM, OP_GET_PARAM, OP_CTRL = range(11)
ALGS = {("gcm", 128): 0, ("gcm", 192): 1, ("gcm", 256): 2, ("chacha", 256): 3}


def init(enc, key=None, iv=None, cipher=True):
    flags = enc | (2 if cipher else 0) | (4 if key is not None else 0) | (8 if iv is not None else 0)
    b = bytes([OP_INIT, flags])
    if key is not None:
        b += key.ljust(32, b"\0")
    if iv is not None:
        b += iv.ljust(128, b"\0")
    return b


def upd(op, data, flags=0):
    return bytes([op, flags]) + struct.pack(">H", len(data)) + data[:256]


def ctrl(which, ival, data=b""):
    return bytes([OP_CTRL, which, ival + 1, 0]) + data.ljust(64, b"\0")


def evp_case(alg, key, iv, aad, msg, ct, tag, enc):
    s = bytes([0, alg]) + init(enc)
    if len(iv) != 12:
        s += bytes([OP_IVLEN, 0, len(iv) + 2])
    s += init(enc, key, iv, cipher=False)
    if not enc:
        s += bytes([OP_SET_TAG, 0, len(tag) + 1]) + tag.ljust(16, b"\0")
    if aad:
        s += upd(OP_AAD, aad)
    s += upd(OP_DATA, msg if enc else ct, flags=1)
    s += bytes([OP_COPY, 1, OP_FINAL, 0])
    if enc:
        s += bytes([OP_GET_TAG, 0, 17])
    return s


# fuzz_pipe (see fuzz_pipe.c: header [backend, alg, mode: bit 0 EVP], then
# [op, flags, args...]).
P_INIT, P_AAD, P_DATA, P_SET_TAGS, P_GET_TAGS, P_FINAL, P_ONE_MSG, P_COPY = range(8)


def p_init(enc, n, key=True, cipher=True, ivlen=None, bad_keylen=False):
    f = enc | (2 if key else 0) | (4 if bad_keylen else 0) | (8 if cipher else 0) | (0x80 if ivlen is not None else 0)
    return bytes([P_INIT, f, n, ivlen or 0, 0x5a]) + bytes(range(1, 13))


def p_aad(shape=2, base=13):
    return bytes([P_AAD, shape << 5, base])


def p_data(shape=2, base=300, inplace=0, fault=None):
    f = (shape << 5) | inplace | (0x0c if fault is not None else 0)
    b = bytes([P_DATA, f]) + struct.pack(">H", base)
    return b + (bytes(fault) if fault is not None else b"")


def p_tags(right=True, taglen=16, corrupt=()):
    f = (4 if taglen == 16 else 0) | (8 if right else 0) | (len(corrupt) << 4)
    b = bytes([P_SET_TAGS, f]) + (b"" if taglen == 16 else bytes([taglen]))
    b += b"" if right else bytes(range(16))
    return b + bytes(corrupt)


def p_get(sz=16):
    return bytes([P_GET_TAGS, 4 if sz == 16 else 0]) + (b"" if sz == 16 else bytes([sz]))


P_FIN = bytes([P_FINAL, 0])


def pipe_seeds(out):
    os.makedirs(out, exist_ok=True)
    seeds = {}
    for alg in range(4):
        for evp in (1, 0):
            m = "evp" if evp else "direct"
            for k, n in enumerate((8, 32) if evp else (17, 64)):
                h = bytes([0, alg, evp | (k << 1)])
                enc = p_init(1, n) + p_aad() + p_data(inplace=k) + P_FIN + p_get()
                dec = p_init(0, n, cipher=False) + p_aad() + p_aad(0, 5) + p_data(inplace=k) + p_tags()
                seeds[f"a{alg}-{m}-{n}-enc-dec"] = h + enc + dec + P_FIN
                # pipe 3's tag corrupted (pipe 3, byte 1); a 12-byte tag
                seeds[f"a{alg}-{m}-{n}-bad-tag"] = h + p_init(0, n) + p_aad() + p_data(inplace=k) \
                    + p_tags(corrupt=(3 | 1 << 3,)) + P_FIN
                seeds[f"a{alg}-{m}-{n}-tag12"] = h + p_init(0, n) + p_data(0, 64) + p_tags(taglen=12) + P_FIN
        h = bytes([0, alg, 1])
        if alg < 3:
            # GCM IV lengths 1 and 128 (the pipeline limit), 129 refused
            seeds[f"a{alg}-ivlen"] = h + p_init(1, 3, ivlen=1) + p_data(0, 40) + P_FIN + p_get() \
                + p_init(0, 3, cipher=False, ivlen=128) + p_data(0, 40) + p_tags() + P_FIN \
                + p_init(1, 3, cipher=False, ivlen=129) + p_data(0, 40)
        # misuse: 0 and 65 pipes, bad IV and key lengths, order, buffers
        seeds[f"a{alg}-misuse-init"] = h + p_init(1, 0) + p_init(1, 65) + p_init(1, 4, ivlen=200) \
            + p_init(1, 4, bad_keylen=True) + p_data() + p_init(1, 4, cipher=False) + p_data() + P_FIN
        seeds[f"a{alg}-misuse-order"] = h + p_init(1, 4) + p_data() + p_data() + p_aad() + P_FIN + P_FIN \
            + p_data() + p_get(0) + p_get(17) + p_get() + bytes([P_ONE_MSG, 0, P_COPY, 0]) + p_get()
        seeds[f"a{alg}-misuse-buffers"] = h + p_init(0, 6) + p_data(fault=(0, 2)) + p_data(fault=(1, 5)) \
            + p_data(fault=(2 + 3 * 7, 1)) + p_tags(taglen=0) + p_tags(taglen=17) + p_tags(right=False) \
            + p_data() + P_FIN
        seeds[f"a{alg}-no-tags-reinit"] = h + p_init(0, 5) + p_data() + P_FIN + p_init(0, 5) + p_init(1, 5) \
            + bytes([P_COPY, 0]) + p_data() + P_FIN + p_get()
        # the one-message API between batches: refused, then after an init
        # with an IV one message (the pipeline then off)
        for evp in (1, 0):
            seeds[f"a{alg}-one-msg-{evp}"] = bytes([0, alg, evp]) + p_init(1, 4) + p_data() + P_FIN \
                + bytes([P_ONE_MSG, 0, P_ONE_MSG, 1]) + bytes(range(12)) + p_data() + P_FIN \
                + p_init(0, 4, cipher=False) + bytes([P_ONE_MSG, 0]) + p_data() + p_tags() + P_FIN
        seeds[f"a{alg}-direct-count"] = bytes([0, alg, 0]) + p_init(1, 9) + bytes([P_AAD, 16, 0, 7]) \
            + bytes([P_DATA, 16, 1]) + struct.pack(">H", 100) + bytes([P_FINAL, 2, 3]) + p_data(0, 100) + P_FIN
    for name, b in seeds.items():
        open(os.path.join(out, name), "wb").write(b)
    return len(seeds)


def main():
    out = "fuzz/corpus/fuzz_evp"
    os.makedirs(out, exist_ok=True)
    n = 0
    for fname, fam in (("aes_gcm_test.json", "gcm"), ("chacha20_poly1305_test.json", "chacha")):
        path = os.path.join("test/vectors", fname)
        if not os.path.exists(path):
            continue
        doc = json.load(open(path))
        for g in doc["testGroups"]:
            alg = ALGS.get((fam, g["keySize"]))
            if alg is None:
                continue
            for t in g["tests"][:3]:
                h = {k: bytes.fromhex(t[k]) for k in ("key", "iv", "aad", "msg", "ct", "tag")}
                if len(h["msg"]) > 256 or len(h["iv"]) > 128:
                    continue
                for enc in (1, 0):
                    with open(f"{out}/wp-{fam}-{t['tcId']}-{'enc' if enc else 'dec'}", "wb") as f:
                        f.write(evp_case(alg, h["key"], h["iv"], h["aad"], h["msg"], h["ct"], h["tag"], enc))
                    n += 1
    # TLS 1.2 records: GCM fixed IV + AAD, one in-place update; ChaCha key+IV + AAD.
    key, aad = bytes(range(32)), bytes(8) + b"\x17\x03\x03\x00\x30"
    for alg in range(4):
        for enc in (1, 0):
            s = bytes([0, alg])
            if alg < 3:
                s += init(enc, key) + ctrl(0, 4, b"\x01\x02\x03\x04")
            else:
                s += init(enc, key, bytes(range(12)))
            s += ctrl(3, 13, aad) + upd(OP_DATA, bytes(range(0x30)), flags=1)
            open(f"{out}/tls12-{alg}-{enc}", "wb").write(s)
            # TLS 1.3: IV per record, tag set before data, 5-byte AAD.
            s = bytes([0, alg]) + init(enc, key)
            for rec in range(2):
                s += init(enc, None, bytes([rec] * 12), cipher=False)
                if not enc:
                    s += bytes([OP_SET_TAG, 0, 17]) + bytes(16)
                s += upd(OP_AAD, b"\x17\x03\x03\x00\x20") + upd(OP_DATA, bytes(16), flags=1)
                s += bytes([OP_FINAL, 0]) + (bytes([OP_GET_TAG, 0, 17]) if enc else b"")
            open(f"{out}/tls13-{alg}-{enc}", "wb").write(s)
            n += 2
    # fuzz_params: every algorithm x context state, a get and a set each.
    pout = "fuzz/corpus/fuzz_params"
    os.makedirs(pout, exist_ok=True)
    for alg in range(4):
        for st in range(10):
            s = bytes([0, alg, st])
            for kind, typ, size in ((1, 2, 16), (0, 2, 13), (2, 1, 8), (3, 3, 64)):
                s += bytes([kind, typ, size, st * 3 + kind]) + bytes(range(80))
            open(f"{pout}/state-{alg}-{st}", "wb").write(s)
            n += 1
    # fuzz_tls: each algorithm x TLS 1.2/1.3, clean and damaged records
    # (mode bits: 2 flip a bit, 4 cut the record, 8 a wrong AAD length).
    tout = "fuzz/corpus/fuzz_tls"
    os.makedirs(tout, exist_ok=True)
    for alg in range(4):
        for v in range(2):
            for mode in (0, 2, 4, 8, 0x22):
                s = bytes([0, alg, v]) + bytes(range(1, 33)) + bytes(range(40, 52))
                for r in range(3):
                    ln = [0, 1, 64, 300][(r + mode) % 4]
                    s += bytes([mode, 0x17, ln >> 8, ln & 255, 0, 7 + r]) + bytes(7) + bytes([r])
                    s += bytes(range(min(ln, 256)))
                open(f"{tout}/a{alg}-v{v}-m{mode:02x}", "wb").write(s)
                n += 1
    n += pipe_seeds("fuzz/corpus/fuzz_pipe")
    print(f"{n} seeds in {out}, {pout}, {tout} and fuzz/corpus/fuzz_pipe")


if __name__ == "__main__":
    main()
