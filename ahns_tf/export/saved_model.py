"""Versioned, atomic SavedModel exports in the layout TF Serving polls."""

import os
import re
import shutil

from google.protobuf import text_encoding
import tensorflow as tf

from ahns_tf.atomic import atomic_write_text, fsync_dir, make_readable_dir
from ahns_tf.export.serving import RetrievalServingModule
from ahns_tf.runs.errors import UnwritableDirError

_VERSION = re.compile(r"^\d+$")


def existing_versions(export_dir: str) -> list:
    """Numeric version folders under `export_dir`, ascending."""
    if not os.path.isdir(export_dir):
        return []
    return sorted(int(n) for n in os.listdir(export_dir)
                  if _VERSION.match(n) and os.path.isdir(os.path.join(export_dir, n)))


def write_model_config(models_root: str) -> str:
    """Writes ``models_root/models.config`` (TF Serving's model_config_list).

    Lists every model folder under `models_root` that holds at least one
    numeric version; `base_path` is the container path ``/models/<name>``, as
    in the README's ``docker run`` command. Names are escaped as protobuf's
    text format wants (`text_encoding.CEscape`), so an odd folder name (a
    quote) cannot make TF Serving reject the whole file. Written atomically.

    Returns:
        The path of the config file.
    """
    names = sorted(n for n in os.listdir(models_root)
                   if existing_versions(os.path.join(models_root, n)))
    quoted = lambda text: "'" + text_encoding.CEscape(text, as_utf8=True) + "'"  # noqa: E731
    entries = "".join(
        "  config {\n"
        f"    name: {quoted(name)}\n"
        f"    base_path: {quoted('/models/' + name)}\n"
        "    model_platform: 'tensorflow'\n"
        "  }\n" for name in names)
    path = os.path.join(models_root, "models.config")
    atomic_write_text(path, "model_config_list {\n" + entries + "}\n")
    return path


def export_retrieval_model(module: RetrievalServingModule, export_dir: str,
                           version=None, update_config: bool = True) -> str:
    """Saves `module` as ``export_dir/<version>/``, atomically.

    The SavedModel is written to a hidden temporary folder inside `export_dir`
    (TF Serving ignores non-numeric names) and renamed to its version number
    only when complete, so a server polling `export_dir` never sees a partial
    version, and an interrupted export leaves no version folder.

    Args:
        module: the `RetrievalServingModule` to save.
        export_dir: the model's base path, e.g. ``saved_models/tools``.
        version: integer version; defaults to one more than the highest present.
        update_config: also rewrite ``models.config`` in the parent folder.

    Returns:
        The path of the new version folder.

    Raises:
        FileExistsError: `version` already exists.
        ValueError: `version` < 1.

    Example:

    ```python
    export_retrieval_model(module, "saved_models/tools")  # saved_models/tools/1
    ```
    """
    os.makedirs(export_dir, exist_ok=True)
    if version is None:
        version = (existing_versions(export_dir) or [0])[-1] + 1
    if int(version) < 1:  # TF Serving loads only folders named by a positive integer
        raise ValueError(f"version must be an integer >= 1, got {version!r}")
    final = os.path.join(export_dir, str(int(version)))
    if os.path.exists(final):
        raise FileExistsError(f"{final} already exists; pick another version")
    tmp = make_readable_dir(".tmp-export-", export_dir)  # 0755 under umask 022, as TF Serving needs
    try:
        tf.saved_model.save(module, tmp, signatures=module.signatures())
        os.rename(tmp, final)
        fsync_dir(export_dir)
    except (OSError, tf.errors.OpError) as e:  # a full disk, a folder gone read-only
        reason = getattr(e, "message", None) or e
        raise UnwritableDirError(
            f"--export-dir {export_dir}: cannot write the SavedModel ({reason}); earlier "
            f"versions are kept: free space and export again with python -m pipelines.export"
        ) from None
    finally:
        if os.path.exists(tmp):
            shutil.rmtree(tmp, ignore_errors=True)
    if update_config:
        write_model_config(os.path.dirname(os.path.abspath(export_dir)))
    return final
