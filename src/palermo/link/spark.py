"""Scale-out: the same linkage on Apache Spark through Splink's Spark backend.

``spark_backend`` starts (or reuses) a Spark session with Splink's string-similarity UDF jar (shipped
inside the splink package, so nothing is downloaded) and returns a factory that
:func:`palermo.link.resolve.predict` and friends take as ``db_api``. A model trained on DuckDB is
rewritten for Spark's SQL by :func:`palermo.link.resolve.model_for_dialect`. Needs Java 17 and
``pyspark`` (``pip install 'palermo[spark]'``); local mode uses this machine's cores, a cluster URL
(``spark://...``) a cluster.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from ..errors import ConfigurationError
from .resolve import DbApiFactory


def spark_backend(work_dir: Path, master: str = "local[2]") -> tuple[DbApiFactory, Any]:
    """A Splink Spark backend factory and its Spark session (stop it with ``session.stop()``)."""
    if shutil.which("java") is None:
        raise ConfigurationError("Spark needs Java (17 or later) on the PATH")
    try:
        from pyspark.sql import SparkSession
        from splink import SparkAPI
        from splink.backends.spark import similarity_jar_location
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise ConfigurationError("Spark linkage needs pyspark: pip install 'palermo[spark]'") from exc
    checkpoints = work_dir / "checkpoints"
    checkpoints.mkdir(parents=True, exist_ok=True)
    session = (
        SparkSession.builder.master(master)
        .appName("palermo-linkage")
        .config("spark.jars", similarity_jar_location())
        .config("spark.sql.shuffle.partitions", "8")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.memory", "2g")
        .config("spark.local.dir", str(work_dir))
        .getOrCreate()
    )
    session.sparkContext.setCheckpointDir(str(checkpoints))
    session.sparkContext.setLogLevel("ERROR")

    def factory() -> Any:
        return SparkAPI(spark_session=session)  # type: ignore[no-untyped-call]

    return factory, session
