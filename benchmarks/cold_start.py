r"""Cold start on MovieLens 100K: new items (and new users) ranked from their features alone.

    python -m benchmarks.cold_start --data ../shared/data/ml-100k --seeds 0 1 2

For each seed, a seeded 20% of items is new: all their interactions leave the warm log, and warm
users' interactions with them are the test. The runs train on the warm log (``--split random``,
best epoch chosen on its validation part, evaluated after every epoch, lr 0.005, batch 1024,
dim 64); then the new items are embedded as ``pipelines.export --item-features`` embeds them
(`embed_new_rows`) and ranked among the new items and in the whole catalogue (each user's warm
items excluded). Methods: random; the content baseline (cosine of the user's genre profile, from
its interactions in the runs' training part, with the item's genres); MF + AHNS (new rows
untrained: drawn from MF's initialiser); towers + RNS; towers + AHNS. AHNS's alpha, beta and M
are tuned for each backbone, seed and scenario with ``tuning.search`` (random, on the warm log's
validation part). The warm columns are each run's own test part of warm items. The same for new
users (20% of users held out; the towers also read the user features; the content baseline is
popularity among warm users of the same gender and occupation, counted on the training part).
Writes ``cold-start.{json,md}``, after each seed.
"""

import json
import os

import numpy as np

from ahns_tf.config import TrainConfig
from ahns_tf.provenance import code_fingerprint, command_line, provenance
from benchmarks import cold_data, cold_report, lab, report

METHODS = {"items": ("random", "content", "mf_ahns", "towers_rns", "towers_ahns"),
           "users": ("random", "popularity", "content", "mf_ahns", "towers_rns", "towers_ahns")}

TRAINED = {"mf_ahns": ("mf", "ahns"), "towers_rns": ("towers", "rns"),
           "towers_ahns": ("towers", "ahns")}


def settings(args, log: str, features: dict, seed: int) -> dict:
    """The training flags every run (and tuning trial) starts from."""
    return dict(data_file=log, split="random", select_on="valid", epochs=args.epochs,
                eval_every=1, lr=args.lr, batch_size=1024, dim=64, ks=[20],
                select_metric="recall@20", seed=seed, **features)


def tune(args, work: str, log: str, features: dict, backbone: str, seed: int) -> dict:
    """AHNS's alpha, beta and M for `backbone`: ``tuning.search`` on this warm log's
    validation split (so no held-out item or user of this seed is seen)."""
    from tuning.search import main as search  # pylint: disable=import-outside-toplevel
    base = os.path.join(work, f"tune-{backbone}.json")
    with open(base, "w") as f:
        json.dump({k: v for k, v in settings(args, log, features, seed).items()
                   if k not in ("epochs", "seed", "ks", "select_metric", "batch_size")}, f)
    directory = os.path.join(work, "tuning")
    code = search(["--dataset", backbone, "--config", base, "--backbone", backbone, "--tuner",
                   "random", "--max-trials", str(args.trials), "--epochs-per-trial",
                   str(args.epochs), "--eval-every", "1", "--ks", "20", "--objective",
                   "recall@20", "--batch-size", "1024", "--seed", str(seed),
                   "--directory", directory])
    if code:
        raise SystemExit(f"tuning.search failed for {backbone} in {work} (exit {code})")
    with open(os.path.join(directory, backbone, "best.json")) as f:
        best = json.load(f)
    return {k: best["hyperparameters"][k] for k in ("alpha", "beta", "num_candidates")}


def train(args, work: str, name: str, log: str, features: dict, seed: int, tuned: dict):
    """Trains one method on the warm log; returns ``(metrics.json content, run folder)``."""
    backbone, sampler = TRAINED[name]
    out = os.path.join(work, name)
    config = TrainConfig(**dict(settings(args, log, features if backbone == "towers" else {},
                                         seed), ks=(20,), dataset="ml100k-cold", backbone=backbone,
                                sampler=sampler, output_dir=out,
                                **(tuned[backbone] if sampler == "ahns" else {})))
    return lab.train_current(config, code_fingerprint(), export=False, verbose=0,
                             command=command_line(args.argv)), out


