"""Training: one run (`run`), built from its parts (`build`, `inputs`, `strategy`), and
the protocols on top of it (`protocol`: `train`, ``--refit``).

Example:

```python
from ahns_tf.config import TrainConfig
from ahns_tf.training import train
result = train(TrainConfig(dataset="tools", data_dir="../shared/data/ahns", epochs=10))
result["test"]["recall@20"]
```
"""

from ahns_tf._keras_setup import use_legacy_keras

use_legacy_keras()

# pylint: disable=wrong-import-position
from ahns_tf.export import export_run  # noqa: E402
from ahns_tf.training.build import build_evaluators, build_model  # noqa: E402
from ahns_tf.training.inputs import distributed_pairs, load_for  # noqa: E402
from ahns_tf.training.protocol import phase_dirs, train, train_with_refit  # noqa: E402
from ahns_tf.training.result import save_embeddings, summary  # noqa: E402
from ahns_tf.training.run import run_once  # noqa: E402
