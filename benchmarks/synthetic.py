r"""Synthetic interaction logs at any scale, with structure a model can learn (`generate`).

    python -m benchmarks.synthetic --users 1000000 --items 1000000 --interactions 50000000 \
        --seed 0 --output data/synth-1m

writes ``data/synth-1m/{train,test}.txt`` (``user item item ...``), with bounded memory.
"""

import argparse
import os

import numpy as np

from ahns_tf.atomic import atomic_file


def _sample_within(rng, keys: np.ndarray, starts: np.ndarray, sizes: np.ndarray,
                   groups: np.ndarray) -> np.ndarray:
    """One position per draw in its group's slice, by popularity: `keys` holds ``group + cdf in
    the group`` of the items sorted by group, so one `np.searchsorted` of ``group + u`` finds,
    for every draw at once, the first item of its group whose cdf reaches ``u``."""
    u = rng.random(groups.shape[0])                                    # [n]
    pos = np.searchsorted(keys, groups + u, side="left")
    lo = starts[groups]
    return np.clip(pos, lo, lo + sizes[groups] - 1)


def generate(num_users: int, num_items: int, num_interactions: int, seed: int = 0,
             topics: int = 64, topics_per_user: int = 3, zipf: float = 0.8,
             noise: float = 0.1, test_ratio: float = 0.2, chunk_users: int = 100_000):
    """Yields ``(user_ids [c], train [c] item arrays, test [c] item arrays)`` chunks of a log.

    Each item belongs to one of `topics` groups and weighs ``rank ** -zipf`` (a power law over a
    random ranking); each user likes `topics_per_user` of them (Dirichlet weights) and draws a
    log-normal number of interactions (scaled to `num_interactions`, at least 2; duplicates are
    dropped): a liked topic, then one of its items, or with probability `noise` any item. Items
    of a user's topics are the hard negatives. Per user, `test_ratio` of the distinct items go
    to test (at least one stays in train). One numpy generator (`seed`) draws everything,
    `chunk_users` users at a time, so memory stays bounded at any size.

    >>> users, train, test = next(generate(100, 50, 1000, seed=1))
    >>> len(users), len(train), len(test)
    (100, 100, 100)
    """
    for name, value in (("users", num_users), ("items", num_items),
                        ("interactions", num_interactions), ("topics", topics)):
        if int(value) < 1:
            raise ValueError(f"--{name} must be >= 1, got {value!r}")
    if num_interactions < 2 * num_users:
        raise ValueError(f"--interactions must be at least 2 per user ({2 * num_users}), got "
                         f"{num_interactions}")
    if not 0 < test_ratio < 1 or not 0 <= noise <= 1:
        raise ValueError("test_ratio must be in (0, 1) and noise in [0, 1]")
    rng = np.random.default_rng(seed)
    topics = min(topics, num_items)
    weight = (rng.permutation(num_items) + 1.0) ** -zipf               # [I] by a random rank
    topic_of = rng.integers(0, topics, num_items)                      # [I]
    order = np.lexsort((rng.random(num_items), topic_of))              # items grouped by topic
    sizes = np.bincount(topic_of, minlength=topics)                    # [T]
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])              # [T]
    g = topic_of[order]                                                # [I] sorted by topic
    group_total = np.bincount(topic_of, weights=weight, minlength=topics)
    offset = np.concatenate([[0.0], np.cumsum(group_total)[:-1]])
    keys = (np.cumsum(weight[order]) - offset[g]) / group_total[g] + g  # group + cdf in group
    nonempty = np.flatnonzero(sizes)                                   # topics with items
    topics_per_user = min(topics_per_user, nonempty.size)
    global_cdf = np.cumsum(weight) / weight.sum()                      # [I]
    degree = rng.lognormal(0.0, 1.0, num_users)
    degree = np.maximum(2, np.round(degree / degree.sum() * num_interactions)).astype(np.int64)

    for first in range(0, num_users, chunk_users):
        users = np.arange(first, min(first + chunk_users, num_users))
        d = degree[users]
        liked = nonempty[np.argsort(rng.random((users.size, nonempty.size)), axis=1)
                         [:, :topics_per_user]]                          # [c, k] topic ids
        share = rng.dirichlet(np.full(topics_per_user, 0.5), users.size)  # [c, k]
        owner = np.repeat(np.arange(users.size), d)                       # [n] row in chunk
        pick = (rng.random(owner.size)[:, None] > np.cumsum(share, 1)[owner]).sum(1)
        topic = liked[owner, np.minimum(pick, topics_per_user - 1)]       # [n]
        items = order[_sample_within(rng, keys, starts, sizes, topic)]
        wild = rng.random(owner.size) < noise
        items[wild] = np.minimum(np.searchsorted(global_cdf, rng.random(int(wild.sum()))),
                                 num_items - 1)
        pairs = np.unique(owner * np.int64(num_items) + items)            # dedupe, sorted
        owner, items = pairs // num_items, pairs % num_items
        bounds = np.searchsorted(owner, np.arange(users.size + 1))        # [c + 1]
        count = np.diff(bounds)                                           # distinct items per user
        held = np.minimum(np.round(test_ratio * count), count - 1).astype(np.int64)
        shuffled = np.lexsort((rng.random(owner.size), owner))           # random order per user
        rank = np.arange(owner.size) - bounds[owner[shuffled]]
        to_test = np.zeros(owner.size, bool)
        to_test[shuffled[rank < held[owner[shuffled]]]] = True
        train = np.split(items[~to_test], np.cumsum(count - held)[:-1])   # items sorted per user
        test = np.split(items[to_test], np.cumsum(held)[:-1])
        yield users, train, test


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.synthetic", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    for name in ("users", "items", "interactions"):
        parser.add_argument(f"--{name}", type=int, required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--topics", type=int, default=64)
    parser.add_argument("--zipf", type=float, default=0.8)
    parser.add_argument("--output", required=True, help="folder DIR/NAME for train.txt, test.txt")
    args = parser.parse_args(argv)
    counts = {"users": 0, "train": 0, "test": 0}
    try:    # each file written atomically, chunk by chunk
        with atomic_file(os.path.join(args.output, "train.txt")) as train_f, \
                atomic_file(os.path.join(args.output, "test.txt")) as test_f:
            for users, train, test in generate(args.users, args.items, args.interactions,
                                               args.seed, topics=args.topics, zipf=args.zipf):
                counts["users"] += users.size
                for out, lists, key in ((train_f, train, "train"), (test_f, test, "test")):
                    counts[key] += sum(row.size for row in lists)
                    out.write("\n".join(f"{u} " + " ".join(map(str, row.tolist())) for u, row
                                        in zip(users.tolist(), lists) if row.size) + "\n")
    except ValueError as error:
        parser.error(str(error))
    print(f"wrote {args.output}/train.txt ({counts['train']} interactions) and test.txt "
          f"({counts['test']}) for {counts['users']} users")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
