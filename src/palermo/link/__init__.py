"""Cross-organisation linkage: entity resolution, privacy-preserving encodings, hit/no-hit, networks."""