def new_rows(name: str, run_dir: str, side: str, ids: list, path: str, rows: int, seed: int):
    """Embeddings of `ids` (new `side`s): from their features through the trained tower, or,
    for MF, rows drawn from its Glorot-uniform initialiser over `rows` rows (untrained)."""
    dim = 64
    if name == "mf_ahns":
        limit = np.sqrt(6.0 / (rows + dim))
        return np.random.default_rng(seed).uniform(-limit, limit, (len(ids), dim))
    from ahns_tf.data.features import encode_features, load_specs, read_feature_file  # noqa
    from ahns_tf.models.towers import embed_new_rows  # pylint: disable=import-outside-toplevel
    spec = load_specs(run_dir)[side]
    matrix = encode_features(spec, read_feature_file(path, spec.key, f"--{side}-features"), ids)
    return embed_new_rows(dict(np.load(os.path.join(run_dir, "backbone.npz"))), side, matrix)


def one_seed(args, scenario: str, seed: int, log_table, items, users) -> dict:
    """Every method's metrics for one seed of `scenario` (``"items"`` or ``"users"``), and the
    tuned AHNS settings: ``{"tuned": {backbone: {...}}, "methods": {method: {column: ...}}}``."""
    from ahns_tf.data.vocabulary import Vocabulary  # pylint: disable=import-outside-toplevel
    side = scenario[:-1]
    warm, test, new = cold_data.split_new(log_table, side, 0.2, seed)
    work = os.path.join(args.work_dir, f"{scenario}-{seed}")
    os.makedirs(work, exist_ok=True)
    log = os.path.join(work, "warm.csv")
    cold_data.pv.write_csv(warm, log)
    features = {"item_features": args.items_file}
    if scenario == "users":
        features["user_features"] = args.users_file
    pairs = (warm.column("user_id").to_pylist(), warm.column("item_id").to_pylist())
    tuned = {b: tune(args, work, log, features if b == "towers" else {}, b, seed)
             for b in ("mf", "towers")}
    rng = np.random.default_rng(seed)
    out, train_pairs = {}, None
    for name in sorted(METHODS[scenario], key=lambda n: n not in TRAINED):  # trained first
        result, run_dir = (train(args, work, name, log, features, seed, tuned)
                           if name in TRAINED else (None, None))
        if train_pairs is None:  # what the runs train on: the baselines see no more
            split = cold_data.pq.read_table(os.path.join(run_dir, "split.parquet"))
            split = split.filter(cold_data.pc.equal(split.column("part"), "train"))
            train_pairs = (split.column("user_id").to_pylist(),
                           split.column("item_id").to_pylist())
            vocab = Vocabulary.load(run_dir)
        emb = np.load(os.path.join(run_dir, "embeddings.npz")) if run_dir else None
        if scenario == "items":
            out[name] = _items(args, name, run_dir, vocab, emb, test, new, pairs, train_pairs,
                               items, rng, seed)
        else:
            out[name] = _users(args, name, run_dir, vocab, emb, test, train_pairs, users, rng,
                               seed)
        if result:
            out[name]["warm"] = {m: 100 * result["test"][m] for m in ("recall@20", "ndcg@20")}
    return {"tuned": tuned, "methods": {name: out[name] for name in METHODS[scenario]}}


