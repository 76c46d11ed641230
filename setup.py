"""ahns-tf: Adaptive Hardness Negative Sampling for TensorFlow Recommenders."""

from setuptools import find_packages, setup

setup(
    name="ahns-tf",
    version="0.1.0",
    description=("Adaptive Hardness Negative Sampling (Lai et al., AAAI 2024) for implicit "
                 "collaborative filtering in TensorFlow/Keras and TensorFlow Recommenders"),
    long_description=open("README.md").read(),
    long_description_content_type="text/markdown",
    python_requires=">=3.9",
    packages=find_packages(include=["ahns_tf", "ahns_tf.*", "pipelines", "tuning"]),
    install_requires=[
        "tensorflow>=2.21,<2.22",
        "tf-keras>=2.21,<2.22",
        "tensorflow-recommenders==0.7.7",
        "tensorflow-datasets>=4.9,<5",
        "importlib_resources",  # needed by tensorflow-datasets builders, not declared by it
        "keras-tuner==1.4.8",
        "scikit-learn",  # keras-tuner's BayesianOptimization oracle needs it
        "tensorboard>=2.21,<2.22",
        "numpy>=1.26",
        "matplotlib>=3.7",
    ],
    extras_require={
        "test": ["pytest>=8", "hypothesis>=6", "tensorflow-serving-api>=2.21,<2.22"],
    },
)
