r"""The reference code's training loop (MF or LightGCN), re-written in PyTorch: its seed spread.

    pip install torch --index-url https://download.pytorch.org/whl/cpu   # not a project dependency
    python -m benchmarks.reference_torch --dataset tools --ns ahns --seeds 2022 1 2 3 \
        --data-dir ../shared/data/ahns

The reference's loop as its repository describes it (Riwei-HEU/AHNS main.py, modules/LightGCN.py;
benchmarks/README.md lists what is kept), written independently. Writes
``<dataset>-reference-<ns>[-lightgcn<L>]-seeds.{json,md}``; for MF the .md quotes our seed study
beside it as it is when written (``--report-only`` brings the quote up to date).
"""

import heapq
import os
import random
import time

import numpy as np

from ahns_tf.provenance import describe, provenance
from benchmarks import paper, report, seeds

#: The loop's settings as flags: default and help. ``per-draw`` and ``per-user`` keep the
#: reference's Python loops (their cost, for `benchmarks.speed`); the draws' law is the same.
FLAGS = {
    "--alpha": (1.0, None), "--beta": (0.1, None), "--p": (-2, None), "--n-negs": (32, "M"),
    "--epochs": (36, None), "--batch-size": (2048, None), "--dim": (64, None),
    "--lr": (1e-3, None), "--l2": (1e-4, None),
    "--eval-every": (5, "after 0-based epochs 0, N, 2N, ... (it draws no random numbers)"),
    "--threads": (1, "above 1 a run is not bit-reproducible (see tools-eval-points.md)"),
    "--context-hops": (0, "L: 0 = MF; L > 0 = the reference's LightGCN"),
    "--sampling": ("vectorised", "or per-draw"), "--evaluation": ("numpy", "or per-user"),
}


def read_lines(path: str) -> dict:
    """``{user: set(items)}`` from a ``user item item ...`` file (users without items skipped)."""
    out = {}
    with open(path) as f:
        for line in f:
            tokens = line.split()
            if len(tokens) > 1:
                out.setdefault(int(tokens[0]), set()).update(map(int, tokens[1:]))
    return out


def ranking_metrics(user_emb, item_emb, train: dict, test: dict, k: int = 20,
                    per_user: bool = False) -> tuple:
    """``(recall@k, ndcg@k)``: means over the `test` users of a brute-force ranking by
    ``user_emb [U, D] @ item_emb.T``, each user's `train` items (``{user: set}``) left out.

    `per_user` ranks as the reference does, at its cost (utils/evaluate.py as described: per
    user, all items minus the trained ones, a dict of scores, ``heapq.nlargest``); else one
    vectorised pass per block of users. Same values (up to ties). Example: one user, items
    scored [3, 2, 1], train {0}, test {2} -> top 2 [1, 2], recall 1, NDCG 1/log2(3) = 0.631.
    """
    users = sorted(test)
    recall = ndcg = 0.0
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    for start in range(0, len(users), 1024):
        batch = users[start:start + 1024]
        scores = user_emb[batch] @ item_emb.T                                  # [batch, items]
        if not per_user:
            for row, user in enumerate(batch):
                scores[row, list(train.get(user, ()))] = -np.inf
            part = np.argpartition(-scores, k, axis=1)[:, :k]                  # [batch, k]
            order = np.argsort(-np.take_along_axis(scores, part, 1), axis=1, kind="stable")
            tops = np.take_along_axis(part, order, 1)
        for row, user in enumerate(batch):
            if per_user:
                score_of = {item: scores[row, item]
                            for item in set(range(len(item_emb))) - train.get(user, set())}
                top = heapq.nlargest(k, score_of, key=score_of.get)
            else:
                top = tops[row]
            truth = test[user]
            hits = np.array([item in truth for item in top], dtype=float)
            recall += hits.sum() / len(truth)
            ndcg += (hits * discounts[:len(hits)]).sum() / discounts[:min(len(truth), k)].sum()
    return recall / len(users), ndcg / len(users)