def _items(args, name, run_dir, vocab, emb, test, new, pairs, train_pairs, items, rng,
           seed) -> dict:
    catalogue = list(vocab.items) + list(new)                       # warm rows, then the new
    column = {item: c for c, item in enumerate(catalogue)}
    row_of = {u: r for r, u in enumerate(vocab.users)}
    users = [u for u in sorted(test) if u in row_of]
    known, history = {}, {}                  # all warm items (excluded); the training part's
    for user, item in zip(*pairs):
        known.setdefault(user, set()).add(column[item])
    for user, item in zip(*train_pairs):
        history.setdefault(user, set()).add(column[item])
    warm = len(vocab.items)
    if name in TRAINED:
        table = np.concatenate([emb["item_embeddings"], new_rows(
            name, run_dir, "item", new, args.items_file, len(catalogue), seed)])
        scores = emb["user_embeddings"][[row_of[u] for u in users]] @ table.T
    elif name == "content":
        vectors = cold_data.genre_vectors(items, catalogue)
        scores = cold_data.genre_profile_scores([history.get(u, ()) for u in users], vectors,
                                                np.arange(len(catalogue)), rng)
    else:
        scores = rng.random((len(users), len(catalogue)))
    positives = [[column[i] for i in test[u]] for u in users]
    return {"new": cold_data.ranking_metrics(scores[:, warm:], [[c - warm for c in p]
                                                                for p in positives],
                                             [[] for _ in users]),
            "whole": cold_data.ranking_metrics(scores, positives, [known[u] for u in users])}


def _users(args, name, run_dir, vocab, emb, test, pairs, users_table, rng, seed) -> dict:
    column = {item: c for c, item in enumerate(vocab.items)}
    users = sorted(test)
    if name in TRAINED:
        table = new_rows(name, run_dir, "user", users, args.users_file,
                         len(vocab.users) + len(users), seed)
        scores = table @ emb["item_embeddings"].T
    elif name == "content":
        scores = cold_data.demographic_scores(users, users_table, pairs, list(vocab.items), rng)
    elif name == "popularity":
        counts = np.bincount([column[i] for i in pairs[1]], minlength=len(vocab.items))
        scores = cold_data.popularity_scores(counts, len(users), rng)
    else:
        scores = rng.random((len(users), len(vocab.items)))
    positives = [[column[i] for i in test[u]] for u in users]
    return {"whole": cold_data.ranking_metrics(scores, positives, [[] for _ in users])}


def main(argv=None) -> int:
    parser = report.parser(__doc__, "benchmarks.cold_start")
    parser.add_argument("--data", default="../shared/data/ml-100k",
                        help="the folder of ratings.csv, items.csv and users.csv")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--lr", type=float, default=0.005)
    parser.add_argument("--trials", type=int, default=6,
                        help="tuning trials per backbone, scenario and seed")
    parser.add_argument("--scenarios", nargs="+", default=["items", "users"])
    parser.add_argument("--work-dir", default="runs/cold-start")
    args = parser.parse_args(argv)
    args.argv = argv
    stem = os.path.join(args.output, "cold-start")
    if args.report_only:
        return report.rerender(stem, cold_report.markdown, argv=argv)
    args.items_file = os.path.join(args.data, "items.csv")
    args.users_file = os.path.join(args.data, "users.csv")
    log = cold_data.read_ratings(os.path.join(args.data, "ratings.csv"))
    items, users = (cold_data.pv.read_csv(f) for f in (args.items_file, args.users_file))
    runs = {}
    for scenario in args.scenarios:
        runs[scenario] = {}
        for seed in args.seeds:  # published after each seed: a stopped run shows what it has
            runs[scenario][str(seed)] = one_seed(args, scenario, seed, log, items, users)
            payload = _payload(args, argv, runs)
            report.publish(stem, payload, cold_report.markdown, echo=False)
    print(cold_report.markdown(payload, stem), end="")
    return 0


def _payload(args, argv, runs: dict) -> dict:
    methods = {s: {seed: r["methods"] for seed, r in by_seed.items()} for s, by_seed in runs.items()}
    summary = {s: cold_report.summarise(r) for s, r in methods.items()}
    return {"provenance": provenance(argv), "machine": report.machine(), "seeds": args.seeds,
            "description": " ".join(__doc__.split("\n\n", 2)[2].split()),
            "epochs": args.epochs, "lr": args.lr, "trials": args.trials,
            "tuned": {s: {seed: r["tuned"] for seed, r in by_seed.items()}
                      for s, by_seed in runs.items()},
            "runs": methods, "summary": summary,
            "checks": (cold_report.checks(methods["items"], summary["items"])
                       if "items" in methods else [])}


if __name__ == "__main__":
    raise SystemExit(main())
