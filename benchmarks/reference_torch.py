r"""The reference code's training loop (MF or LightGCN), re-written in PyTorch: its seed spread.

    pip install torch --index-url https://download.pytorch.org/whl/cpu   # not a project dependency
    python -m benchmarks.reference_torch --dataset tools --ns ahns --seeds 2022 1 2 3 \
        --data-dir ../shared/data/ahns

Why: Table 2 is one number per method; our seed study (benchmarks/results/tools-ahns-seeds.md)
shows a spread of about +-2%. To tell a real gap from seed noise we need the reference's own
spread, on this machine. This script follows the reference code's training semantics as its
repository describes them (Riwei-HEU/AHNS main.py and modules/LightGCN.py with --context_hops 0,
i.e. MF), written independently here:

- pairs shuffled every epoch; only full batches of 2048 (the last partial batch is dropped);
- M candidates per pair drawn uniformly with replacement from the user's uninteracted items
  (rejection against the training set);
- RNS: the first candidate; DNS: highest score; AHNS: argmin |s_m - beta (s_+ + alpha)^(p+1)|;
- loss: mean log(1 + exp(s_- - s_+)) + 1e-4 (|e_u|^2 + |e_+|^2 + |e_-|^2) / 2 / batch;
- Xavier-uniform embeddings, dim 64, torch.optim.Adam(lr=1e-3) (dense update of every row);
- evaluation after epochs 0, 5, 10, ... (0-based: epoch 0 is after one epoch; ``--eval-every N``
  evaluates every N instead), full ranking of all
  items except the user's training items, Recall@20 and NDCG@20 over users with test items
  (`full_ranking_metrics` below: a plain numpy implementation, independent of ahns_tf's).

``--context-hops L`` (L > 0) trains the reference's LightGCN instead (its ``--context_hops L``,
`benchmarks.reference_lightgcn`): every step propagates the whole normalised graph L times
(torch.sparse.mm), rows are mean-pooled over layers 0..L, candidates are scored with the pooled
embeddings, the L2 term is on the batch's layer-0 rows, and evaluation ranks with the pooled
tables. Results go to ``<dataset>-reference-<ns>-lightgcn<L>-seeds.*``.

Cost as the reference's (for speed comparisons, `benchmarks.lightgcn_speed`):
``--sampling per-draw`` draws every candidate in a Python loop, one ``random.choice`` at a time
with rejection, as the reference's sampler does (``vectorised``, the default, draws the same
distribution with numpy); ``--evaluation per-user`` ranks each user in Python (set difference,
dict, ``heapq.nlargest``) as the reference's evaluation does (``numpy``, the default, is one
vectorised pass). Neither changes what is computed, only how long it takes.

The best evaluation by Recall@20 is the run's result, as in the reference code. Writes
``<output>/<dataset>-reference-<ns>-seeds.json`` and ``.md``; the .md quotes our own seed
study beside it (``<dataset>-<ns>-seeds.json``), and ``--report-only`` re-writes it from the
stored .json after that study was re-run.
"""

import argparse
import json
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
DATASETS = ("ml-1m", "phones", "sports", "tools")


def read_lines(path: str) -> dict:
    """``{user: set(items)}`` from a ``user item item ...`` file (users without items skipped)."""
    out = {}
    with open(path) as f:
        for line in f:
            tokens = line.split()
            if len(tokens) > 1:
                out.setdefault(int(tokens[0]), set()).update(map(int, tokens[1:]))
    return out


def full_ranking_metrics(user_emb, item_emb, train: dict, test: dict, k: int = 20):
    """Mean Recall@k and NDCG@k over test users, training items excluded (numpy brute force).

    Example: one user, items scored [3, 2, 1], train {0}, test {2} -> top-2 is [1, 2],
    recall 1.0, NDCG 1/log2(3) = 0.631.
    """
    users = sorted(test)
    recall = ndcg = 0.0
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    for start in range(0, len(users), 1024):
        batch = users[start:start + 1024]
        scores = user_emb[batch] @ item_emb.T
        for row, user in enumerate(batch):
            seen = list(train.get(user, ()))
            if seen:
                scores[row, seen] = -np.inf
        part = np.argpartition(-scores, k, axis=1)[:, :k]
        order = np.argsort(-np.take_along_axis(scores, part, 1), axis=1, kind="stable")
        top = np.take_along_axis(part, order, 1)
        for row, user in enumerate(batch):
            truth = test[user]
            hits = np.array([item in truth for item in top[row]], dtype=float)
            recall += hits.sum() / len(truth)
            ndcg += (hits * discounts).sum() / discounts[:min(len(truth), k)].sum()
    return recall / len(users), ndcg / len(users)


