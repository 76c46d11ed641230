"""KerasTuner searches of AHNS hyperparameters (`python -m tuning.search`)."""
