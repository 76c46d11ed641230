"""TensorFlow Datasets builder for the paper's four benchmark datasets.

Registers ``ahns_interactions/<name>`` (``ml-1m``, ``phones``, ``sports``, ``tools``) with
`tfds`, reading the same files as `ahns_tf.data.load_dataset`: from the manual directory
when it holds ``<name>/train.txt`` and ``test.txt`` (offline), else downloaded from the paper's
repository; either way checked against the published SHA-256. Examples are
``{"user_id": int64, "item_id": int64}`` pairs; splits are ``train`` and ``test``.

Example:

```python
import numpy as np
import tensorflow_datasets as tfds
from ahns_tf.data import tfds_builder  # registers the builder
ds = tfds.load("ahns_interactions/tools", split="train",
               download_and_prepare_kwargs={"download_config": tfds.download.DownloadConfig(
                   manual_dir="../shared/data/ahns")})
```
"""

import numpy as np
import tensorflow_datasets as tfds

from ahns_tf.data import paper_files, read_text


class AhnsInteractions(tfds.core.GeneratorBasedBuilder):
    """(user, item) interactions of the AHNS paper's datasets, in the reference split."""

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "The reference repository's train/test split."}
    BUILDER_CONFIGS = [tfds.core.BuilderConfig(name=name, description=f"AHNS benchmark {name}")
                       for name in paper_files.BENCHMARKS]
    MANUAL_DOWNLOAD_INSTRUCTIONS = (
        "Optional: put <name>/train.txt and <name>/test.txt (e.g. ../shared/data/ahns) in the "
        "manual directory to build offline; otherwise they are downloaded from "
        "github.com/Riwei-HEU/AHNS and checksum-verified.")

    def _info(self) -> tfds.core.DatasetInfo:
        return self.dataset_info_from_configs(
            features=tfds.features.FeaturesDict({"user_id": tfds.features.Scalar(dtype=np.int64),
                                                 "item_id": tfds.features.Scalar(dtype=np.int64)}),
            supervised_keys=("user_id", "item_id"),
            homepage="https://github.com/Riwei-HEU/AHNS",
            citation="Lai et al., Adaptive Hardness Negative Sampling for Collaborative "
                     "Filtering, AAAI 2024.")

    def _split_generators(self, dl_manager):
        manual = None
        try:
            manual = str(dl_manager.manual_dir)
        except AssertionError:  # no manual_dir configured
            manual = None
        paths = paper_files.locate(self.builder_config.name, manual or
                               str(dl_manager.download_dir / "ahns"))
        return {split: self._generate_examples(paths[split]) for split in ("train", "test")}

    def _generate_examples(self, path):
        pairs = read_text.read_interactions(path)
        for index, (user, item) in enumerate(zip(pairs.users.tolist(), pairs.items.tolist())):
            yield index, {"user_id": user, "item_id": item}
