"""SavedModel export for TF Serving: serving module, signatures, versioning."""

from ahns_tf.atomic import atomic_file, atomic_savez, atomic_write_text
from ahns_tf.export.saved_model import (existing_versions, export_retrieval_model,
                                        write_model_config)
from ahns_tf.export.serving import RetrievalServingModule