def per_user_ranking_metrics(user_emb, item_emb, train: dict, test: dict, k: int = 20):
    """`full_ranking_metrics` computed the reference's way: one user at a time in Python.

    The reference's evaluation (its repository's utils/evaluate.py, as described there) scores
    a batch of users, then for each user builds the set of all items minus the user's training
    items, a dict of their scores, and takes the top k with ``heapq.nlargest``; this re-writes
    that cost (in this process; the reference hands users to a one-worker pool on 2 cores).
    Same values as `full_ranking_metrics` (up to tied scores).

    Example: one user, items scored [3, 2, 1], train {0}, test {2} -> recall 1.0, NDCG 0.631.
    """
    import heapq  # pylint: disable=import-outside-toplevel
    users = sorted(test)
    recall = ndcg = 0.0
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    for start in range(0, len(users), 2048):
        batch = users[start:start + 2048]
        scores = user_emb[batch] @ item_emb.T                               # [batch, items]
        for row, user in enumerate(batch):
            rating = scores[row]
            candidates = set(range(item_emb.shape[0])) - train.get(user, set())
            score_of = {item: rating[item] for item in candidates}
            top = heapq.nlargest(k, score_of, key=score_of.get)
            truth = test[user]
            hits = np.array([item in truth for item in top], dtype=float)
            recall += hits.sum() / len(truth)
            ndcg += (hits * discounts[:len(hits)]).sum() / discounts[:min(len(truth), k)].sum()
    return recall / len(users), ndcg / len(users)


class ReferenceLoop:
    """One seed of the reference's training loop (MF, or LightGCN with ``context_hops`` > 0).

    Args:
        args: the parsed flags (ns, alpha, beta, p, n_negs, batch_size, dim, lr, l2, threads,
            context_hops, sampling, evaluation).
        seed: seeds torch (initialisation), the epoch shuffles and the negative sampling.
        train: ``{user: set(items)}`` training interactions (the graph, and what is excluded).
        test: ``{user: set(items)}`` held-out interactions.

    Example:

    ```python
    loop = ReferenceLoop(args, 2022, train, test)
    seconds = loop.train_epoch()              # one epoch, full batches only
    recall, ndcg, seconds = loop.evaluate()   # all test users
    ```
    """

    def __init__(self, args, seed: int, train: dict, test: dict):
        import random  # pylint: disable=import-outside-toplevel
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
        self.user_emb = torch.nn.Parameter(
            torch.nn.init.xavier_uniform_(torch.empty(self.num_users, args.dim)))
        self.item_emb = torch.nn.Parameter(
            torch.nn.init.xavier_uniform_(torch.empty(self.num_items, args.dim)))
        self.optimizer = torch.optim.Adam([self.user_emb, self.item_emb], lr=args.lr)
        self.adjacency = None
        if args.context_hops:
            from benchmarks.reference_lightgcn import normalized_adjacency  # pylint: disable=import-outside-toplevel
            self.adjacency = normalized_adjacency(self.pairs[:, 0], self.pairs[:, 1],
                                                  self.num_users, self.num_items)

    def candidates(self, users):
        """[B, M] items drawn uniformly among each user's uninteracted items (`--sampling`)."""
        if self.args.sampling == "per-draw":  # the reference's Python loop, one draw at a time
            out = []
            for user in users.tolist():
                seen, row = self.train[user], []
                for _ in range(self.num_candidates):
                    while True:
                        item = self.python_rng.choice(range(self.num_items))
                        if item not in seen:
                            break
                    row.append(item)
                out.append(row)
            return np.array(out, dtype=np.int64)
        users = np.repeat(users[:, None], self.num_candidates, 1)
        items = self.sample_rng.integers(0, self.num_items, size=users.shape)
        bad = self.interacted(users, items)
        while bad.any():
            items[bad] = self.sample_rng.integers(0, self.num_items, size=int(bad.sum()))
            bad = self.interacted(users, items)
        return items

    def interacted(self, users, items):
        query = users * self.num_items + items
        where = np.minimum(np.searchsorted(self.keys, query), len(self.keys) - 1)
        return self.keys[where] == query

    def tables(self):
        """``(user_layers [U, L+1, D], item_layers [I, L+1, D])`` or, for MF, the ego tables."""
        if not self.args.context_hops:
            return self.user_emb, self.item_emb
        from benchmarks.reference_lightgcn import propagate  # pylint: disable=import-outside-toplevel
        return propagate(self.adjacency, self.user_emb, self.item_emb, self.args.context_hops)

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
            if graph:  # L2 on the layer-0 (ego) rows of the batch, as the reference does
                ego_user, ego_pos, ego_neg = self.user_emb[users], self.item_emb[pos], \
                    self.item_emb[neg]
            else:
                ego_user, ego_pos, ego_neg = e_user, e_pos, e_neg
            margin = (e_user * e_neg).sum(-1) - (e_user * e_pos).sum(-1)
            loss = torch.log(1 + torch.exp(margin)).mean() + args.l2 * (
                ego_user.norm() ** 2 + ego_pos.norm() ** 2 + ego_neg.norm() ** 2) / 2 / batch
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
        return time.time() - start_time

    def evaluate(self):
        """``(recall@20, ndcg@20, seconds)`` over all test users (`--evaluation`), with the
        propagated (mean-pooled) embeddings for LightGCN."""
        start = time.time()
        with self.torch.no_grad():
            user_table, item_table = self.tables()
            if self.args.context_hops:
                user_table, item_table = user_table.mean(1), item_table.mean(1)
            user_table, item_table = user_table.numpy(), item_table.numpy()
        metrics = (per_user_ranking_metrics if self.args.evaluation == "per-user"
                   else full_ranking_metrics)
        recall, ndcg = metrics(user_table, item_table, self.train, self.test)
        return recall, ndcg, time.time() - start