def normalized_adjacency(users, items, num_users: int, num_items: int):
    """``D^-1/2 [[0, R], [R^T, 0]] D^-1/2`` of the pairs ``users [n]``, ``items [n]`` as a float32
    torch sparse tensor (item ``i`` is node ``num_users + i``; a node without edges gets 0).

    >>> adj = normalized_adjacency([0, 1], [0, 0], num_users=2, num_items=1)
    >>> round(float(adj.to_dense()[0, 2]), 4)   # user 0 (degree 1) - item 0 (degree 2)
    0.7071
    """
    import torch  # pylint: disable=import-outside-toplevel
    keys = np.unique(np.asarray(users, np.int64) * num_items + np.asarray(items, np.int64))
    users, items = keys // num_items, keys % num_items + num_users          # [n], [n] (nodes)
    rows, cols = np.concatenate([users, items]), np.concatenate([items, users])  # [2n]
    nodes = num_users + num_items
    degree = np.bincount(rows, minlength=nodes).astype(np.float64)         # [nodes]
    inv_sqrt = np.zeros(nodes)
    inv_sqrt[degree > 0] = degree[degree > 0] ** -0.5
    values = (inv_sqrt[rows] * inv_sqrt[cols]).astype(np.float32)          # [2n]
    return torch.sparse_coo_tensor(torch.as_tensor(np.stack([rows, cols])),
                                   torch.as_tensor(values), (nodes, nodes),
                                   check_invariants=True).coalesce()


def propagate(adjacency, user_emb, item_emb, hops: int) -> tuple:
    """LightGCN's layers ``[E, A E, ..., A^L E]`` (L = `hops`, A = `adjacency`) of the layer-0
    ``user_emb [U, D]`` and ``item_emb [I, D]``: ``([U, L+1, D], [I, L+1, D])``, whose means over
    axis 1 are LightGCN's embeddings."""
    import torch  # pylint: disable=import-outside-toplevel
    layers = [torch.cat([user_emb, item_emb], dim=0)]                      # [nodes, dim]
    for _ in range(hops):
        layers.append(torch.sparse.mm(adjacency, layers[-1]))              # A^l E
    stacked = torch.stack(layers, dim=1)                                   # [nodes, L+1, dim]
    return stacked[:user_emb.shape[0]], stacked[user_emb.shape[0]:]


