"""Analysis of the pooled cases: threat assessment, change detection, forecasts (DuckDB/polars over Arrow)."""
