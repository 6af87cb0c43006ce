"""Architectures built from params. Import the module you use (dudl.models.mlp, dudl.models.stacked): the
pipeline derives each experiment's code dependencies from its imports, so a package that re-exported
everything would make every experiment depend on every model."""
