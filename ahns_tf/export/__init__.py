"""SavedModel export for TF Serving: serving module, signatures, versioning."""

from ahns_tf.export.saved_model import (atomic_write_text, existing_versions,
                                        export_retrieval_model, write_model_config)
from ahns_tf.export.serving import RetrievalServingModule