def run_seed(args, seed: int, train: dict, test: dict) -> dict:
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


def markdown(payload: dict) -> str:
    """The report of a seed study (`main`'s payload): settings, per-seed tables and, for MF,
    our own seed study's mean beside it."""
    from ahns_tf.provenance import describe, payload_origin  # pylint: disable=import-outside-toplevel
    from benchmarks.seeds import seed_tables  # pylint: disable=import-outside-toplevel
    hops = payload["settings"].get("context_hops", 0)
    backbone = f" (LightGCN, {hops} hops)" if hops else ""
    lines = [f"# Seed spread of the reference's training loop (PyTorch): {payload['ns']}{backbone} "
             f"on {payload['dataset']}", "", f"Produced by {payload_origin(payload)}"
             + (f"; this report re-rendered by {describe(payload['rendered_by'])}"
                if payload.get("rendered_by") else ""), "",
             "What this is: benchmarks/reference_torch.py, the reference code's "
             f"{'LightGCN' if hops else 'MF'} training semantics re-written in PyTorch "
             f"(see its docstring), evaluated with a plain numpy full ranking every "
             f"{payload['settings'].get('eval_every', 5)} epochs (the reference: 5). "
             "Epochs are the reference's 0-based ones (epoch 0 = after one epoch); "
             "best evaluation by Recall@20, as the reference does. Values in %.", ""]
    lines += seed_tables(payload["runs"], payload["summary"])
    ours = payload.get("ours")
    if ours:
        lines += ["", f"Ours (ahns_tf, {ours['file']}): " + ", ".join(
            f"{m} {ours[m]['mean']:.2f} ± {ours[m]['std']:.2f}" for m in ("recall@20", "ndcg@20"))
            + f" over {ours['seeds']} seeds"
            + (f", made by {describe(ours['provenance'])}." if ours.get("provenance") else ".")]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default="tools", choices=DATASETS)
    parser.add_argument("--ns", default="ahns", choices=["rns", "dns", "ahns"])
    parser.add_argument("--alpha", type=float, default=1.0)
    parser.add_argument("--beta", type=float, default=0.1)
    parser.add_argument("--p", type=int, default=-2)
    parser.add_argument("--n-negs", type=int, default=32)
    parser.add_argument("--seeds", type=int, nargs="+", default=[2022, 1, 2, 3])
    parser.add_argument("--epochs", type=int, default=36)
    parser.add_argument("--eval-every", type=int, default=5,
                        help="evaluate after 0-based epochs 0, N, 2N, ... (the reference: 5); "
                             "evaluating draws no random numbers, so N never changes training")
    parser.add_argument("--batch-size", type=int, default=2048)
    parser.add_argument("--dim", type=int, default=64)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--l2", type=float, default=1e-4)
    parser.add_argument("--threads", type=int, default=1,
                        help="PyTorch CPU threads; above 1 a run is not bit-reproducible (its "
                             "multi-threaded kernels sum in varying order: on tools, two runs of "
                             "one seed differ by 3e-8 after 2 epochs and drift apart by up to a "
                             "seed's spread over 30 epochs; measured for tools-eval-points.md, "
                             "see the README)")
    parser.add_argument("--context-hops", type=int, default=0,
                        help="L: 0 = MF (the default); L > 0 = the reference's LightGCN")
    parser.add_argument("--sampling", default="vectorised", choices=["vectorised", "per-draw"],
                        help="per-draw: the reference's Python loop (its cost); vectorised: "
                             "numpy rejection sampling, same distribution")
    parser.add_argument("--evaluation", default="numpy", choices=["numpy", "per-user"],
                        help="per-user: the reference's Python loop over users (its cost)")
    parser.add_argument("--data-dir", default=os.environ.get("AHNS_DATA_DIR"))
    parser.add_argument("--output", default=os.path.join(HERE, "results"))
    parser.add_argument("--report-only", action="store_true",
                        help="trains nothing: re-writes the .md, and the .json's quote of our "
                             "seed study, from the stored .json of --dataset/--ns/--context-hops "
                             "in --output (e.g. after that study was re-run); other flags are "
                             "ignored, and the report names this command beside the original")
    args = parser.parse_args(argv)
    if args.eval_every < 1:
        parser.error(f"--eval-every must be at least 1, got {args.eval_every}")
    sys.path.insert(0, os.path.dirname(HERE))
    if args.report_only:
        from ahns_tf.provenance import provenance  # pylint: disable=import-outside-toplevel
        path = results_path(args.output, args.dataset, args.ns, args.context_hops)
        if not os.path.exists(path):
            parser.error(f"--report-only: {path} does not exist; run without it first")
        with open(path) as f:
            payload = json.load(f)
        payload["rendered_by"] = provenance(argv)
        write_report(args.output, payload)
        return 0
    if not args.data_dir:
        parser.error("pass --data-dir (the folder holding <dataset>/train.txt) or set AHNS_DATA_DIR")
    try:
        import torch  # noqa: F401  pylint: disable=import-outside-toplevel,unused-import
    except ImportError:
        parser.error("needs PyTorch, which is not a project dependency: "
                     "pip install torch --index-url https://download.pytorch.org/whl/cpu")
    folder = os.path.join(args.data_dir, args.dataset)
    train, test = (read_lines(os.path.join(folder, name)) for name in ("train.txt", "test.txt"))
    runs = {str(seed): run_seed(args, seed, train, test) for seed in args.seeds}
    from ahns_tf.paper import TABLE2  # pylint: disable=import-outside-toplevel
    from ahns_tf.provenance import provenance  # pylint: disable=import-outside-toplevel
    from benchmarks.seeds import PAPER_ROW, summarise  # pylint: disable=import-outside-toplevel
    summary = summarise(runs, TABLE2.get(args.dataset, {}).get(PAPER_ROW[args.ns]))
    payload = {"provenance": provenance(argv), "dataset": args.dataset, "ns": args.ns,
        "settings": {k: v for k, v in vars(args).items()
                     if k not in ("data_dir", "output", "report_only")},
        "runs": runs, "summary": summary}
    write_report(args.output, payload)
    return 0