class ReferenceLoop:
    """One seed of the reference's training loop (MF, or LightGCN with ``context_hops`` > 0).

    Args:
        args: the settings, named as this module's flags (ns, alpha, ..., sampling, evaluation).
        seed: seeds the initialisation, the epoch shuffles and the negative sampling.
        train: ``{user: set(items)}`` training interactions; `test`: the held-out ones.

    Example: ``loop = ReferenceLoop(args, 2022, train, test); loop.train_epoch()``.
    """

    def __init__(self, args, seed: int, train: dict, test: dict):
        import torch  # pylint: disable=import-outside-toplevel
        torch.set_num_threads(args.threads)
        torch.manual_seed(seed)
        self.args, self.train, self.test, self.torch = args, train, test, torch
        self.shuffle_rng = np.random.default_rng(seed)
        self.sample_rng, self.python_rng = np.random.default_rng(seed + 1), random.Random(seed + 1)
        self.pairs = np.array([(u, i) for u in sorted(train) for i in sorted(train[u])],
                              dtype=np.int64)                                   # [n, 2]
        self.num_users = max(max(train), max(test)) + 1
        self.num_items = max(max(max(s) for s in train.values()),
                             max(max(s) for s in test.values())) + 1
        self.keys = np.sort(self.pairs[:, 0] * self.num_items + self.pairs[:, 1])
        self.num_candidates = 1 if args.ns == "rns" else args.n_negs
        self.user_emb, self.item_emb = (
            torch.nn.Parameter(torch.nn.init.xavier_uniform_(torch.empty(rows, args.dim)))
            for rows in (self.num_users, self.num_items))
        self.optimizer = torch.optim.Adam([self.user_emb, self.item_emb], lr=args.lr)
        self.adjacency = (normalized_adjacency(self.pairs[:, 0], self.pairs[:, 1],
                                               self.num_users, self.num_items)
                          if args.context_hops else None)

    def candidates(self, users):
        """[B, M] items drawn uniformly among each user's uninteracted items."""
        if self.args.sampling == "per-draw":  # the reference's Python loop, one draw at a time
            out = []
            for user in users.tolist():
                for _ in range(self.num_candidates):
                    item = self.python_rng.choice(range(self.num_items))
                    while item in self.train[user]:     # rejection, as the reference's sampler
                        item = self.python_rng.choice(range(self.num_items))
                    out.append(item)
            return np.array(out, dtype=np.int64).reshape(len(users), self.num_candidates)
        users = np.repeat(users[:, None], self.num_candidates, 1)
        items = self.sample_rng.integers(0, self.num_items, size=users.shape)
        while True:  # redraw the training pairs (found among the sorted pair keys)
            query = users * self.num_items + items
            where = np.minimum(np.searchsorted(self.keys, query), len(self.keys) - 1)
            bad = self.keys[where] == query
            if not bad.any():
                return items
            items[bad] = self.sample_rng.integers(0, self.num_items, size=int(bad.sum()))

    def tables(self):
        """``(user_layers [U, L+1, D], item_layers [I, L+1, D])``, or MF's ``[U, D], [I, D]``."""
        hops = self.args.context_hops
        return (propagate(self.adjacency, self.user_emb, self.item_emb, hops) if hops
                else (self.user_emb, self.item_emb))

    def train_epoch(self) -> float:
        """Trains one epoch (pairs shuffled, full batches only); returns its seconds."""
        torch, args, batch = self.torch, self.args, self.args.batch_size
        graph = bool(args.context_hops)
        pool = (lambda x, axis: x.mean(axis)) if graph else (lambda x, axis: x)
        shuffled = self.pairs[self.shuffle_rng.permutation(len(self.pairs))]
        start_time = time.time()
        for start in range(0, len(shuffled) - batch + 1, batch):  # full batches only
            chunk = shuffled[start:start + batch]
            users, pos = torch.as_tensor(chunk[:, 0]), torch.as_tensor(chunk[:, 1])
            cand = torch.as_tensor(self.candidates(chunk[:, 0]))       # [B, M]
            user_table, item_table = self.tables()   # LightGCN: propagated each step, all layers
            e_user, e_pos = pool(user_table[users], 1), pool(item_table[pos], 1)   # [B, D]
            if args.ns == "rns":
                neg = cand[:, 0]
            else:
                with torch.no_grad():
                    cand_emb = pool(item_table[cand], 2)                         # [B, M, D]
                    cand_scores = (e_user[:, None, :] * cand_emb).sum(-1)        # [B, M]
                    if args.ns == "dns":
                        pick = cand_scores.argmax(1)
                    else:
                        pos_scores = (e_user * e_pos).sum(-1, keepdim=True)      # [B, 1]
                        target = args.beta * (pos_scores + args.alpha).pow(args.p + 1)
                        pick = (cand_scores - target).abs().argmin(1)
                neg = cand.gather(1, pick[:, None]).squeeze(1)
            e_neg = pool(item_table[neg], 1)
            # L2 on the batch's layer-0 (ego) rows, as the reference does.
            ego = ((self.user_emb[users], self.item_emb[pos], self.item_emb[neg]) if graph
                   else (e_user, e_pos, e_neg))
            margin = (e_user * e_neg).sum(-1) - (e_user * e_pos).sum(-1)
            loss = (torch.log(1 + torch.exp(margin)).mean()
                    + args.l2 * sum(e.norm() ** 2 for e in ego) / 2 / batch)
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
        return time.time() - start_time

    def evaluate(self) -> tuple:
        """``(recall@20, ndcg@20, seconds)`` over all test users (`--evaluation`), with the
        propagated (mean-pooled) embeddings for LightGCN."""
        start = time.time()
        with self.torch.no_grad():     # (.numpy() of a table that requires grad needs it)
            user_table, item_table = self.tables()
            if self.args.context_hops:
                user_table, item_table = user_table.mean(1), item_table.mean(1)
            user_table, item_table = user_table.numpy(), item_table.numpy()
        recall, ndcg = ranking_metrics(user_table, item_table, self.train, self.test,
                                       per_user=self.args.evaluation == "per-user")
        return recall, ndcg, time.time() - start


