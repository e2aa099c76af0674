"""Reports: any analysis rendered as HTML, PDF, JSON and CSV, with charts, after disclosure control."""
