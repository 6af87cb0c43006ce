"""Figure functions, one module per section, all drawn in the house style of dudl.plots.style."""