def run_seed(args, seed: int, train: dict, test: dict) -> dict:
    """One seed, ``args.epochs`` epochs evaluated every ``args.eval_every``: ``{"best_epoch",
    "test", "history"}``, the best evaluation by Recall@20 (0-based epochs, as the reference's)."""
    loop = ReferenceLoop(args, seed, train, test)
    history = []
    for epoch in range(args.epochs):
        seconds = loop.train_epoch()
        if epoch % args.eval_every == 0:
            recall, ndcg, eval_seconds = loop.evaluate()
            history.append({"epoch": epoch, "recall@20": recall, "ndcg@20": ndcg,
                            "epoch_seconds": seconds, "eval_seconds": eval_seconds})
            print(f"seed {seed} epoch {epoch}: R@20 {100 * recall:.2f} N@20 {100 * ndcg:.2f} "
                  f"({seconds:.1f} s/epoch)", flush=True)
    best = max(history, key=lambda h: h["recall@20"])
    return {"best_epoch": best["epoch"], "test": {"recall@20": best["recall@20"],
                                                  "ndcg@20": best["ndcg@20"]},
            "history": history}


def markdown(payload: dict, stem: str) -> str:
    """The report of `main`'s payload; for MF, with our seed study beside `stem` as it is now."""
    hops = payload["settings"].get("context_hops", 0)
    lines = [f"# Seed spread of the reference's training loop (PyTorch): {payload['ns']}"
             + (f" (LightGCN, {hops} hops)" if hops else "") + f" on {payload['dataset']}", "",
             report.produced_by(payload) + ".", "",
             f"What this is: the reference code's {'LightGCN' if hops else 'MF'} training loop "
             "re-written in PyTorch (benchmarks/README.md), evaluated with a numpy full ranking "
             f"every {payload['settings'].get('eval_every', 5)} epochs (the reference: 5; epochs "
             "0-based, as its); the best evaluation by Recall@20. Values in %.", ""]
    lines += seeds.seed_tables(payload["runs"], payload["summary"])
    name = f"{payload['dataset']}-{payload['ns']}-seeds.json"
    ours = report.load(os.path.join(os.path.dirname(stem), name)) if not hops else None
    if ours:
        lines += ["", f"Ours (ahns_tf, {name}): " + ", ".join(
            f"{m} {ours['summary'][m]['mean']:.2f} ± {ours['summary'][m]['std']:.2f}"
            for m in seeds.METRICS) + f" over {len(ours['runs'])} seeds, made by "
            f"{describe(ours.get('provenance'))}."]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = report.parser(__doc__, "benchmarks.reference_torch")
    parser.add_argument("--dataset", default="tools")
    parser.add_argument("--ns", default="ahns", choices=["rns", "dns", "ahns"])
    parser.add_argument("--seeds", type=int, nargs="+", default=[2022, 1, 2, 3])
    for flag, (default, text) in FLAGS.items():
        parser.add_argument(flag, type=type(default), default=default, help=text)
    parser.add_argument("--data-dir", default=os.environ.get("AHNS_DATA_DIR"))
    args = parser.parse_args(argv)
    if args.eval_every < 1:
        parser.error(f"--eval-every must be at least 1, got {args.eval_every}")
    graph = f"-lightgcn{args.context_hops}" if args.context_hops else ""
    stem = os.path.join(args.output, f"{args.dataset}-reference-{args.ns}{graph}-seeds")
    if args.report_only:
        return report.rerender(stem, markdown, argv=argv)
    if not args.data_dir:
        parser.error("pass --data-dir (the folder of <dataset>/train.txt) or set AHNS_DATA_DIR")
    try:
        import torch  # noqa: F401  pylint: disable=import-outside-toplevel,unused-import
    except ImportError:
        parser.error("needs PyTorch, which is not a project dependency: "
                     "pip install torch --index-url https://download.pytorch.org/whl/cpu")
    train, test = (read_lines(os.path.join(args.data_dir, args.dataset, f"{split}.txt"))
                   for split in ("train", "test"))
    runs = {str(seed): run_seed(args, seed, train, test) for seed in args.seeds}
    payload = {"provenance": provenance(argv), "dataset": args.dataset, "ns": args.ns,
               "settings": {k: v for k, v in vars(args).items()
                            if k not in ("data_dir", "output", "report_only")},
               "runs": runs, "summary": seeds.summarise(runs, paper.row(args.dataset, args.ns))}
    report.publish(stem, payload, markdown)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
