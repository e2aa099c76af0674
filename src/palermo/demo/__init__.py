"""Demo data: fictitious partner files in several layouts, with linkage ground truth."""
