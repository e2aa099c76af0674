"""Safe publication: small-cell suppression of tables, k-anonymous and differentially private releases."""
