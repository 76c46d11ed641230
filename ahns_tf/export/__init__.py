"""SavedModel export for TF Serving: serving module, signatures, versioning."""

from ahns_tf._keras_setup import use_legacy_keras

use_legacy_keras()

# pylint: disable=wrong-import-position
from ahns_tf.export.from_run import export_run  # noqa: E402
from ahns_tf.export.saved_model import (existing_versions, export_retrieval_model,  # noqa: E402
                                        write_model_config)
from ahns_tf.export.serving import RetrievalServingModule  # noqa: E402