def results_path(output: str, dataset: str, ns: str, context_hops: int) -> str:
    """``<output>/<dataset>-reference-<ns>[-lightgcn<L>]-seeds.json``."""
    graph = f"-lightgcn{context_hops}" if context_hops else ""
    return os.path.join(output, f"{dataset}-reference-{ns}{graph}-seeds.json")


def write_report(output: str, payload: dict) -> None:
    """Writes the payload's .json and .md, quoting our own seed study's current summary (MF).

    Our study (``<dataset>-<ns>-seeds.json`` beside it) may be re-run after the reference's,
    so ``--report-only`` calls this again on the stored payload.
    """
    from ahns_tf.atomic import write_results  # pylint: disable=import-outside-toplevel
    settings = payload["settings"]
    ours_path = os.path.join(output, f"{payload['dataset']}-{payload['ns']}-seeds.json")
    payload.pop("ours", None)
    if os.path.exists(ours_path) and not settings.get("context_hops"):  # our study is MF
        with open(ours_path) as f:
            ours = json.load(f)
        payload["ours"] = {"file": os.path.basename(ours_path), "seeds": len(ours["runs"]),
                           "provenance": ours.get("provenance"),
                           **{m: ours["summary"][m] for m in ("recall@20", "ndcg@20")}}
    os.makedirs(output, exist_ok=True)
    path = results_path(output, payload["dataset"], payload["ns"], settings.get("context_hops", 0))
    print(write_results(path[:-5], payload, markdown(payload)))


if __name__ == "__main__":
    sys.exit(main())
