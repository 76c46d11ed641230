"""ahns-tf: Adaptive Hardness Negative Sampling (Lai et al., AAAI 2024) in TF/Keras.

Importing this package selects Keras 2 (tf-keras) for ``tf.keras``, which
TensorFlow Recommenders requires, without importing TensorFlow: the
configuration, data reading and results need none. Import it before anything
else touches ``tf.keras``.

Example:

```python
import ahns_tf
from ahns_tf.data import load_dataset
data = load_dataset("tools", data_dir="../shared/data/ahns")
```
"""

from ahns_tf._keras_setup import select_legacy_keras as _select_legacy_keras

_select_legacy_keras()

__version__ = "0.1.0"
