"""ahns-tf: Adaptive Hardness Negative Sampling for TensorFlow Recommenders."""

from setuptools import find_packages, setup

setup(
    name="ahns-tf",
    version="0.1.0",
    description=("Adaptive Hardness Negative Sampling (Lai et al., AAAI 2024) for implicit "
                 "collaborative filtering in TensorFlow/Keras and TensorFlow Recommenders"),
    long_description=open("README.md").read(),
    long_description_content_type="text/markdown",
    python_requires=">=3.10",  # TensorFlow 2.21 needs it
    packages=find_packages(include=["ahns_tf", "ahns_tf.*", "pipelines", "tuning", "benchmarks"]),
    # The lab's data, found beside its modules whether installed or run from a checkout.
    package_data={"benchmarks": ["methods.json", "paper.json"]},
    # CI installs the newest versions these ranges allow into a fresh virtual environment on
    # every run (it prints what it resolved), as a new user's pip does; the lower bounds are the
    # oldest versions earlier machines ran, not re-tested. Upper bounds stop at the next release
    # that may break us (TF minor releases, other majors).
    install_requires=[
        "tensorflow>=2.21,<2.22",
        "tf-keras>=2.21,<2.22",
        "tensorflow-recommenders==0.7.7",
        "tensorflow-datasets>=4.9,<5",
        "importlib_resources>=5,<8",  # needed by tensorflow-datasets builders, not declared by it
        "keras-tuner==1.4.8",
        "scikit-learn>=1.3,<2",  # keras-tuner's BayesianOptimization oracle needs it
        "tensorboard>=2.21,<2.22",
        "numpy>=1.26,<3",
        "matplotlib>=3.7,<4",
        "pyarrow>=15,<27",  # --data-file: CSV/TSV/Parquet logs with raw ids
    ],
    extras_require={
        "test": ["pytest>=8.4,<10", "hypothesis>=6,<7", "tensorflow-serving-api>=2.21,<2.22"],
    },
)
